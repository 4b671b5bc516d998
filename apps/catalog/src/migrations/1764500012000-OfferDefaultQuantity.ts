import { meteredVolume } from '@trove/dataset';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A metered offer fixes, when it is made, what an order item without `quantity` buys: the
 * volume its listing declared then (`default_quantity`). Until now that item bought whatever the
 * listing declared at the moment of the order, so a vendor's edit of `speech.hours` from 1,000
 * to 1,000,000 turned the same `{offerId}` into a thousand times the charge. Offers made before
 * take the volume their listing declares now, the figure their buyers were being sold.
 */
export class OfferDefaultQuantity1764500012000 implements MigrationInterface {
  readonly name = 'OfferDefaultQuantity1764500012000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE offer ADD COLUMN default_quantity bigint CONSTRAINT offer_default_quantity_check CHECK (default_quantity > 0)`);
    const rows = (await queryRunner.query(
      `SELECT o.id, o.pricing ->> 'unit' AS unit, d.metadata FROM offer o JOIN dataset d ON d.id = o.dataset_id WHERE o.pricing ->> 'model' = 'metered'`,
    )) as { id: string; unit: string | null; metadata: Record<string, unknown> }[];
    for (const row of rows) {
      const volume = meteredVolume(row.metadata, row.unit ?? '');
      if (volume !== null && Number.isSafeInteger(volume)) await queryRunner.query(`UPDATE offer SET default_quantity = $2 WHERE id = $1`, [row.id, volume]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE offer DROP COLUMN default_quantity`);
  }
}
