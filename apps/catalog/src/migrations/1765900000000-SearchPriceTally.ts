import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How many published datasets have each `facet_key` at each yuan price band, so that a search
 * with a price cap in yuan and no words or annotation is tallied as one without a cap is
 * (migration 1764500005000): the bands wholly under the cap are summed from this table, and only
 * the listings of the band the cap falls in are read, through `dataset_search_price_cny_idx`.
 * Before, `maxPrice=50000000` read and grouped every one of 100,000 listings (about 230 ms).
 *
 * A band holds the prices with the same leading digit and number of digits (a price under 10 fen
 * is a band of its own): 1,000,000-1,999,999 fen, 2,000,000-2,999,999, ... `search_price_band`
 * gives a price's band, and the statement asks it for the cap's band, so both sides of the
 * boundary are computed by the same function. A cap a buyer types is mostly a round figure, the
 * first price of its band: the listings then read are those priced exactly at the cap.
 *
 * Kept by statement-level triggers in the writing transaction, like the facet tally, and named
 * `search_tally_price_*` so that they fire after `search_generation_*` and every writer locks the
 * generation row first. Only yuan: it is the one currency with a price index to read a band from.
 */
export class SearchPriceTally1765900000000 implements MigrationInterface {
  readonly name = 'SearchPriceTally1765900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION search_price_band(price bigint) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT CASE WHEN price < 10 THEN price ELSE price - price % power(10::numeric, length(price::text) - 1)::bigint END
      $$`);
    await queryRunner.query(`CREATE TABLE search_price_tally (band bigint NOT NULL, facet_key text NOT NULL, datasets integer NOT NULL, PRIMARY KEY (band, facet_key))`);
    // The rows a statement's transition table holds, each with its band: only those with a yuan price.
    const banded = (rows: string) => `SELECT search_price_band((min_prices ->> 'CNY')::bigint) AS band, facet_key FROM ${rows} WHERE min_prices ? 'CNY'`;
    await queryRunner.query(`
      CREATE FUNCTION search_price_tally() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          UPDATE search_price_tally SET datasets = 0 WHERE datasets <> 0;
        ELSIF TG_OP = 'INSERT' THEN
          INSERT INTO search_price_tally (band, facet_key, datasets)
            SELECT band, facet_key, count(*) FROM (${banded('new_rows')}) added GROUP BY band, facet_key ORDER BY band, facet_key
            ON CONFLICT (band, facet_key) DO UPDATE SET datasets = search_price_tally.datasets + EXCLUDED.datasets;
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO search_price_tally (band, facet_key, datasets)
            SELECT band, facet_key, -count(*) FROM (${banded('old_rows')}) removed GROUP BY band, facet_key ORDER BY band, facet_key
            ON CONFLICT (band, facet_key) DO UPDATE SET datasets = search_price_tally.datasets + EXCLUDED.datasets;
        ELSE
          INSERT INTO search_price_tally (band, facet_key, datasets)
            SELECT band, facet_key, sum(change) FROM (
              SELECT band, facet_key, -1 AS change FROM (${banded('old_rows')}) removed
              UNION ALL SELECT band, facet_key, 1 FROM (${banded('new_rows')}) added
            ) moved GROUP BY band, facet_key HAVING sum(change) <> 0 ORDER BY band, facet_key
            ON CONFLICT (band, facet_key) DO UPDATE SET datasets = search_price_tally.datasets + EXCLUDED.datasets;
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER search_tally_price_insert AFTER INSERT ON dataset_search REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_price_tally()`);
    await queryRunner.query(
      `CREATE TRIGGER search_tally_price_update AFTER UPDATE ON dataset_search REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_price_tally()`,
    );
    await queryRunner.query(`CREATE TRIGGER search_tally_price_delete AFTER DELETE ON dataset_search REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_price_tally()`);
    await queryRunner.query(`CREATE TRIGGER search_tally_price_truncate AFTER TRUNCATE ON dataset_search FOR EACH STATEMENT EXECUTE FUNCTION search_price_tally()`);
    await queryRunner.query(`INSERT INTO search_price_tally (band, facet_key, datasets) SELECT band, facet_key, count(*) FROM (${banded('dataset_search')}) listed GROUP BY band, facet_key`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const event of ['insert', 'update', 'delete', 'truncate']) await queryRunner.query(`DROP TRIGGER search_tally_price_${event} ON dataset_search`);
    await queryRunner.query(`DROP FUNCTION search_price_tally()`);
    await queryRunner.query(`DROP TABLE search_price_tally`);
    await queryRunner.query(`DROP FUNCTION search_price_band(bigint)`);
  }
}
