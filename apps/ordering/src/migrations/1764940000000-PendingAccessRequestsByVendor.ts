import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending access requests by vendor and age, for the operators' figures (`GET /v1/admin/stats`):
 * how many wait, since when, and which vendors leave theirs waiting longest. Without it each
 * call read every request ever made, decided ones included. Requests leave the index once
 * decided, so it stays as small as the backlog.
 */
export class PendingAccessRequestsByVendor1764940000000 implements MigrationInterface {
  name = 'PendingAccessRequestsByVendor1764940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX access_request_pending_idx ON access_request (vendor_organization_id, created_at) WHERE status = 'pending'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX access_request_pending_idx`);
  }
}
