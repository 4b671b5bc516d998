import { ORGANIZATION_KINDS, ORGANIZATION_STATUSES, sqlIn } from '@trove/contracts';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The organization's kind and status constraints, rebuilt from the one definition of their
 * values in contracts (identity.ts) instead of the literals CreateIdentity wrote (the same
 * values). A later change to those arrays needs a new migration like this one: databases that
 * ran this one keep the values it found; the tripwire in libs/contracts/src/identity.spec.ts
 * says so when the arrays change.
 */
export class IdentityChecksFromContracts1764300009000 implements MigrationInterface {
  name = 'IdentityChecksFromContracts1764300009000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE organization
        DROP CONSTRAINT organization_kind_check,
        ADD CONSTRAINT organization_kind_check CHECK (${sqlIn('kind', ORGANIZATION_KINDS)}),
        DROP CONSTRAINT organization_status_check,
        ADD CONSTRAINT organization_status_check CHECK (${sqlIn('status', ORGANIZATION_STATUSES)})`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE organization
        DROP CONSTRAINT organization_kind_check,
        ADD CONSTRAINT organization_kind_check CHECK (kind IN ('vendor', 'buyer', 'admin')),
        DROP CONSTRAINT organization_status_check,
        ADD CONSTRAINT organization_status_check CHECK (status IN ('pending', 'active', 'suspended'))`);
  }
}
