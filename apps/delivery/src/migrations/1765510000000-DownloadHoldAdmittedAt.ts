import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a running download was admitted (the instant its process counts from): a download of the
 * same file and API key that ended after it (a download manager's next connection) stops it, and
 * the count of its claim must stop it at the same byte as its extensions do. Holds written before
 * get the time of this migration: their processes count from their own admission.
 */
export class DownloadHoldAdmittedAt1765510000000 implements MigrationInterface {
  name = 'DownloadHoldAdmittedAt1765510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE download_hold ADD COLUMN admitted_at timestamptz NOT NULL DEFAULT now()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE download_hold DROP COLUMN admitted_at`);
  }
}
