import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version's file paths folded to lower case, in byte order: the three lookups that keep a new
 * path from clashing with the version's files on a buyer's disk (`VersionRepository.collidingPath`:
 * the same path in another case, a folder of it, a path inside it) are each an index range,
 * so recording the 100,000th file of a version reads a few index entries, not 100,000 rows.
 */
export class VersionFilePathFold1764500006000 implements MigrationInterface {
  name = 'VersionFilePathFold1764500006000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX version_file_path_fold_idx ON version_file (version_id, (lower(path) COLLATE "C"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX version_file_path_fold_idx`);
  }
}
