import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pending payout can end without being paid: its vendor cancels it (`cancelled`, with
 * `cancelled_at`) or an operator rejects it (`rejected`, with `rejected_at` and the reason the
 * vendor reads). Neither posts anything: `payout_paid_check` keeps an entry on paid payouts
 * alone. Payouts that ended so no longer count as asked for.
 */
export class PayoutCancelAndReject1764860000000 implements MigrationInterface {
  name = 'PayoutCancelAndReject1764860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE payout
        ADD COLUMN cancelled_at timestamptz NULL,
        ADD COLUMN rejected_at timestamptz NULL,
        ADD COLUMN rejection_reason text NULL,
        DROP CONSTRAINT payout_status_check,
        ADD CONSTRAINT payout_status_check CHECK (status IN ('pending', 'paid', 'cancelled', 'rejected')),
        ADD CONSTRAINT payout_cancelled_check CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
        ADD CONSTRAINT payout_rejected_check CHECK ((status = 'rejected') = (rejected_at IS NOT NULL AND rejection_reason IS NOT NULL))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Before this migration a payout could only wait or be paid: going down would have to call
    // an ended payout pending again and let it be approved, so it refuses instead.
    const [{ count }] = (await queryRunner.query(`SELECT count(*)::int AS count FROM payout WHERE status IN ('cancelled', 'rejected')`)) as { count: number }[];
    if (count > 0) throw new Error(`${count} payouts were cancelled or rejected; the payout statuses before PayoutCancelAndReject1764860000000 cannot say so`);
    await queryRunner.query(`
      ALTER TABLE payout
        DROP CONSTRAINT payout_rejected_check,
        DROP CONSTRAINT payout_cancelled_check,
        DROP CONSTRAINT payout_status_check,
        ADD CONSTRAINT payout_status_check CHECK (status IN ('pending', 'paid')),
        DROP COLUMN rejection_reason,
        DROP COLUMN rejected_at,
        DROP COLUMN cancelled_at`);
  }
}
