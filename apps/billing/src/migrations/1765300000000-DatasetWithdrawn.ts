import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A listing its vendor took off sale (`POST /v1/datasets/:id/withdraw`) is not one an operator
 * suspended, and its subscribers are told which: `dataset_standing.status` `withdrawn` (from the
 * catalog's `dataset.suspended` with `byVendor`), and a subscription that lapses for it
 * `lapse_reason` `dataset_withdrawn`. Both read `suspended` and `dataset_suspended` before.
 */
export class DatasetWithdrawn1765300000000 implements MigrationInterface {
  name = 'DatasetWithdrawn1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dataset_standing
        DROP CONSTRAINT dataset_standing_status_check,
        ADD CONSTRAINT dataset_standing_status_check CHECK (status IN ('published', 'suspended', 'withdrawn'))`);
    await queryRunner.query(`
      ALTER TABLE subscription
        DROP CONSTRAINT subscription_lapse_reason_check,
        ADD CONSTRAINT subscription_lapse_reason_check
          CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'dataset_withdrawn', 'offer_withdrawn', 'vendor_suspended', 'cancelled_by_buyer', 'term_ended', 'buyer_suspended'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Before, a withdrawal read as a suspension: what it said then, it says again.
    await queryRunner.query(`UPDATE dataset_standing SET status = 'suspended' WHERE status = 'withdrawn'`);
    await queryRunner.query(`UPDATE subscription SET lapse_reason = 'dataset_suspended' WHERE lapse_reason = 'dataset_withdrawn'`);
    await queryRunner.query(`
      ALTER TABLE subscription
        DROP CONSTRAINT subscription_lapse_reason_check,
        ADD CONSTRAINT subscription_lapse_reason_check
          CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'offer_withdrawn', 'vendor_suspended', 'cancelled_by_buyer', 'term_ended', 'buyer_suspended'))`);
    await queryRunner.query(`
      ALTER TABLE dataset_standing
        DROP CONSTRAINT dataset_standing_status_check,
        ADD CONSTRAINT dataset_standing_status_check CHECK (status IN ('published', 'suspended'))`);
  }
}
