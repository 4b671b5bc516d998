import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the catalog released of each version: how many files and bytes (VersionReleased carries
 * them). A version's root is kept only once delivery's recorded files agree with them, so a
 * removal the catalog made before the release, and delivery has not applied yet, cannot end up
 * in the root kept for good. Releases recorded before hold none, and are taken as they were.
 */
export class ReleasedFileTally1765300000000 implements MigrationInterface {
  readonly name = 'ReleasedFileTally1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE released_version
        ADD COLUMN file_count integer NULL CONSTRAINT released_version_file_count_check CHECK (file_count >= 0),
        ADD COLUMN total_bytes bigint NULL CONSTRAINT released_version_total_bytes_check CHECK (total_bytes >= 0),
        ADD CONSTRAINT released_version_tally_check CHECK ((file_count IS NULL) = (total_bytes IS NULL))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE released_version DROP COLUMN file_count, DROP COLUMN total_bytes`);
  }
}
