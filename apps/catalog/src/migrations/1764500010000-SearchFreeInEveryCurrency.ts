import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CURRENCY_CODES } from '@trove/licensing';

/**
 * A listing with a live public free offer costs nothing in any currency: `lowestPrice` 0, first
 * in `sort=price` and within any `maxPrice`, whatever `currency` a search asks in. The rows
 * written before held the 0 under CNY only (a free offer is stored under CNY, having no currency
 * of its own), so a USD search showed such a listing without a price.
 */
export class SearchFreeInEveryCurrency1764500010000 implements MigrationInterface {
  readonly name = 'SearchFreeInEveryCurrency1764500010000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const zeros = JSON.stringify(Object.fromEntries(CURRENCY_CODES.map((currency) => [currency, 0])));
    await queryRunner.query(
      `UPDATE dataset_search s SET min_prices = s.min_prices || $1::jsonb
        WHERE EXISTS (SELECT 1 FROM offer o WHERE o.dataset_id = s.dataset_id AND o.status = 'active' AND o.buyer_org_id IS NULL
                        AND (o.expires_at IS NULL OR o.expires_at > now()) AND o.pricing ->> 'model' = 'free')`,
      [zeros],
    );
  }

  async down(): Promise<void> {
    // The other currencies' zeros go when the listing is indexed again.
  }
}
