import type { MigrationInterface, QueryRunner } from 'typeorm';
import { keyTopUpsAgain, keyTransfersAgain } from './top-up-keys';
import { bankReferenceKey, bankReferenceKeyKeepingLookAlikes } from '../wallets/bank-reference';

/**
 * One bank transfer credits one top-up, however its reference is typed and whatever its currency.
 *
 * - Letters of other scripts and dashes that look like ASCII ones are folded into a transfer's
 *   key (`bankReferenceKey`, `LOOK_ALIKES`): `СМВ-20261130-0042` (Cyrillic С М В) and
 *   `CMB–20261130–0042` (en dashes) are the transfer `cmb-20261130-0042`. Every top-up is keyed
 *   again, in batches of 1,000.
 * - A bank serial is one transfer whatever the currency it is filed in: a CNY and an HKD top-up
 *   of `BOCHK-20261130-0042` were two credits. `top_up_transfer_credited_once` is unique on
 *   `reference_key` alone from now on (it was `(currency, reference_key)`), and
 *   `top_up_organization_reference_idx`, by which a buyer's own filings of a transfer are found,
 *   is `(organization_id, reference_key)`.
 *
 * Top-ups confirmed before this migration may now turn out to be one transfer credited twice
 * (keyed apart by a look-alike, or in two currencies). As TopUpReferencesWithoutBankNames did,
 * billing moves no money and does not fail on them: all stay confirmed, the first confirmed (by
 * `confirmed_at`, then `created_at`, then id) holds the transfer and every later one gets
 * `double_credit_of` = that first top-up, for the operator to settle with the buyer
 * (`SELECT * FROM top_up WHERE double_credit_of IS NOT NULL`). The unique index is dropped while
 * the keys change and built after the marks, over every unmarked confirmed top-up, so no data can
 * make it fail; `top_up_double_credit_of_frozen` is switched off for the one statement that
 * marks. A pending top-up of such a transfer is refused at confirmation
 * (`TRANSFER_ALREADY_CREDITED`, naming the first).
 *
 * `down` keys them again with the look-alikes kept and builds both indexes with the currency
 * again; the marks stay (they name real double credits, and the index leaves marked top-ups out
 * either way).
 */
export class TopUpReferenceLookAlikes1764960000000 implements MigrationInterface {
  name = 'TopUpReferenceLookAlikes1764960000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await keyTransfersAgain(queryRunner, bankReferenceKey);
    await queryRunner.query(`DROP INDEX top_up_organization_reference_idx`);
    await queryRunner.query(`CREATE INDEX top_up_organization_reference_idx ON top_up (organization_id, reference_key)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX top_up_transfer_credited_once`);
    await keyTopUpsAgain(queryRunner, bankReferenceKeyKeepingLookAlikes);
    await queryRunner.query(`
      CREATE UNIQUE INDEX top_up_transfer_credited_once ON top_up (currency, reference_key)
        WHERE status = 'confirmed' AND double_credit_of IS NULL`);
    await queryRunner.query(`DROP INDEX top_up_organization_reference_idx`);
    await queryRunner.query(`CREATE INDEX top_up_organization_reference_idx ON top_up (organization_id, currency, reference_key)`);
  }
}
