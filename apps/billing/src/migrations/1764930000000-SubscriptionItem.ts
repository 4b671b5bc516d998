import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a subscription sells, as its first invoice line named it, so that each renewal's invoice
 * names it the same way (a fapiao names its goods): the listing's title when the order was placed
 * and the license template. Subscriptions of orders placed before it have neither, and their
 * renewals are invoiced without them, as before.
 */
export class SubscriptionItem1764930000000 implements MigrationInterface {
  name = 'SubscriptionItem1764930000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscription ADD COLUMN dataset_title text NULL, ADD COLUMN license_template text NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscription DROP COLUMN dataset_title, DROP COLUMN license_template`);
  }
}
