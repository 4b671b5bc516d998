import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Free and metered offers can be ordered: a free line costs nothing (so an order of free offers
 * totals zero), and a metered line records the units it bought (`quantity`, metered lines only).
 */
export class FreeAndMeteredLines1764710000000 implements MigrationInterface {
  name = 'FreeAndMeteredLines1764710000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE purchase_order DROP CONSTRAINT purchase_order_total_check`);
    await queryRunner.query(`ALTER TABLE purchase_order ADD CONSTRAINT purchase_order_total_check CHECK (total_amount >= 0)`);
    await queryRunner.query(`ALTER TABLE order_line DROP CONSTRAINT order_line_price_check`);
    await queryRunner.query(`ALTER TABLE order_line ADD CONSTRAINT order_line_price_check CHECK (price_amount >= 0)`);
    await queryRunner.query(`ALTER TABLE order_line ADD COLUMN quantity integer NULL`);
    await queryRunner.query(`
      ALTER TABLE order_line ADD CONSTRAINT order_line_quantity_check
        CHECK ((pricing->>'model' = 'metered') = (quantity IS NOT NULL) AND (quantity IS NULL OR quantity > 0))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE order_line DROP CONSTRAINT order_line_quantity_check`);
    await queryRunner.query(`ALTER TABLE order_line DROP COLUMN quantity`);
    await queryRunner.query(`ALTER TABLE order_line DROP CONSTRAINT order_line_price_check`);
    await queryRunner.query(`ALTER TABLE order_line ADD CONSTRAINT order_line_price_check CHECK (price_amount > 0)`);
    await queryRunner.query(`ALTER TABLE purchase_order DROP CONSTRAINT purchase_order_total_check`);
    await queryRunner.query(`ALTER TABLE purchase_order ADD CONSTRAINT purchase_order_total_check CHECK (total_amount > 0)`);
  }
}
