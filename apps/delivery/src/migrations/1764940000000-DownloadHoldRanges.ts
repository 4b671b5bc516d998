import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A running download's hold says from which byte of its file it is served (`range_start`), so
 * that a download whose hold grows as its bytes go out stops growing it at the first byte another
 * running download of the same file and API key started from: a download manager's next
 * connection, which fetches those bytes. Holds written before have none and stop no one; they
 * expire within minutes.
 */
export class DownloadHoldRanges1764940000000 implements MigrationInterface {
  name = 'DownloadHoldRanges1764940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE download_hold
        ADD COLUMN range_start bigint NULL CONSTRAINT download_hold_range_start_check CHECK (range_start >= 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE download_hold DROP COLUMN range_start`);
  }
}
