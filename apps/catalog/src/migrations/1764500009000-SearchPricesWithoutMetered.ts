import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A listing's price in search (`lowestPrice`, `sort=price`, `maxPrice`) leaves metered offers
 * out: their price is per unit (8 fen a frame), and made a 500,000-yuan listing the cheapest of
 * all. The rows written before are recomputed here as search-document.ts now computes them.
 */
export class SearchPricesWithoutMetered1764500009000 implements MigrationInterface {
  readonly name = 'SearchPricesWithoutMetered1764500009000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      UPDATE dataset_search s SET min_prices = coalesce((
        SELECT jsonb_object_agg(currency, lowest) FROM (
          SELECT o.currency, min(o.price_amount) AS lowest FROM offer o
           WHERE o.dataset_id = s.dataset_id AND o.status = 'active' AND o.buyer_org_id IS NULL
             AND (o.expires_at IS NULL OR o.expires_at > now()) AND o.pricing ->> 'model' <> 'metered'
           GROUP BY o.currency) prices), '{}'::jsonb)
       WHERE EXISTS (SELECT 1 FROM offer o WHERE o.dataset_id = s.dataset_id AND o.pricing ->> 'model' = 'metered')`);
  }

  async down(): Promise<void> {
    // The metered prices come back into a row when its listing is indexed again.
  }
}
