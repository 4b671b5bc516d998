import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why an operator suspended an organization, for the organization to read in the 403 its keys
 * get: a vendor whose application was declined (suspended while pending) never learnt why.
 * Existing suspensions have none. Only a suspended organization may hold one, of 1 to 1,000
 * characters.
 */
export class OrganizationStatusReasons1764940000000 implements MigrationInterface {
  readonly name = 'OrganizationStatusReasons1764940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE organization ADD COLUMN status_reason text NULL
        CONSTRAINT organization_status_reason_check CHECK (status_reason IS NULL OR (status = 'suspended' AND length(status_reason) BETWEEN 1 AND 1000))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE organization DROP COLUMN status_reason`);
  }
}
