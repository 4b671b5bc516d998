import type { MigrationInterface, QueryRunner } from 'typeorm';
import { searchDocument, type SearchableOffer } from '../search/search-document';
import { searchDocumentParams, upsertSearchDocumentSql } from '../search/search.repository';

/**
 * Search rows keep only what search filters, counts, sorts and ranks by: a broad query reads
 * thousands of them, and narrow rows are what keeps it fast. What a result shows (title,
 * summary, tags, vendor) is read from the page's own `dataset` rows. Datasets already
 * published are indexed here.
 */
export class NarrowDatasetSearch1764500001000 implements MigrationInterface {
  name = 'NarrowDatasetSearch1764500001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE dataset_search
        DROP COLUMN vendor_organization_id, DROP COLUMN title, DROP COLUMN title_en, DROP COLUMN summary, DROP COLUMN tags`);
    // The planner prices `tsvector @@ tsquery` like an integer comparison, so for a word in one
    // listing of seven it scans every row and matches each document (90 ms over 100,000 rows)
    // instead of reading the GIN index (25 ms). Its real cost, in this database only; it takes
    // a superuser, and without one search still works, slower on broad queries.
    await queryRunner.query(`
      DO $$ BEGIN
        ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 100;
      EXCEPTION WHEN insufficient_privilege THEN
        RAISE WARNING 'search: only a superuser can tell the planner what tsvector @@ tsquery costs; broad searches will scan dataset_search';
      END $$`);
    // Many small searches at once: a search split across parallel workers only adds their start-up.
    await queryRunner.query(`ALTER TABLE dataset_search SET (parallel_workers = 0)`);
    await queryRunner.query(`TRUNCATE dataset_search`);
    const published = (await queryRunner.query(
      `SELECT d.id, d.title, d.metadata, d.published_at,
              coalesce((SELECT json_agg(json_build_object('template', o.template, 'priceAmount', o.price_amount, 'currency', o.currency, 'expiresAt', o.expires_at))
                        FROM offer o WHERE o.dataset_id = d.id AND o.status = 'active' AND o.buyer_org_id IS NULL
                          AND (o.expires_at IS NULL OR o.expires_at > now())), '[]'::json) AS offers
       FROM dataset d WHERE d.status = 'published' AND d.published_at IS NOT NULL`,
    )) as { id: string; title: string; metadata: Record<string, unknown>; published_at: Date; offers: (Omit<SearchableOffer, 'expiresAt'> & { expiresAt: string | null })[] }[];
    for (const row of published) {
      const document = searchDocument(
        { id: row.id, title: row.title, metadata: row.metadata, publishedAt: row.published_at },
        row.offers.map((o) => ({ ...o, priceAmount: Number(o.priceAmount), expiresAt: o.expiresAt ? new Date(o.expiresAt) : null })),
      );
      await queryRunner.query(upsertSearchDocumentSql, searchDocumentParams(document));
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DO $$ BEGIN ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 1; EXCEPTION WHEN insufficient_privilege THEN NULL; END $$`);
    await queryRunner.query(`
      ALTER TABLE dataset_search
        ADD COLUMN vendor_organization_id uuid NULL, ADD COLUMN title text NULL, ADD COLUMN title_en text NULL,
        ADD COLUMN summary text NULL, ADD COLUMN tags text[] NULL`);
  }
}
