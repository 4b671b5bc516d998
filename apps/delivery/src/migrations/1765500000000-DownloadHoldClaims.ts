import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a running download was admitted to send in all (`claim`): its length, or up to the first
 * byte another connection of the same file and API key is served from. Admission counts every
 * running download's claim, not only the window it holds so far, so a download admitted whole is
 * never cut later because another was let in beside it. Null for holds written before (they
 * count what they hold, as then).
 */
export class DownloadHoldClaims1765500000000 implements MigrationInterface {
  name = 'DownloadHoldClaims1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE download_hold ADD COLUMN claim bigint CONSTRAINT download_hold_claim_check CHECK (claim > 0)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE download_hold DROP COLUMN claim`);
  }
}
