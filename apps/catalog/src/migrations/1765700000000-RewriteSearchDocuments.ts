import type { MigrationInterface, QueryRunner } from 'typeorm';
import { searchDocument } from '../search/search-document';

/** Listings read, and documents written back, per statement. */
const BATCH = 500;

/**
 * Search learned words the documents written before did not hold: a language's own name
 * (`日本語` for a listing tagged `ja`, `한국어` for `ko`), and grouped numbers read as numbers
 * (`2,000 小时` found by `2000小时`, `16,000Hz` by `16000`). Rows written before kept their old
 * tokens until their listing next changed, so the same search found new listings and missed
 * old ones. Every published listing's document is written again by the code that writes it
 * now, 500 in one statement; a document that comes out the same is not touched.
 */
export class RewriteSearchDocuments1765700000000 implements MigrationInterface {
  readonly name = 'RewriteSearchDocuments1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
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

  async down(): Promise<void> {
    // The documents stay as they are: the tokenizer they were written by is the one in the code.
  }
}
