import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many published datasets have each `facet_key` (modality|domain|languages|licenses),
 * kept by statement-level triggers in the same transaction as every change to
 * `dataset_search`. A search without words, annotation or price cap filters only on what
 * `facet_key` holds, so its total and facet counts are sums over this table's few hundred rows
 * instead of a pass over every listing (search-query.ts), and its page comes from an index in
 * the order asked: by newest (`dataset_search_newest_idx`) or by CNY price (the index made
 * here). Both answers stay exact: the counts change in the transaction that changes the rows.
 *
 * The triggers are named `search_tally_*` so that they fire after `search_generation_*` (a
 * statement's triggers fire in name order): every writer then locks the generation row before
 * any count, and two writers cannot each hold a count the other one waits for.
 */
/** The price search orders by (search-query.ts), in yuan; listings without a yuan offer last. */
const PRICE_CNY = `(coalesce((min_prices ->> 'CNY')::bigint, 9223372036854775807))`;

export class SearchFacetTally1764500005000 implements MigrationInterface {
  name = 'SearchFacetTally1764500005000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE search_facet_tally (facet_key text PRIMARY KEY, datasets integer NOT NULL)`);
    // One statement per firing, keys in order: the rows it locks are always locked in the same order.
    await queryRunner.query(`
      CREATE FUNCTION search_tally() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          UPDATE search_facet_tally SET datasets = 0 WHERE datasets <> 0;
        ELSIF TG_OP = 'INSERT' THEN
          INSERT INTO search_facet_tally (facet_key, datasets)
            SELECT facet_key, count(*) FROM new_rows GROUP BY facet_key ORDER BY facet_key
            ON CONFLICT (facet_key) DO UPDATE SET datasets = search_facet_tally.datasets + EXCLUDED.datasets;
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO search_facet_tally (facet_key, datasets)
            SELECT facet_key, -count(*) FROM old_rows GROUP BY facet_key ORDER BY facet_key
            ON CONFLICT (facet_key) DO UPDATE SET datasets = search_facet_tally.datasets + EXCLUDED.datasets;
        ELSE
          INSERT INTO search_facet_tally (facet_key, datasets)
            SELECT facet_key, sum(change) FROM (
              SELECT facet_key, -1 AS change FROM old_rows UNION ALL SELECT facet_key, 1 FROM new_rows
            ) moved GROUP BY facet_key HAVING sum(change) <> 0 ORDER BY facet_key
            ON CONFLICT (facet_key) DO UPDATE SET datasets = search_facet_tally.datasets + EXCLUDED.datasets;
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER search_tally_insert AFTER INSERT ON dataset_search REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_tally()`);
    await queryRunner.query(
      `CREATE TRIGGER search_tally_update AFTER UPDATE ON dataset_search REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_tally()`,
    );
    await queryRunner.query(`CREATE TRIGGER search_tally_delete AFTER DELETE ON dataset_search REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_tally()`);
    await queryRunner.query(`CREATE TRIGGER search_tally_truncate AFTER TRUNCATE ON dataset_search FOR EACH STATEMENT EXECUTE FUNCTION search_tally()`);
    await queryRunner.query(`INSERT INTO search_facet_tally (facet_key, datasets) SELECT facet_key, count(*) FROM dataset_search GROUP BY facet_key`);
    // The page of `sort=price` in yuan, the default currency: the same expression the statement
    // orders by, so the rows come in order and the first page reads a page's worth of them.
    // Named per partition as the others are (the parent's index takes them in when it is made).
    const partitions = (await queryRunner.query(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'dataset_search'::regclass ORDER BY 1`,
    )) as { relname: string }[];
    for (const { relname } of partitions) {
      await queryRunner.query(`CREATE INDEX dataset_search_price_cny_idx_${relname.replace(/^dataset_search_/, '')} ON ${relname} (${PRICE_CNY}, dataset_id)`);
    }
    await queryRunner.query(`CREATE INDEX dataset_search_price_cny_idx ON dataset_search (${PRICE_CNY}, dataset_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX dataset_search_price_cny_idx`);
    for (const event of ['insert', 'update', 'delete', 'truncate']) await queryRunner.query(`DROP TRIGGER search_tally_${event} ON dataset_search`);
    await queryRunner.query(`DROP FUNCTION search_tally()`);
    await queryRunner.query(`DROP TABLE search_facet_tally`);
  }
}
