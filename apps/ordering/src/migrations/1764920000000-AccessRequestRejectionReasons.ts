import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A vendor's reason for rejecting an access request, for the buyer to read: buyers of datasets
 * that need approval saw `rejected` and never learnt why. Existing requests have none. Only a
 * rejected request may hold one.
 */
export class AccessRequestRejectionReasons1764920000000 implements MigrationInterface {
  name = 'AccessRequestRejectionReasons1764920000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE access_request ADD COLUMN rejection_reason text NULL
        CONSTRAINT access_request_rejection_reason_check CHECK (rejection_reason IS NULL OR status = 'rejected')`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE access_request DROP COLUMN rejection_reason`);
  }
}
