import type { MigrationInterface, QueryRunner } from 'typeorm';
import { searchDocument } from '../search/search-document';
import { toSimplified } from '../search/search-tokens';

/** Listings read per statement while their documents are written again. */
const BATCH = 500;

/**
 * Search folds traditional Chinese to simplified in documents and queries (search-tokens.ts). Rows
 * written before held `廣東話` as itself, which the folded query `广东话` no longer finds: the
 * documents of published listings whose title or metadata reads differently once folded are
 * written again. Text with no traditional character is left as it was.
 */
export class SearchTraditionalChinese1765100000000 implements MigrationInterface {
  readonly name = 'SearchTraditionalChinese1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = (await queryRunner.query(
        `SELECT d.id, d.title, d.metadata, d.published_at
           FROM dataset d JOIN dataset_search s ON s.dataset_id = d.id
          WHERE d.id > $1 AND (d.title || ' ' || d.metadata::text) ~ '[\\u3400-\\u4DBF\\u4E00-\\u9FFF\\uF900-\\uFAFF]'
          ORDER BY d.id
          LIMIT ${BATCH}`,
        [after],
      )) as { id: string; title: string; metadata: Record<string, unknown>; published_at: Date }[];
      for (const row of rows) {
        const text = `${row.title} ${JSON.stringify(row.metadata)}`;
        if (toSimplified(text) === text) continue;
        const { document } = searchDocument({ id: row.id, title: row.title, metadata: row.metadata, publishedAt: row.published_at }, []);
        await queryRunner.query(`UPDATE dataset_search SET document = $2::tsvector WHERE dataset_id = $1`, [row.id, document]);
      }
      if (rows.length < BATCH) return;
      after = rows[rows.length - 1].id;
    }
  }

  async down(): Promise<void> {
    // The documents stay as they are: the tokenizer they were written by is the one in the code.
  }
}
