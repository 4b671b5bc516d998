import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The uploads catalog never confirmed (`recorded_at` still null), oldest first, for the sweep
 * that asks catalog about them: a partial index, as small as the handful of such rows.
 */
export class UnconfirmedUploads1764960000000 implements MigrationInterface {
  name = 'UnconfirmedUploads1764960000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX stored_object_unconfirmed_idx ON stored_object (created_at, key) WHERE recorded_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX stored_object_unconfirmed_idx`);
  }
}
