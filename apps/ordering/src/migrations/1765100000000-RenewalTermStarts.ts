import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the term of a line sold with a term runs from, once its order is paid: the end of the
 * terms of the same license its buyer has paid for already, when that is later than the payment.
 * A license with a term bought again (a renewal) ran from its own payment, alongside the first,
 * and added no day to it. With it, where the run of renewals began (`term_anchor_at`, the first
 * term's start) and how many months it has run to this line's end (`term_anchor_months`): each
 * end is counted from that start, so the days a short month clamps off one end (31 January plus
 * a month is 28 February) are not lost again by every renewal after it. Null on other lines, and
 * on lines paid before these columns: their term runs from the payment (an exclusive line's
 * from its placement).
 *
 * Columns without a default: PostgreSQL adds them without rewriting the table.
 */
export class RenewalTermStarts1765100000000 implements MigrationInterface {
  name = 'RenewalTermStarts1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE order_line ADD COLUMN term_starts_at timestamptz, ADD COLUMN term_anchor_at timestamptz, ADD COLUMN term_anchor_months integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE order_line DROP COLUMN term_anchor_months, DROP COLUMN term_anchor_at, DROP COLUMN term_starts_at`);
  }
}
