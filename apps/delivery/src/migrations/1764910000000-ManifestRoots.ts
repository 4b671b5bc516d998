import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Manifests of large corpora read only the files of their page.
 *
 * - `version_root`: the Merkle root of a released version whose files are final, computed once
 *   (a version of 500,000 files took a read of them all on every manifest request before).
 * - `stored_object_manifest_idx`: a version's recorded files in manifest order (the bytes of the
 *   path, `COLLATE "C"`), so a page is one range of the index from its cursor. The file index
 *   compares paths in the database's collation, which is not the order a manifest needs: each
 *   page sorted every file of its version to find its own.
 * - `stored_object_unrecorded_idx`: the uploads catalog has not answered yet, so whether a
 *   version still has one is a lookup, not a scan of its files.
 */
export class ManifestRoots1764910000000 implements MigrationInterface {
  name = 'ManifestRoots1764910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE version_root (
        version_id uuid PRIMARY KEY,
        dataset_id uuid NOT NULL,
        root text NOT NULL CONSTRAINT version_root_root_check CHECK (root ~ '^[0-9a-f]{64}$'),
        file_count integer NOT NULL CONSTRAINT version_root_file_count_check CHECK (file_count >= 0),
        computed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX stored_object_manifest_idx ON stored_object (dataset_id, version_id, path COLLATE "C") WHERE target = 'version-file' AND recorded_at IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX stored_object_unrecorded_idx ON stored_object (version_id) WHERE target = 'version-file' AND recorded_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX stored_object_unrecorded_idx`);
    await queryRunner.query(`DROP INDEX stored_object_manifest_idx`);
    await queryRunner.query(`DROP TABLE version_root`);
  }
}
