import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The published set's generation: one row whose number goes up in the same transaction as any
 * statement that changes a row of `dataset_search` (statement-level triggers on the partitioned
 * table, which see every partition). The catalog's answer cache (`search-cache.ts`) keeps an
 * answer with the generation its statement saw and serves it only while a search still reads
 * that generation, so a publish, suspension, edit or offer change is seen by the very next
 * search, on every replica. A statement that changes no row (the indexer deleting the row of a
 * draft that never had one) leaves the generation alone, so editing drafts does not empty the
 * cache.
 */
export class SearchGeneration1764500003000 implements MigrationInterface {
  name = 'SearchGeneration1764500003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE search_generation (
        id boolean PRIMARY KEY DEFAULT true CONSTRAINT search_generation_one_row CHECK (id),
        generation bigint NOT NULL
      )`);
    await queryRunner.query(`INSERT INTO search_generation (id, generation) VALUES (true, 1)`);
    await queryRunner.query(`
      CREATE FUNCTION search_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM changed_rows) THEN
          UPDATE search_generation SET generation = generation + 1 WHERE id;
        END IF;
        RETURN NULL;
      END $$`);
    // A transition table belongs to one event, hence a trigger per event.
    await queryRunner.query(
      `CREATE TRIGGER search_generation_insert AFTER INSERT ON dataset_search REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION search_generation_bump()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER search_generation_update AFTER UPDATE ON dataset_search REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION search_generation_bump()`,
    );
    await queryRunner.query(
      `CREATE TRIGGER search_generation_delete AFTER DELETE ON dataset_search REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION search_generation_bump()`,
    );
    // TRUNCATE has no transition table; it always changes the answer of some search.
    await queryRunner.query(`
      CREATE FUNCTION search_generation_bump_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE search_generation SET generation = generation + 1 WHERE id;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER search_generation_truncate AFTER TRUNCATE ON dataset_search FOR EACH STATEMENT EXECUTE FUNCTION search_generation_bump_truncate()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const event of ['insert', 'update', 'delete', 'truncate']) await queryRunner.query(`DROP TRIGGER search_generation_${event} ON dataset_search`);
    await queryRunner.query(`DROP FUNCTION search_generation_bump_truncate()`);
    await queryRunner.query(`DROP FUNCTION search_generation_bump()`);
    await queryRunner.query(`DROP TABLE search_generation`);
  }
}
