import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Top-ups and payouts are listed (`GET /v1/wallet/top-ups`, `GET /v1/payouts` and the operators'
 * `GET /v1/admin/top-ups`, `GET /v1/admin/payouts`) in the order they were filed, newest or
 * oldest first, by organization, by status or neither. Each list reads its page from one of these
 * indexes in order (the id breaks ties of one moment), rather than sorting every matching row:
 * a buyer's or vendor's own by organization, an operator's queue (`?status=pending`) by status,
 * everything by time alone.
 */
export class MoneyListIndexes1764880000000 implements MigrationInterface {
  name = 'MoneyListIndexes1764880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX top_up_organization_created_idx ON top_up (organization_id, created_at, id)`);
    await queryRunner.query(`CREATE INDEX top_up_status_created_idx ON top_up (status, created_at, id)`);
    await queryRunner.query(`CREATE INDEX top_up_created_idx ON top_up (created_at, id)`);
    await queryRunner.query(`CREATE INDEX payout_vendor_requested_idx ON payout (vendor_organization_id, requested_at, id)`);
    await queryRunner.query(`CREATE INDEX payout_status_requested_idx ON payout (status, requested_at, id)`);
    await queryRunner.query(`CREATE INDEX payout_requested_idx ON payout (requested_at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX payout_requested_idx`);
    await queryRunner.query(`DROP INDEX payout_status_requested_idx`);
    await queryRunner.query(`DROP INDEX payout_vendor_requested_idx`);
    await queryRunner.query(`DROP INDEX top_up_created_idx`);
    await queryRunner.query(`DROP INDEX top_up_status_created_idx`);
    await queryRunner.query(`DROP INDEX top_up_organization_created_idx`);
  }
}
