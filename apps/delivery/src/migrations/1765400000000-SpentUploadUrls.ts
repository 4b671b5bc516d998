import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The upload URLs whose upload was recorded, by their nonce, until they expire: a URL is good for
 * one file. Without this, whoever held a URL for its hour (a proxy's log, a shared terminal)
 * could put other bytes under the path after the vendor's upload, or put back a file the vendor
 * had removed. Rows past their URL's expiry are forgotten by the uploads sweep: such a URL is
 * refused as expired anyway.
 */
export class SpentUploadUrls1765400000000 implements MigrationInterface {
  readonly name = 'SpentUploadUrls1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE spent_upload_url (
        nonce text PRIMARY KEY,
        expires_at timestamptz NOT NULL,
        spent_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX spent_upload_url_expires_idx ON spent_upload_url (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE spent_upload_url`);
  }
}
