import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How each sold subscription line has run since its sale, from billing's events: the renewals
 * charged and their gross amount, the end of the last period paid, and when it lapsed. A vendor's
 * sales (`GET /v1/sales`) showed a subscription as its first period alone, though its balance
 * and statement held every renewal.
 *
 * Columns with constant defaults or none: PostgreSQL adds them without rewriting the table.
 */
export class SubscriptionSales1765000000000 implements MigrationInterface {
  name = 'SubscriptionSales1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE order_line
        ADD COLUMN subscription_renewals integer NOT NULL DEFAULT 0,
        ADD COLUMN subscription_renewed_amount bigint NOT NULL DEFAULT 0,
        ADD COLUMN subscription_paid_through timestamptz,
        ADD COLUMN subscription_lapsed_at timestamptz
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE order_line
        DROP COLUMN subscription_lapsed_at,
        DROP COLUMN subscription_paid_through,
        DROP COLUMN subscription_renewed_amount,
        DROP COLUMN subscription_renewals
    `);
  }
}
