import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewriteSearchDocuments } from '../search/rewrite-documents';

/**
 * Search reads Latin and Greek letters without their accents, in listings and queries alike
 * (`search-tokens.ts`): `cafe` finds `Café`, `resume` finds `résumé`, `lodz` finds `Łódź`.
 * Every published listing's document is written again by the code that writes it now, or a
 * listing indexed before would keep `café` and be found by `café` alone, which a query no
 * longer asks for.
 */
export class SearchWithoutAccents1766100000000 implements MigrationInterface {
  readonly name = 'SearchWithoutAccents1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rewriteSearchDocuments(queryRunner);
  }

  async down(): Promise<void> {
    // The documents stay as they are: the words they were written with are the ones in the code.
  }
}
