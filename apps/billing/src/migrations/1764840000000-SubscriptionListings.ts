import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What billing knows of the listings its subscriptions renew, learnt from the catalog's events:
 * whether each dataset is suspended (`dataset_standing`, as of the catalog's time of the latest
 * change, so that events arriving out of order never undo a later one), and which offers their
 * vendors withdrew (`withdrawn_offer`; a withdrawal is final). A renewal falling due while its
 * dataset is suspended or its offer withdrawn is not charged: the subscription lapses, and
 * `lapse_reason` says why. Subscriptions that lapsed before could only lapse for an empty wallet.
 */
export class SubscriptionListings1764840000000 implements MigrationInterface {
  name = 'SubscriptionListings1764840000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dataset_standing (
        dataset_id uuid PRIMARY KEY,
        status text NOT NULL CONSTRAINT dataset_standing_status_check CHECK (status IN ('published', 'suspended')),
        changed_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE withdrawn_offer (
        offer_id uuid PRIMARY KEY,
        dataset_id uuid NOT NULL,
        withdrawn_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      ALTER TABLE subscription ADD COLUMN lapse_reason text NULL
        CONSTRAINT subscription_lapse_reason_check CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'offer_withdrawn'))`);
    await queryRunner.query(`UPDATE subscription SET lapse_reason = 'insufficient_funds' WHERE status = 'lapsed'`);
    await queryRunner.query(`ALTER TABLE subscription ADD CONSTRAINT subscription_lapse_reason_status_check CHECK ((status = 'lapsed') = (lapse_reason IS NOT NULL))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscription DROP CONSTRAINT subscription_lapse_reason_status_check`);
    await queryRunner.query(`ALTER TABLE subscription DROP COLUMN lapse_reason`);
    await queryRunner.query(`DROP TABLE withdrawn_offer`);
    await queryRunner.query(`DROP TABLE dataset_standing`);
  }
}
