import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What an exclusive hold is about to sell: the dataset and the offer's terms. A placement of
 * another offer of that dataset reads the holds and the live exclusive lines of it in its own
 * transaction, so that an exclusive sale reserved after the catalog answered that placement is
 * still seen (ExclusiveHolds). Holds written before this migration have neither and block nothing.
 */
export class ExclusiveHoldsByDataset1765600000000 implements MigrationInterface {
  name = 'ExclusiveHoldsByDataset1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE exclusive_hold ADD COLUMN dataset_id uuid, ADD COLUMN terms jsonb`);
    await queryRunner.query(`CREATE INDEX exclusive_hold_dataset_idx ON exclusive_hold (dataset_id) WHERE dataset_id IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX order_line_exclusive_dataset_idx ON order_line (dataset_id) WHERE exclusive`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX order_line_exclusive_dataset_idx`);
    await queryRunner.query(`DROP INDEX exclusive_hold_dataset_idx`);
    await queryRunner.query(`ALTER TABLE exclusive_hold DROP COLUMN terms, DROP COLUMN dataset_id`);
  }
}
