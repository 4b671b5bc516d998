import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A buyer sees its subscriptions and may stop one renewing at the end of the period it paid for.
 *
 * - `period_start`: the start of the period paid last (`period_end` is its end), moved with it at
 *   each renewal. Existing rows take `period_end` less one period, UTC: exact, except for a period
 *   that began on the 29th to 31st of a month and ended in a shorter one (31 January to 28
 *   February), whose start reads as a day to three days later than it was.
 * - `subscribed_at`: the start of the first period, by which a buyer's list is ordered, newest
 *   first. Existing rows take their start, or after renewals their order's first charge.
 * - `cancel_at_period_end` with `cancelled_at`: the buyer cancelled; the next renewal charges
 *   nothing and the subscription lapses with `lapse_reason` `cancelled_by_buyer`.
 */
export class SubscriptionCancellation1764890000000 implements MigrationInterface {
  name = 'SubscriptionCancellation1764890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE subscription
        ADD COLUMN period_start timestamptz NULL,
        ADD COLUMN subscribed_at timestamptz NULL,
        ADD COLUMN cancel_at_period_end boolean NOT NULL DEFAULT false,
        ADD COLUMN cancelled_at timestamptz NULL,
        ADD CONSTRAINT subscription_cancelled_check CHECK (cancel_at_period_end = (cancelled_at IS NOT NULL))`);
    await queryRunner.query(`
      UPDATE subscription SET period_start = (period_end AT TIME ZONE 'UTC'
        - CASE period WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months' ELSE interval '1 year' END) AT TIME ZONE 'UTC'`);
    await queryRunner.query(`
      UPDATE subscription s SET subscribed_at = CASE WHEN s.renewals = 0 THEN s.period_start
        ELSE coalesce((SELECT e.created_at FROM journal_entry e WHERE e.order_id = s.order_id AND e.kind = 'charge'), s.period_start) END`);
    await queryRunner.query(`
      ALTER TABLE subscription
        ALTER COLUMN period_start SET NOT NULL,
        ALTER COLUMN subscribed_at SET NOT NULL,
        DROP CONSTRAINT subscription_lapse_reason_check,
        ADD CONSTRAINT subscription_lapse_reason_check
          CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'offer_withdrawn', 'vendor_suspended', 'cancelled_by_buyer'))`);
    await queryRunner.query(`CREATE INDEX subscription_buyer_idx ON subscription (buyer_organization_id, subscribed_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX subscription_subscribed_idx ON subscription (subscribed_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Without the flag a cancelled subscription would renew again and charge its buyer, and a
    // lapse for a cancellation has no name before this migration: going down refuses instead.
    const [{ count }] = (await queryRunner.query(`SELECT count(*)::int AS count FROM subscription WHERE cancel_at_period_end`)) as { count: number }[];
    if (count > 0) throw new Error(`${count} subscriptions were cancelled by their buyers; the subscriptions before SubscriptionCancellation1764890000000 cannot say so`);
    await queryRunner.query(`DROP INDEX subscription_subscribed_idx`);
    await queryRunner.query(`DROP INDEX subscription_buyer_idx`);
    await queryRunner.query(`
      ALTER TABLE subscription
        DROP CONSTRAINT subscription_lapse_reason_check,
        ADD CONSTRAINT subscription_lapse_reason_check CHECK (lapse_reason IN ('insufficient_funds', 'dataset_suspended', 'offer_withdrawn', 'vendor_suspended')),
        DROP CONSTRAINT subscription_cancelled_check,
        DROP COLUMN cancelled_at,
        DROP COLUMN cancel_at_period_end,
        DROP COLUMN subscribed_at,
        DROP COLUMN period_start`);
  }
}
