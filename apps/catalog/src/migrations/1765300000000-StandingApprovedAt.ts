import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an operator first approved the organization (`approved_at`), kept through a later
 * suspension. A vendor's display names are reserved once it was approved, suspended or not, and
 * never while it only awaited approval: the latest status alone could not tell an approved vendor
 * suspended for its paperwork (whose names an impostor must not take meanwhile) from a sign-up an
 * operator declined (which reserves nothing). Organizations active now count as approved then.
 */
export class StandingApprovedAt1765300000000 implements MigrationInterface {
  readonly name = 'StandingApprovedAt1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE organization_standing ADD COLUMN approved_at timestamptz`);
    await queryRunner.query(`UPDATE organization_standing SET approved_at = changed_at WHERE status = 'active'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE organization_standing DROP COLUMN approved_at`);
  }
}
