import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rewriteSearchDocuments } from '../search/rewrite-documents';

/**
 * 普通话 and Mandarin, the names of Chinese as it is spoken, are now words of listings that hold
 * speech only (a speech corpus, or a multimodal one with a speech component): every listing
 * tagged `zh-CN` held them, so the two words found Chinese OCR images and legal text as well as
 * recordings. Every published listing's document is written again by the code that writes it now.
 */
export class SpokenLanguageNames1765800000000 implements MigrationInterface {
  readonly name = 'SpokenLanguageNames1765800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await rewriteSearchDocuments(queryRunner);
  }

  async down(): Promise<void> {
    // The documents stay as they are: the words they were written with are the ones in the code.
  }
}
