import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `GET /v1/entitlements` pages newest first by (granted_at, id): the buyer's index gains the id,
 * so a page is one range of it, read in order, wherever its cursor points (the entitlements of
 * one order share their grant time).
 */
export class EntitlementPages1764850000000 implements MigrationInterface {
  name = 'EntitlementPages1764850000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX entitlement_buyer_page_idx ON entitlement (buyer_organization_id, granted_at, id)`);
    await queryRunner.query(`DROP INDEX entitlement_buyer_idx`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX entitlement_buyer_idx ON entitlement (buyer_organization_id, granted_at)`);
    await queryRunner.query(`DROP INDEX entitlement_buyer_page_idx`);
  }
}
