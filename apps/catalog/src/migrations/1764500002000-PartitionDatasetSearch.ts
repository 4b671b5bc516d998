import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One partition of `dataset_search` per modality (their names are part of the schema). */
const MODALITIES = ['speech', 'image', 'video', 'text', 'dialogue', 'point_cloud', 'multimodal'];

const COLUMNS = 'dataset_id, modality, domain, languages, language_keys, annotation_types, licenses, min_prices, document, published_at, refresh_at';

/**
 * `dataset_search` split by modality (LIST partitions), so the rows of one modality share
 * their pages. A broad word (`语音`, `speech`, `激光雷达`) matches mostly one modality: over
 * 100,000 rows its 14,000 matches sat on 12,900 of the table's 13,000 pages and each search
 * read them all (70-180 ms on a busy machine); packed together they sit on 1,900 pages
 * (15-20 ms). A `modality` filter now reads one partition only. A dataset whose modality is
 * edited moves to its new partition (`SearchRepository.upsert`).
 *
 * Per-partition indexes are created before the parent's, which adopts them, so their names
 * stay recognisable in plans (`dataset_search_document_idx_speech`).
 */
export class PartitionDatasetSearch1764500002000 implements MigrationInterface {
  name = 'PartitionDatasetSearch1764500002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dataset_search RENAME TO dataset_search_unpartitioned`);
    await queryRunner.query(`
      CREATE TABLE dataset_search (
        dataset_id uuid NOT NULL CONSTRAINT dataset_search_dataset_fk REFERENCES dataset (id),
        modality text NOT NULL,
        domain text NOT NULL,
        languages text[] NOT NULL,
        language_keys text[] NOT NULL,
        annotation_types text[] NOT NULL,
        licenses text[] NOT NULL,
        min_prices jsonb NOT NULL,
        document tsvector NOT NULL,
        published_at timestamptz NOT NULL,
        refresh_at timestamptz NULL
      ) PARTITION BY LIST (modality)`);
    const partitions = [...MODALITIES.map((m) => ({ suffix: m, bound: `FOR VALUES IN ('${m}')` })), { suffix: 'other', bound: 'DEFAULT' }];
    for (const { suffix, bound } of partitions) {
      const table = `dataset_search_${suffix}`;
      // Many small searches at once: a search split across parallel workers only adds their start-up.
      await queryRunner.query(`CREATE TABLE ${table} PARTITION OF dataset_search ${bound} WITH (parallel_workers = 0)`);
      await queryRunner.query(`CREATE INDEX dataset_search_document_idx_${suffix} ON ${table} USING gin (document)`);
      await queryRunner.query(`CREATE INDEX dataset_search_newest_idx_${suffix} ON ${table} (published_at DESC, dataset_id DESC)`);
      await queryRunner.query(`CREATE INDEX dataset_search_domain_idx_${suffix} ON ${table} (domain, published_at DESC)`);
      await queryRunner.query(`CREATE INDEX dataset_search_language_idx_${suffix} ON ${table} USING gin (language_keys)`);
      await queryRunner.query(`CREATE INDEX dataset_search_annotation_idx_${suffix} ON ${table} USING gin (annotation_types)`);
      await queryRunner.query(`CREATE INDEX dataset_search_license_idx_${suffix} ON ${table} USING gin (licenses)`);
      await queryRunner.query(`CREATE INDEX dataset_search_refresh_idx_${suffix} ON ${table} (refresh_at) WHERE refresh_at IS NOT NULL`);
    }
    await queryRunner.query(`INSERT INTO dataset_search (${COLUMNS}) SELECT ${COLUMNS} FROM dataset_search_unpartitioned`);
    await queryRunner.query(`DROP TABLE dataset_search_unpartitioned`);
    // A unique key of a partitioned table includes the partition key; one row per dataset
    // holds because a dataset has one modality and the indexer replaces its row.
    await queryRunner.query(`ALTER TABLE dataset_search ADD CONSTRAINT dataset_search_pkey PRIMARY KEY (dataset_id, modality)`);
    await queryRunner.query(`CREATE INDEX dataset_search_document_idx ON dataset_search USING gin (document)`);
    await queryRunner.query(`CREATE INDEX dataset_search_newest_idx ON dataset_search (published_at DESC, dataset_id DESC)`);
    await queryRunner.query(`CREATE INDEX dataset_search_domain_idx ON dataset_search (domain, published_at DESC)`);
    await queryRunner.query(`CREATE INDEX dataset_search_language_idx ON dataset_search USING gin (language_keys)`);
    await queryRunner.query(`CREATE INDEX dataset_search_annotation_idx ON dataset_search USING gin (annotation_types)`);
    await queryRunner.query(`CREATE INDEX dataset_search_license_idx ON dataset_search USING gin (licenses)`);
    await queryRunner.query(`CREATE INDEX dataset_search_refresh_idx ON dataset_search (refresh_at) WHERE refresh_at IS NOT NULL`);
    await queryRunner.query(`ANALYZE dataset_search`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dataset_search RENAME TO dataset_search_partitioned`);
    await queryRunner.query(`ALTER TABLE dataset_search_partitioned DROP CONSTRAINT dataset_search_dataset_fk`);
    for (const index of ['document', 'newest', 'domain', 'language', 'annotation', 'license', 'refresh']) {
      await queryRunner.query(`DROP INDEX dataset_search_${index}_idx`);
    }
    await queryRunner.query(`ALTER TABLE dataset_search_partitioned DROP CONSTRAINT dataset_search_pkey`);
    await queryRunner.query(`
      CREATE TABLE dataset_search (
        dataset_id uuid PRIMARY KEY CONSTRAINT dataset_search_dataset_fk REFERENCES dataset (id),
        modality text NOT NULL, domain text NOT NULL, languages text[] NOT NULL, language_keys text[] NOT NULL,
        annotation_types text[] NOT NULL, licenses text[] NOT NULL, min_prices jsonb NOT NULL, document tsvector NOT NULL,
        published_at timestamptz NOT NULL, refresh_at timestamptz NULL
      ) WITH (parallel_workers = 0)`);
    await queryRunner.query(`INSERT INTO dataset_search (${COLUMNS}) SELECT ${COLUMNS} FROM dataset_search_partitioned`);
    await queryRunner.query(`DROP TABLE dataset_search_partitioned`);
    await queryRunner.query(`CREATE INDEX dataset_search_document_idx ON dataset_search USING gin (document)`);
    await queryRunner.query(`CREATE INDEX dataset_search_newest_idx ON dataset_search (published_at DESC, dataset_id DESC)`);
    await queryRunner.query(`CREATE INDEX dataset_search_modality_idx ON dataset_search (modality, published_at DESC)`);
    await queryRunner.query(`CREATE INDEX dataset_search_domain_idx ON dataset_search (domain, published_at DESC)`);
    await queryRunner.query(`CREATE INDEX dataset_search_language_idx ON dataset_search USING gin (language_keys)`);
    await queryRunner.query(`CREATE INDEX dataset_search_annotation_idx ON dataset_search USING gin (annotation_types)`);
    await queryRunner.query(`CREATE INDEX dataset_search_license_idx ON dataset_search USING gin (licenses)`);
    await queryRunner.query(`CREATE INDEX dataset_search_refresh_idx ON dataset_search (refresh_at) WHERE refresh_at IS NOT NULL`);
  }
}
