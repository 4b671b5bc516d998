import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A running download's hold also holds what the license counts besides bytes: its API key's seat
 * (`key_id`) and, when it is served from the file's first byte, one download of its file
 * (`object_key`, `new_download`), so that `seats` and `downloadLimit` count the downloads still
 * running on every replica, as the per-GiB allowance counts their bytes. A hold of a download
 * that is not metered holds no bytes (0). Holds written before have no key and count no
 * download; they expire within minutes.
 */
export class DownloadHoldLimits1764740000000 implements MigrationInterface {
  name = 'DownloadHoldLimits1764740000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE download_hold
        ADD COLUMN key_id text NULL,
        ADD COLUMN object_key text NULL,
        ADD COLUMN new_download boolean NOT NULL DEFAULT false,
        DROP CONSTRAINT download_hold_bytes_check,
        ADD CONSTRAINT download_hold_bytes_check CHECK (bytes >= 0),
        ADD CONSTRAINT download_hold_new_download_check CHECK (NOT new_download OR object_key IS NOT NULL)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Holds of no bytes hold only a seat or a download, which the old table cannot say.
    await queryRunner.query(`DELETE FROM download_hold WHERE bytes = 0`);
    await queryRunner.query(`
      ALTER TABLE download_hold
        DROP CONSTRAINT download_hold_new_download_check,
        DROP CONSTRAINT download_hold_bytes_check,
        ADD CONSTRAINT download_hold_bytes_check CHECK (bytes > 0),
        DROP COLUMN new_download,
        DROP COLUMN object_key,
        DROP COLUMN key_id`);
  }
}
