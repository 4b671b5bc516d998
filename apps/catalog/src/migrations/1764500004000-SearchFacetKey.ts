import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each search row keeps everything the facets count in one text column, `facet_key`
 * (`modality|domain|languages|licenses`, lists comma-separated; `facetKey` in
 * search-document.ts), so a search groups its matches by one text value instead of two texts
 * and two arrays, and carries only the columns ordering and counting need. Rows written
 * before get the same text computed here.
 */
export class SearchFacetKey1764500004000 implements MigrationInterface {
  name = 'SearchFacetKey1764500004000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dataset_search ADD COLUMN facet_key text`);
    await queryRunner.query(
      `UPDATE dataset_search SET facet_key = modality || '|' || domain || '|' || array_to_string(languages, ',') || '|' || array_to_string(licenses, ',')`,
    );
    await queryRunner.query(`ALTER TABLE dataset_search ALTER COLUMN facet_key SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE dataset_search DROP COLUMN facet_key`);
  }
}
