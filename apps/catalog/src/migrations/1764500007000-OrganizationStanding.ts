import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The latest status the gateway reported for each organization
 * (`evt.gateway.organization.status-changed.v1`), with the time it was set, so that an older
 * change arriving late never replaces a newer one. While a vendor is `suspended` its published
 * listings are out of search, their pages are not public and their offers cannot be ordered;
 * the listings' own status is left alone. The status is kept as the gateway names it (its
 * contract checks the values): the catalog hides `suspended` and nothing else. Organizations
 * never reported have no row and count as in good standing.
 */
export class OrganizationStanding1764500007000 implements MigrationInterface {
  name = 'OrganizationStanding1764500007000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE organization_standing (
        organization_id uuid PRIMARY KEY,
        status text NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE organization_standing`);
  }
}
