import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bank account a payout is to be paid to, as its vendor named it on the request: an object
 * of `accountName`, `bankName`, `accountNumber` and optionally `swift`, or null for payouts asked
 * for without one (and every payout before this migration): those are paid to the account the
 * vendor gave the platform when it was approved. Adding a nullable column rewrites nothing.
 */
export class PayoutDestination1764990000000 implements MigrationInterface {
  name = 'PayoutDestination1764990000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE payout ADD COLUMN destination jsonb`);
    await queryRunner.query(
      `ALTER TABLE payout ADD CONSTRAINT payout_destination_check
         CHECK (destination IS NULL OR (jsonb_typeof(destination) = 'object' AND destination ? 'accountName' AND destination ? 'bankName' AND destination ? 'accountNumber'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE payout DROP COLUMN destination`);
  }
}
