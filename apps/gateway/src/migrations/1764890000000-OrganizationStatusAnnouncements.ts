import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an organization's status last changed, and when the gateway last told the other services
 * about it. The event stream keeps events for 7 days, so a service that starts reading it later
 * (a new consumer, a new service) would never learn of a suspension older than that; the gateway
 * announces every suspension again before its last announcement leaves the stream. Existing
 * rows take their last update as both times: the change can be no later than that.
 */
export class OrganizationStatusAnnouncements1764890000000 implements MigrationInterface {
  readonly name = 'OrganizationStatusAnnouncements1764890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE organization ADD COLUMN status_changed_at timestamptz(3), ADD COLUMN status_announced_at timestamptz(3)`);
    await queryRunner.query(`UPDATE organization SET status_changed_at = updated_at, status_announced_at = updated_at WHERE status = 'suspended'`);
    await queryRunner.query(`CREATE INDEX organization_suspension_announced_idx ON organization (status_announced_at) WHERE status = 'suspended'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX organization_suspension_announced_idx`);
    await queryRunner.query(`ALTER TABLE organization DROP COLUMN status_announced_at, DROP COLUMN status_changed_at`);
  }
}
