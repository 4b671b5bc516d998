import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage meters: the bytes delivered under each entitlement of a metered offer sold per GiB,
 * summed from delivery's `download.recorded` events (each applied once, through the inbox).
 */
export class CreateUsageMeters1764820000000 implements MigrationInterface {
  name = 'CreateUsageMeters1764820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE usage_meter (
        entitlement_id uuid PRIMARY KEY,
        order_id uuid NOT NULL,
        organization_id uuid NOT NULL,
        unit text NOT NULL CONSTRAINT usage_meter_unit_check CHECK (unit IN ('gib')),
        bytes bigint NOT NULL CONSTRAINT usage_meter_bytes_check CHECK (bytes >= 0),
        downloads integer NOT NULL CONSTRAINT usage_meter_downloads_check CHECK (downloads >= 0),
        first_download_at timestamptz NOT NULL,
        last_download_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX usage_meter_order_idx ON usage_meter (order_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_meter`);
  }
}
