import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDatasets1764300001000 implements MigrationInterface {
  name = 'CreateDatasets1764300001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dataset (
        id uuid PRIMARY KEY,
        vendor_organization_id uuid NOT NULL,
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
        status text NOT NULL DEFAULT 'draft'
          CHECK (status IN ('draft', 'in_review', 'published', 'rejected', 'suspended')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX dataset_vendor_idx ON dataset (vendor_organization_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dataset`);
  }
}
