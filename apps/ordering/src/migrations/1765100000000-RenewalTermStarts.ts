import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the term of a line sold with a term runs from, once its order is paid: the end of the
 * terms of the same license its buyer has paid for already, when that is later than the payment.
 * A license with a term bought again (a renewal) ran from its own payment, alongside the first,
 * and added no day to it. Null on other lines, and on lines paid before this column: their term
 * runs from the payment (an exclusive line's from its placement).
 *
 * A column without a default: PostgreSQL adds it without rewriting the table.
 */
export class RenewalTermStarts1765100000000 implements MigrationInterface {
  name = 'RenewalTermStarts1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE order_line ADD COLUMN term_starts_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE order_line DROP COLUMN term_starts_at`);
  }
}
