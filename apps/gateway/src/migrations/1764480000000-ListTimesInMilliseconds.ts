import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The times that order the gateway's paged lists (organizations, keys, audit) are kept to the
 * millisecond, the precision of the cursor that carries them. With microseconds in the column,
 * rows written in the same millisecond as a page's last row sorted after it yet compared above
 * the cursor, and the next page skipped them.
 */
export class ListTimesInMilliseconds1764480000000 implements MigrationInterface {
  readonly name = 'ListTimesInMilliseconds1764480000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE organization ALTER COLUMN created_at TYPE timestamptz(3)`);
    await queryRunner.query(`ALTER TABLE api_key ALTER COLUMN created_at TYPE timestamptz(3)`);
    await queryRunner.query(`ALTER TABLE audit_event ALTER COLUMN at TYPE timestamptz(3)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE audit_event ALTER COLUMN at TYPE timestamptz`);
    await queryRunner.query(`ALTER TABLE api_key ALTER COLUMN created_at TYPE timestamptz`);
    await queryRunner.query(`ALTER TABLE organization ALTER COLUMN created_at TYPE timestamptz`);
  }
}
