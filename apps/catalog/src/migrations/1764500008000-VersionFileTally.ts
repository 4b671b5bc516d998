import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each version's number of files and their total bytes, kept in `dataset_version` by
 * statement-level triggers on `version_file`, in the transaction of every statement that adds,
 * replaces or removes a file. A listing's page, its versions page and a release showed
 * `fileCount` by counting the version's files on every read: a speech corpus of 500,000 files a
 * version counted millions of rows for each anonymous view of its page. The reads now take the
 * stored values, which stay exact whoever writes the files (the upload record, an operator's SQL):
 * a trigger's `UPDATE` of the version row waits for any other writer of that row and adds to
 * what it committed, so two files recorded at once are both counted. A released version's files
 * no longer change, so its counts are frozen with them.
 *
 * The triggers are made before the counts are filled in, in one transaction: making a trigger
 * holds off writes to `version_file` until the commit, so no file lands between the two.
 */
export class VersionFileTally1764500008000 implements MigrationInterface {
  name = 'VersionFileTally1764500008000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dataset_version
        ADD COLUMN file_count integer NOT NULL DEFAULT 0 CONSTRAINT dataset_version_file_count_check CHECK (file_count >= 0),
        ADD COLUMN total_bytes bigint NOT NULL DEFAULT 0 CONSTRAINT dataset_version_total_bytes_check CHECK (total_bytes >= 0)`);
    // One update per changed version, in id order: two statements touching the same versions
    // lock them in the same order, and neither holds one the other waits for.
    await queryRunner.query(`
      CREATE FUNCTION version_file_tally() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        changes refcursor;
        changed record;
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          UPDATE dataset_version SET file_count = 0, total_bytes = 0 WHERE file_count <> 0 OR total_bytes <> 0;
          RETURN NULL;
        ELSIF TG_OP = 'INSERT' THEN
          OPEN changes FOR SELECT version_id, count(*) AS files, sum(size) AS bytes FROM new_rows GROUP BY version_id ORDER BY version_id;
        ELSIF TG_OP = 'DELETE' THEN
          OPEN changes FOR SELECT version_id, -count(*) AS files, -sum(size) AS bytes FROM old_rows GROUP BY version_id ORDER BY version_id;
        ELSE
          OPEN changes FOR SELECT version_id, sum(files) AS files, sum(bytes) AS bytes FROM (
              SELECT version_id, -1 AS files, -size AS bytes FROM old_rows UNION ALL SELECT version_id, 1, size FROM new_rows
            ) moved GROUP BY version_id HAVING sum(files) <> 0 OR sum(bytes) <> 0 ORDER BY version_id;
        END IF;
        LOOP
          FETCH changes INTO changed;
          EXIT WHEN NOT FOUND;
          UPDATE dataset_version SET file_count = file_count + changed.files, total_bytes = total_bytes + changed.bytes WHERE id = changed.version_id;
        END LOOP;
        CLOSE changes;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER version_file_tally_insert AFTER INSERT ON version_file REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION version_file_tally()`);
    await queryRunner.query(
      `CREATE TRIGGER version_file_tally_update AFTER UPDATE ON version_file REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION version_file_tally()`,
    );
    await queryRunner.query(`CREATE TRIGGER version_file_tally_delete AFTER DELETE ON version_file REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION version_file_tally()`);
    await queryRunner.query(`CREATE TRIGGER version_file_tally_truncate AFTER TRUNCATE ON version_file FOR EACH STATEMENT EXECUTE FUNCTION version_file_tally()`);
    await queryRunner.query(`
      UPDATE dataset_version v SET file_count = f.files, total_bytes = f.bytes
        FROM (SELECT version_id, count(*) AS files, sum(size) AS bytes FROM version_file GROUP BY version_id) f
       WHERE v.id = f.version_id`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const event of ['insert', 'update', 'delete', 'truncate']) await queryRunner.query(`DROP TRIGGER version_file_tally_${event} ON version_file`);
    await queryRunner.query(`DROP FUNCTION version_file_tally()`);
    await queryRunner.query(`ALTER TABLE dataset_version DROP COLUMN file_count, DROP COLUMN total_bytes`);
  }
}
