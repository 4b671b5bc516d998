import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Pending access requests by vendor and age, for the operators' figures (`GET /v1/admin/stats`):
 * how many wait, since when, and which vendors leave theirs waiting longest. Without it each
 * call read every request ever made, decided ones included. Requests leave the index once
 * decided, so it stays as small as the backlog.
 *
 * Built CONCURRENTLY, outside a transaction (`transaction = false`): a plain CREATE INDEX would
 * stop every new request, approval and rejection while it read the whole table. A build that
 * failed half-way leaves an invalid index of that name, which the next run drops first.
 */
export class PendingAccessRequestsByVendor1764940000000 implements MigrationInterface {
  name = 'PendingAccessRequestsByVendor1764940000000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX CONCURRENTLY IF EXISTS access_request_pending_idx`);
    await queryRunner.query(`CREATE INDEX CONCURRENTLY access_request_pending_idx ON access_request (vendor_organization_id, created_at) WHERE status = 'pending'`);
  }

  // Dropping reads nothing and its lock is brief; TypeORM reverts inside a transaction, where
  // CONCURRENTLY is refused.
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS access_request_pending_idx`);
  }
}
