import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bytes a download's answer was to send (its Content-Length): a connection of the same file
 * and API key stops an earlier one only when it asked for everything after its first byte that
 * the earlier one did (a download manager's next connection), not when it asked for a few bytes
 * inside it (a reader fetching a file's footer). Rows written before have none, and stop earlier
 * downloads as they did.
 */
export class DownloadBytesAsked1765520000000 implements MigrationInterface {
  name = 'DownloadBytesAsked1765520000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE download ADD COLUMN bytes_asked bigint CHECK (bytes_asked >= 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE download DROP COLUMN bytes_asked`);
  }
}
