import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Exclusive lines by offer: a placement of an exclusive offer looks up the buyer's recently
 * declined orders of it (EXCLUSIVE_DECLINE_COOLDOWN_MS). Exclusive lines are few, so the index
 * is small, and orders of other offers never write to it.
 */
export class ExclusiveLinesByOffer1764880000000 implements MigrationInterface {
  name = 'ExclusiveLinesByOffer1764880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX order_line_exclusive_offer_idx ON order_line (offer_id) WHERE exclusive`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX order_line_exclusive_offer_idx`);
  }
}
