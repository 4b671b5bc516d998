import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewriteSearchDocuments } from '../search/rewrite-documents';

/**
 * Search reads an English plural in `es` after `x`, `ch`, `sh` and `ss` as its singular, in
 * listings and queries alike (`normalizeWord` in `search-tokens.ts`): `3D box` finds
 * `LiDAR Point Clouds with 3D Boxes`, which held `boxe` and was found by `boxes` alone.
 * Every published listing's document is written again by the code that writes it now, or a
 * listing indexed before would keep `boxe`, which no query asks for any more.
 */
export class SearchPluralEndings1766200000000 implements MigrationInterface {
  readonly name = 'SearchPluralEndings1766200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rewriteSearchDocuments(queryRunner);
  }

  async down(): Promise<void> {
    // The documents stay as they are: the words they were written with are the ones in the code.
  }
}
