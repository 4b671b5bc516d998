import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the gateway says of the callers download URLs are signed for: the API keys revoked (final),
 * and the latest status of each organization with the time it was set, so an older change that
 * arrives late never replaces a newer one. A download's admission reads both with its target.
 * The status is kept as the gateway names it (its contract checks the values): delivery refuses
 * `suspended` and lets every other status through.
 */
export class CallerRevocations1764760000000 implements MigrationInterface {
  name = 'CallerRevocations1764760000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE revoked_api_key (
        key_id text PRIMARY KEY,
        organization_id uuid NOT NULL,
        revoked_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE organization_status (
        organization_id uuid PRIMARY KEY,
        status text NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE organization_status`);
    await queryRunner.query(`DROP TABLE revoked_api_key`);
  }
}
