import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The storage keys whose rows are gone and whose bytes are still to be deleted. Written by the
 * transaction that removes the row (a replaced file, a refused or unlisted upload), so a process
 * that dies before deleting the bytes leaves the key here for the sweep instead of leaving the
 * bytes in storage with nothing pointing at them.
 */
export class ObjectDeletions1765000000000 implements MigrationInterface {
  name = 'ObjectDeletions1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE object_deletion (key text PRIMARY KEY, queued_at timestamptz NOT NULL DEFAULT now())`);
    await queryRunner.query(`CREATE INDEX object_deletion_queued_idx ON object_deletion (queued_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE object_deletion`);
  }
}
