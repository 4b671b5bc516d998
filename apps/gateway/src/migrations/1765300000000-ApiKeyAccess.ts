import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a key may do within its role (contracts' API_KEY_ACCESS): `full` for every key made so
 * far, as they could do everything; `read` for keys that may only GET and HEAD.
 */
export class ApiKeyAccess1765300000000 implements MigrationInterface {
  readonly name = 'ApiKeyAccess1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE api_key ADD COLUMN access text NOT NULL DEFAULT 'full'
        CONSTRAINT api_key_access_check CHECK (access IN ('full', 'read'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_key DROP COLUMN access`);
  }
}
