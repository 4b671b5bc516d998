import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every entitlement granted on a dataset, newest first (`GET /v1/datasets/:id/downloads`, who
 * received a listing): the keyset order (granted_at, id) within the dataset, so a page reads its
 * rows in order instead of sorting every grant of a popular listing.
 */
export class EntitlementDatasetIndex1764970000000 implements MigrationInterface {
  name = 'EntitlementDatasetIndex1764970000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX entitlement_dataset_idx ON entitlement (dataset_id, granted_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX entitlement_dataset_idx`);
  }
}
