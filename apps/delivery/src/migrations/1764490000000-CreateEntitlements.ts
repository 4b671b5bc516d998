import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Entitlements (one per paid order line, with the license terms it was sold under), the
 * versions each covers, the versions catalog released (for subscriptions), and the download
 * audit that usage metering reads.
 */
export class CreateEntitlements1764490000000 implements MigrationInterface {
  name = 'CreateEntitlements1764490000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE entitlement (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL,
        line_id text NOT NULL,
        buyer_organization_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        offer_id uuid NOT NULL,
        license_template text NOT NULL,
        terms jsonb NOT NULL,
        terms_sha256 text NOT NULL,
        pricing jsonb NOT NULL,
        covers_future_versions boolean NOT NULL,
        status text NOT NULL DEFAULT 'active' CONSTRAINT entitlement_status_check CHECK (status IN ('active', 'revoked', 'expired')),
        granted_at timestamptz NOT NULL,
        expires_at timestamptz NULL,
        ended_at timestamptz NULL,
        CONSTRAINT entitlement_line_key UNIQUE (order_id, line_id)
      )`);
    await queryRunner.query(`CREATE INDEX entitlement_buyer_idx ON entitlement (buyer_organization_id, granted_at)`);
    await queryRunner.query(`CREATE INDEX entitlement_subscription_idx ON entitlement (dataset_id) WHERE covers_future_versions AND status = 'active'`);
    await queryRunner.query(`
      CREATE TABLE entitlement_version (
        entitlement_id uuid NOT NULL REFERENCES entitlement (id),
        version_id uuid NOT NULL,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (entitlement_id, version_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE released_version (
        version_id uuid PRIMARY KEY,
        dataset_id uuid NOT NULL,
        version text NOT NULL,
        released_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX released_version_dataset_idx ON released_version (dataset_id, released_at)`);
    await queryRunner.query(`
      CREATE TABLE download (
        id uuid PRIMARY KEY,
        entitlement_id uuid NOT NULL REFERENCES entitlement (id),
        organization_id uuid NOT NULL,
        key_id text NOT NULL,
        object_key text NOT NULL,
        version_id uuid NOT NULL,
        path text NOT NULL,
        range_start bigint NOT NULL CONSTRAINT download_range_check CHECK (range_start >= 0),
        bytes_sent bigint NOT NULL CONSTRAINT download_bytes_check CHECK (bytes_sent >= 0),
        complete boolean NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX download_entitlement_idx ON download (entitlement_id, object_key)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE download`);
    await queryRunner.query(`DROP TABLE released_version`);
    await queryRunner.query(`DROP TABLE entitlement_version`);
    await queryRunner.query(`DROP TABLE entitlement`);
  }
}
