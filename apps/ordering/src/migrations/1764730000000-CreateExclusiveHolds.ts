import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exclusive sales reserved in the catalog for orders not yet written: a placement records its
 * hold before it reserves, so a placement that fails, or a process that dies before the order's
 * transaction, leaves a row from which the sale is given back.
 */
export class CreateExclusiveHolds1764730000000 implements MigrationInterface {
  name = 'CreateExclusiveHolds1764730000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE exclusive_hold (
        order_id uuid PRIMARY KEY,
        buyer_organization_id uuid NOT NULL,
        token uuid NOT NULL,
        held_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX exclusive_hold_held_at_idx ON exclusive_hold (held_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE exclusive_hold`);
  }
}
