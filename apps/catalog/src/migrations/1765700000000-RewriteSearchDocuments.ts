import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewriteSearchDocuments } from '../search/rewrite-documents';

/**
 * Search learned words the documents written before did not hold: a language's own name
 * (`日本語` for a listing tagged `ja`, `한국어` for `ko`), and grouped numbers read as numbers
 * (`2,000 小时` found by `2000小时`, `16,000Hz` by `16000`). Every published listing's document
 * is written again by the code that writes it now.
 */
export class RewriteSearchDocuments1765700000000 implements MigrationInterface {
  readonly name = 'RewriteSearchDocuments1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rewriteSearchDocuments(queryRunner);
  }

  async down(): Promise<void> {
    // The documents stay as they are: the tokenizer they were written by is the one in the code.
  }
}
