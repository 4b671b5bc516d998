import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A subscription sells its license for the license's term, not for ever, and not to a buyer an
 * operator suspended.
 *
 * - `license_ends_at`: when the license ends (exclusive), its `termMonths` from the first charge,
 *   as delivery ends the entitlement; null for a perpetual license. No period is sold past it: a
 *   renewal whose period would start there lapses with `lapse_reason` `term_ended`, and the last
 *   period ends there (`period_end` never passes it, a CHECK). Billing learns the term from
 *   `order.placed` from now on; the subscriptions before it were never told theirs and keep null,
 *   renewing as before.
 * - `lapse_reason` `buyer_suspended`: a renewal that falls due while the buying organization is
 *   suspended charges nothing.
 */
export class SubscriptionLicenseTerms1764950000000 implements MigrationInterface {
  name = 'SubscriptionLicenseTerms1764950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE subscription
        ADD COLUMN license_ends_at timestamptz NULL,
        ADD CONSTRAINT subscription_license_end_check CHECK (period_end <= license_ends_at),
        DROP CONSTRAINT subscription_lapse_reason_check,
        ADD CONSTRAINT subscription_lapse_reason_check
          CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'offer_withdrawn', 'vendor_suspended', 'cancelled_by_buyer', 'term_ended', 'buyer_suspended'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // A lapse at the license's end or for the buyer's suspension has no name before this
    // migration, and without the end the subscriptions whose term is over would charge again:
    // going down refuses instead.
    const [{ count }] = (await queryRunner.query(
      `SELECT count(*)::int AS count FROM subscription WHERE lapse_reason IN ('term_ended', 'buyer_suspended') OR (status = 'active' AND license_ends_at IS NOT NULL)`,
    )) as { count: number }[];
    if (count > 0) {
      throw new Error(`${count} subscriptions lapsed at their license's end or for their buyer's suspension, or renew until their license's end; the subscriptions before SubscriptionLicenseTerms1764950000000 cannot say so`);
    }
    await queryRunner.query(`
      ALTER TABLE subscription
        DROP CONSTRAINT subscription_lapse_reason_check,
        ADD CONSTRAINT subscription_lapse_reason_check
          CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'offer_withdrawn', 'vendor_suspended', 'cancelled_by_buyer')),
        DROP CONSTRAINT subscription_license_end_check,
        DROP COLUMN license_ends_at`);
  }
}
