import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bytes held for downloads still running under entitlements sold per GiB, one row per
 * download, shared by every delivery replica: a download's row is written when it is admitted
 * and deleted in the transaction that writes its audit row. A row whose process stopped renewing
 * it (`expires_at` passed) no longer counts and is deleted by a later admission.
 */
export class CreateDownloadHolds1764720000000 implements MigrationInterface {
  name = 'CreateDownloadHolds1764720000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE download_hold (
        id uuid PRIMARY KEY,
        entitlement_id uuid NOT NULL REFERENCES entitlement (id),
        bytes bigint NOT NULL CONSTRAINT download_hold_bytes_check CHECK (bytes > 0),
        expires_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX download_hold_entitlement_idx ON download_hold (entitlement_id)`);
    await queryRunner.query(`CREATE INDEX download_hold_expiry_idx ON download_hold (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE download_hold`);
  }
}
