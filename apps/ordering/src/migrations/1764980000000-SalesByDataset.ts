import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A vendor's sales of one dataset, newest first (`GET /v1/sales?datasetId=`): without it the
 * list read the vendor's every sale, newest first, until it had a page of that dataset's, which
 * for a vendor selling many listings is most of its history.
 *
 * Built CONCURRENTLY, outside a transaction (`transaction = false`): a plain CREATE INDEX would
 * stop every order being placed while it read the whole table. A build that failed half-way
 * leaves an invalid index of that name, which the next run drops first.
 */
export class SalesByDataset1764980000000 implements MigrationInterface {
  name = 'SalesByDataset1764980000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS order_line_vendor_dataset_idx`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY order_line_vendor_dataset_idx ON order_line (vendor_organization_id, dataset_id, placed_at DESC, id DESC)`);
  }

  // Dropping reads nothing and its lock is brief; TypeORM reverts inside a transaction, where
  // CONCURRENTLY is refused.
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS order_line_vendor_dataset_idx`);
  }
}
