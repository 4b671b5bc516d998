import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit trail of one object (an organization, a listing, an order), newest first: `GET /v1/admin/audit?target=`. */
export class AuditByTarget1764900000000 implements MigrationInterface {
  readonly name = 'AuditByTarget1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX audit_event_target_idx ON audit_event (target_id, at, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX audit_event_target_idx`);
  }
}
