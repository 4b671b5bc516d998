import type { MigrationInterface, QueryRunner } from 'typeorm';
import { searchDocument } from '../search/search-document';

/**
 * Search cuts Thai, Lao, Khmer and Myanmar text into characters and pairs, as it does Chinese,
 * and cuts any other word after 64 characters (search-tokens.ts). Rows written before held such
 * text as whole runs, which the new queries no longer look for: the documents of published
 * listings with text in those scripts, or with a run of 64 letters or more, are written again.
 * The filter may take in a few more (a long hex digest in the metadata); writing those again
 * changes nothing.
 */
export class SearchTokensForUnspacedScripts1764500011000 implements MigrationInterface {
  readonly name = 'SearchTokensForUnspacedScripts1764500011000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const rows = (await queryRunner.query(
      `SELECT d.id, d.title, d.metadata, d.published_at
         FROM dataset d JOIN dataset_search s ON s.dataset_id = d.id
        WHERE (d.title || ' ' || d.metadata::text) ~ '[\\u0E00-\\u0EFF\\u1000-\\u109F\\u1780-\\u17FF\\u19E0-\\u19FF]|[^[:space:][:punct:]]{64,}'`,
    )) as { id: string; title: string; metadata: Record<string, unknown>; published_at: Date }[];
    for (const row of rows) {
      const { document } = searchDocument({ id: row.id, title: row.title, metadata: row.metadata, publishedAt: row.published_at }, []);
      await queryRunner.query(`UPDATE dataset_search SET document = $2::tsvector WHERE dataset_id = $1`, [row.id, document]);
    }
  }

  async down(): Promise<void> {
    // The documents stay as they are: the tokenizer they were written by is the one in the code.
  }
}
