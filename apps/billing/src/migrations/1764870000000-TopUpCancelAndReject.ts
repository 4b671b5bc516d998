import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pending top-up can end without being credited: its buyer withdraws it (`cancelled`, with
 * `cancelled_at`), say a mistyped one filed again correctly, or an operator rejects it
 * (`rejected`, with `rejected_at` and the reason the buyer reads), say a transfer that never
 * arrived. Neither posts anything: `top_up_confirmed_check` keeps an entry on confirmed top-ups
 * alone, and `top_up_transfer_credited_once` counts confirmed ones alone, so an ended top-up
 * never holds its transfer.
 */
export class TopUpCancelAndReject1764870000000 implements MigrationInterface {
  name = 'TopUpCancelAndReject1764870000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE top_up
        ADD COLUMN cancelled_at timestamptz NULL,
        ADD COLUMN rejected_at timestamptz NULL,
        ADD COLUMN rejection_reason text NULL,
        DROP CONSTRAINT top_up_status_check,
        ADD CONSTRAINT top_up_status_check CHECK (status IN ('pending', 'confirmed', 'cancelled', 'rejected')),
        ADD CONSTRAINT top_up_cancelled_check CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
        ADD CONSTRAINT top_up_rejected_check CHECK ((status = 'rejected') = (rejected_at IS NOT NULL AND rejection_reason IS NOT NULL))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Before this migration a top-up could only wait or be confirmed: going down would have to
    // call an ended top-up pending again and let it be confirmed, so it refuses instead.
    const [{ count }] = (await queryRunner.query(`SELECT count(*)::int AS count FROM top_up WHERE status IN ('cancelled', 'rejected')`)) as { count: number }[];
    if (count > 0) throw new Error(`${count} top-ups were cancelled or rejected; the top-up statuses before TopUpCancelAndReject1764870000000 cannot say so`);
    await queryRunner.query(`
      ALTER TABLE top_up
        DROP CONSTRAINT top_up_rejected_check,
        DROP CONSTRAINT top_up_cancelled_check,
        DROP CONSTRAINT top_up_status_check,
        ADD CONSTRAINT top_up_status_check CHECK (status IN ('pending', 'confirmed')),
        DROP COLUMN rejection_reason,
        DROP COLUMN rejected_at,
        DROP COLUMN cancelled_at`);
  }
}
