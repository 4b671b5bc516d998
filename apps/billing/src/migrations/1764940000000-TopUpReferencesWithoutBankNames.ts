import type { MigrationInterface, QueryRunner } from 'typeorm';
import { keyTopUpsAgain, markDoubleCredits } from './top-up-keys';
import { bankReferenceKey } from '../wallets/bank-reference';

/**
 * The key before this migration (TopUpReferences1764830000000): the whole reference, bank name
 * included. Kept here as it was, for `down`.
 */
function keyWithBankName(reference: string): string {
  return reference.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/**
 * A bank's name before the serial is no longer part of a transfer's key (`bankReferenceKey`):
 * `招商银行 CMB-20261201-0001` and `cmb-20261201-0001` are one transfer, which a buyer could have
 * credited twice. Every top-up is keyed again, in batches of 1,000.
 *
 * Two top-ups confirmed before this migration may now turn out to be one transfer credited
 * twice (one filed with the bank's name, one without). Billing moves no money in a migration and
 * does not fail on them: both stay confirmed, as TopUpReferences did with the double credits it
 * found. Per transfer the first confirmed (by `confirmed_at`, then `created_at`, then id) holds
 * it, and every later one gets `double_credit_of` = that first top-up, for the operator to settle
 * with the buyer (`SELECT * FROM top_up WHERE double_credit_of IS NOT NULL`). The unique index
 * `top_up_transfer_credited_once` is dropped while the keys change and built again after, over
 * every unmarked confirmed top-up; `top_up_double_credit_of_frozen`, which refuses the mark to
 * anything but a migration, is switched off for this one statement's marks. A pending top-up of
 * such a transfer is refused at confirmation (`TRANSFER_ALREADY_CREDITED`, naming the first), as
 * any other of a credited transfer.
 *
 * `down` keys them again with the bank name; the marks stay (they name real double credits, and
 * the index leaves marked top-ups out either way).
 */
export class TopUpReferencesWithoutBankNames1764940000000 implements MigrationInterface {
  name = 'TopUpReferencesWithoutBankNames1764940000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX top_up_transfer_credited_once`);
    await keyTopUpsAgain(queryRunner, bankReferenceKey);
    await markDoubleCredits(queryRunner, 'currency, reference_key');
    await this.createIndex(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX top_up_transfer_credited_once`);
    await keyTopUpsAgain(queryRunner, keyWithBankName);
    await this.createIndex(queryRunner);
  }

  private async createIndex(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE UNIQUE INDEX top_up_transfer_credited_once ON top_up (currency, reference_key)
        WHERE status = 'confirmed' AND double_credit_of IS NULL`);
  }
}
