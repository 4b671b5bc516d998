import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Listings' metadata and moderation, versions and their files, offers, samples, profiles. */
export class CreateCatalog1764400000000 implements MigrationInterface {
  name = 'CreateCatalog1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dataset
        ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        ADD COLUMN rejection_reason text NULL,
        ADD COLUMN submitted_at timestamptz NULL,
        ADD COLUMN published_at timestamptz NULL`);
    await queryRunner.query(`CREATE INDEX dataset_vendor_status_idx ON dataset (vendor_organization_id, status, created_at, id)`);
    await queryRunner.query(`
      CREATE TABLE dataset_version (
        id uuid PRIMARY KEY,
        dataset_id uuid NOT NULL CONSTRAINT dataset_version_dataset_fk REFERENCES dataset (id),
        version text NOT NULL,
        changelog text NULL,
        status text NOT NULL CONSTRAINT dataset_version_status_check CHECK (status IN ('open', 'released')),
        created_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz NULL,
        CONSTRAINT dataset_version_version_key UNIQUE (dataset_id, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE version_file (
        version_id uuid NOT NULL CONSTRAINT version_file_version_fk REFERENCES dataset_version (id),
        path text NOT NULL,
        size bigint NOT NULL CONSTRAINT version_file_size_check CHECK (size >= 0),
        sha256 text NOT NULL CONSTRAINT version_file_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        storage_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (version_id, path)
      )`);
    await queryRunner.query(`
      CREATE TABLE offer (
        id uuid PRIMARY KEY,
        dataset_id uuid NOT NULL CONSTRAINT offer_dataset_fk REFERENCES dataset (id),
        template text NOT NULL,
        terms jsonb NOT NULL,
        terms_sha256 text NOT NULL CONSTRAINT offer_terms_sha256_check CHECK (terms_sha256 ~ '^[0-9a-f]{64}$'),
        exclusive boolean NOT NULL,
        pricing jsonb NOT NULL,
        price_amount bigint NOT NULL CONSTRAINT offer_price_amount_check CHECK (price_amount >= 0),
        currency text NOT NULL CONSTRAINT offer_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
        requires_approval boolean NOT NULL DEFAULT false,
        buyer_org_id uuid NULL,
        expires_at timestamptz NULL,
        status text NOT NULL DEFAULT 'active' CONSTRAINT offer_status_check CHECK (status IN ('active', 'withdrawn')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX offer_dataset_idx ON offer (dataset_id)`);
    await queryRunner.query(`
      CREATE TABLE exclusive_sale (
        id uuid PRIMARY KEY,
        dataset_id uuid NOT NULL CONSTRAINT exclusive_sale_dataset_fk REFERENCES dataset (id),
        offer_id uuid NOT NULL CONSTRAINT exclusive_sale_offer_fk REFERENCES offer (id),
        buyer_org_id uuid NOT NULL,
        order_id uuid NOT NULL CONSTRAINT exclusive_sale_order_key UNIQUE,
        terms jsonb NOT NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NULL,
        status text NOT NULL DEFAULT 'live' CONSTRAINT exclusive_sale_status_check CHECK (status IN ('live', 'released')),
        created_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz NULL
      )`);
    await queryRunner.query(`CREATE INDEX exclusive_sale_dataset_idx ON exclusive_sale (dataset_id, status)`);
    await queryRunner.query(`
      CREATE TABLE sample (
        id uuid PRIMARY KEY,
        dataset_id uuid NOT NULL CONSTRAINT sample_dataset_fk REFERENCES dataset (id),
        path text NOT NULL,
        size bigint NOT NULL CONSTRAINT sample_size_check CHECK (size >= 0),
        sha256 text NOT NULL CONSTRAINT sample_sha256_check CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        storage_key text NOT NULL,
        content_type text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT sample_dataset_path_key UNIQUE (dataset_id, path)
      )`);
    await queryRunner.query(`
      CREATE TABLE vendor_profile (
        organization_id uuid PRIMARY KEY,
        display_name_zh text NOT NULL,
        display_name_en text NOT NULL,
        description text NULL,
        website text NULL,
        certifications jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE vendor_profile`);
    await queryRunner.query(`DROP TABLE sample`);
    await queryRunner.query(`DROP TABLE exclusive_sale`);
    await queryRunner.query(`DROP TABLE offer`);
    await queryRunner.query(`DROP TABLE version_file`);
    await queryRunner.query(`DROP TABLE dataset_version`);
    await queryRunner.query(`DROP INDEX dataset_vendor_status_idx`);
    await queryRunner.query(`ALTER TABLE dataset DROP COLUMN metadata, DROP COLUMN rejection_reason, DROP COLUMN submitted_at, DROP COLUMN published_at`);
  }
}
