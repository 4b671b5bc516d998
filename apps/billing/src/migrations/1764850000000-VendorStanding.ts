import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The latest status the gateway reported for each organization
 * (`evt.gateway.organization.status-changed.v1`), with the time of that change, so that an older
 * change arriving late never replaces a newer one, as the catalog and delivery keep it. A
 * renewal falling due while the subscription's vendor is `suspended` is not charged: the
 * subscription lapses with `lapse_reason` `vendor_suspended`. The status is kept as the gateway
 * names it (its contract checks the values); organizations never reported have no row and count
 * as in good standing.
 */
export class VendorStanding1764850000000 implements MigrationInterface {
  name = 'VendorStanding1764850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE organization_standing (
        organization_id uuid PRIMARY KEY,
        status text NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`ALTER TABLE subscription DROP CONSTRAINT subscription_lapse_reason_check`);
    await queryRunner.query(`
      ALTER TABLE subscription ADD CONSTRAINT subscription_lapse_reason_check
        CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'offer_withdrawn', 'vendor_suspended'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // A lapse for a vendor's suspension has no name before this migration: going down would
    // have to lie about why those subscriptions ended, so it refuses instead.
    const [{ count }] = (await queryRunner.query(`SELECT count(*)::int AS count FROM subscription WHERE lapse_reason = 'vendor_suspended'`)) as { count: number }[];
    if (count > 0) throw new Error(`${count} subscriptions lapsed for their vendor's suspension; the lapse reasons before VendorStanding1764850000000 cannot say so`);
    await queryRunner.query(`ALTER TABLE subscription DROP CONSTRAINT subscription_lapse_reason_check`);
    await queryRunner.query(`
      ALTER TABLE subscription ADD CONSTRAINT subscription_lapse_reason_check
        CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'offer_withdrawn'))`);
    await queryRunner.query(`DROP TABLE organization_standing`);
  }
}
