import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A metered line bought in part (10 of a corpus's 1,000 hours) keeps the whole it was a part of:
 * the offer's `defaultQuantity` at placement. The paid event carries it, and delivery lets the
 * buyer download that share of the bytes, where it granted the whole corpus before. Lines placed
 * earlier have none, and keep what they were granted.
 */
export class LineWholeQuantity1764950000000 implements MigrationInterface {
  name = 'LineWholeQuantity1764950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE order_line ADD COLUMN whole_quantity bigint NULL CONSTRAINT order_line_whole_quantity_check CHECK (whole_quantity IS NULL OR (quantity IS NOT NULL AND whole_quantity > 0))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE order_line DROP COLUMN whole_quantity`);
  }
}
