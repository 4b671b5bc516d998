import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The objects delivery holds in storage, with the size and SHA-256 measured on upload. */
export class CreateStoredObjects1764470000000 implements MigrationInterface {
  name = 'CreateStoredObjects1764470000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE stored_object (
        key text PRIMARY KEY,
        target text NOT NULL CONSTRAINT stored_object_target_check CHECK (target IN ('version-file', 'sample')),
        dataset_id uuid NOT NULL,
        version_id uuid NULL,
        path text NOT NULL,
        size bigint NOT NULL CONSTRAINT stored_object_size_check CHECK (size >= 0),
        sha256 text NOT NULL CONSTRAINT stored_object_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        uploaded_by text NOT NULL,
        recorded_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stored_object_version_check CHECK ((target = 'version-file') = (version_id IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE INDEX stored_object_file_idx ON stored_object (target, dataset_id, version_id, path)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE stored_object`);
  }
}
