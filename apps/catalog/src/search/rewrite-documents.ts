import type { QueryRunner } from 'typeorm';
import { searchDocument } from './search-document';

/** Listings read, and documents written back, per statement. */
const BATCH = 500;

/**
 * Writes every published listing's search document again with the code that writes it now, 500
 * in one statement; a document that comes out the same is not touched. A migration that changes
 * what a document holds (new words, other tokens) runs this, so that rows written before do not
 * keep their old tokens until their listing next changes, with the same search finding new
 * listings and missing old ones.
 */
export async function rewriteSearchDocuments(queryRunner: QueryRunner): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = (await queryRunner.query(
      `SELECT d.id, d.title, d.metadata, d.published_at
         FROM dataset d JOIN dataset_search s ON s.dataset_id = d.id
        WHERE d.id > $1
        ORDER BY d.id
        LIMIT ${BATCH}`,
      [after],
    )) as { id: string; title: string; metadata: Record<string, unknown>; published_at: Date }[];
    if (rows.length === 0) return;
    const documents = rows.map((row) => searchDocument({ id: row.id, title: row.title, metadata: row.metadata, publishedAt: row.published_at }, []).document);
    await queryRunner.query(
      `UPDATE dataset_search s SET document = w.document::tsvector
         FROM unnest($1::uuid[], $2::text[]) AS w(dataset_id, document)
        WHERE s.dataset_id = w.dataset_id AND s.document IS DISTINCT FROM w.document::tsvector`,
      [rows.map((row) => row.id), documents],
    );
    if (rows.length < BATCH) return;
    after = rows[rows.length - 1].id;
  }
}
