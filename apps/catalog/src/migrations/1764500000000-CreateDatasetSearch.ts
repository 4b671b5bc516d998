import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The search projection: one row per published dataset, kept by the search indexer in the same
 * transaction as every change to a dataset, its versions or its offers. `document` is a
 * tsvector of tokens made by the application (CJK characters and pairs, lower-cased words), so
 * the GIN index serves Chinese one- and two-character queries on any cluster locale.
 */
export class CreateDatasetSearch1764500000000 implements MigrationInterface {
  name = 'CreateDatasetSearch1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE dataset_search (
        dataset_id uuid PRIMARY KEY CONSTRAINT dataset_search_dataset_fk REFERENCES dataset (id),
        vendor_organization_id uuid NOT NULL,
        title text NOT NULL,
        title_en text NULL,
        summary text NOT NULL,
        modality text NOT NULL,
        domain text NOT NULL,
        languages text[] NOT NULL,
        language_keys text[] NOT NULL,
        annotation_types text[] NOT NULL,
        tags text[] NOT NULL,
        licenses text[] NOT NULL,
        min_prices jsonb NOT NULL,
        document tsvector NOT NULL,
        published_at timestamptz NOT NULL,
        refresh_at timestamptz NULL
      )`);
    await queryRunner.query(`CREATE INDEX dataset_search_document_idx ON dataset_search USING gin (document)`);
    await queryRunner.query(`CREATE INDEX dataset_search_newest_idx ON dataset_search (published_at DESC, dataset_id DESC)`);
    await queryRunner.query(`CREATE INDEX dataset_search_modality_idx ON dataset_search (modality, published_at DESC)`);
    await queryRunner.query(`CREATE INDEX dataset_search_domain_idx ON dataset_search (domain, published_at DESC)`);
    await queryRunner.query(`CREATE INDEX dataset_search_language_idx ON dataset_search USING gin (language_keys)`);
    await queryRunner.query(`CREATE INDEX dataset_search_annotation_idx ON dataset_search USING gin (annotation_types)`);
    await queryRunner.query(`CREATE INDEX dataset_search_license_idx ON dataset_search USING gin (licenses)`);
    await queryRunner.query(`CREATE INDEX dataset_search_refresh_idx ON dataset_search (refresh_at) WHERE refresh_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE dataset_search`);
  }
}
