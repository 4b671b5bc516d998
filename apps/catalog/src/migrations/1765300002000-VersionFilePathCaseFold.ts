import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version's file paths folded as `lower(upper(path))` (in byte order), where migration
 * 1764500006000 folded them with `lower` alone: `lower` keeps apart names a buyer's disk takes
 * for one, the letters with two lower-case forms of one capital (`ασ.txt` and `ας.txt`,
 * `ſ.txt` and `s.txt`, `µ.txt` and `μ.txt`, `ı.txt` and `I.txt`), so both uploaded. The clash
 * check (`VersionRepository.collidingPath`) folds so now, and its three lookups stay ranges of
 * the index of the same name. The index is not unique: a version that took such a pair before
 * keeps both files (the vendor can take one back), as versions did when the first index came.
 * The table is analyzed at once: until the new expression has statistics, the planner guesses
 * the check matches many files and walks the version's files in path order instead.
 */
export class VersionFilePathCaseFold1765300002000 implements MigrationInterface {
  name = 'VersionFilePathCaseFold1765300002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX version_file_path_fold_idx`);
    await queryRunner.query(`CREATE INDEX version_file_path_fold_idx ON version_file (version_id, (lower(upper(path)) COLLATE "C"))`);
    await queryRunner.query(`ANALYZE version_file`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX version_file_path_fold_idx`);
    await queryRunner.query(`CREATE INDEX version_file_path_fold_idx ON version_file (version_id, (lower(path) COLLATE "C"))`);
    await queryRunner.query(`ANALYZE version_file`);
  }
}
