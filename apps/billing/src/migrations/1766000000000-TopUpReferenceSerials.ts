import type { MigrationInterface, QueryRunner } from 'typeorm';
import { keyTopUpsAgain, markDoubleCredits } from './top-up-keys';
import { bankReferenceKey, bankReferenceKeyBeforeSerials } from '../wallets/bank-reference';

/**
 * A reference that holds a bank serial is keyed by the serial's letters and digits alone
 * (`bankReferenceKey`): `CMB-20261108-0387.`, `Ref: CMB-20261108-0387`, `（CMB-20261108-0387）`,
 * `CMB 20261108 0387`, `CMB-20261108-0387 货款` and `CMB-2O261108-O387` are the transfer
 * `cmb202611080387`, which each of them could credit again. Every top-up is keyed again, in
 * batches of 1,000.
 *
 * Top-ups confirmed before this migration may now turn out to be one transfer credited twice. As
 * the earlier key changes did, billing moves no money and does not fail on them: all stay
 * confirmed, the first confirmed holds the transfer and every later one gets `double_credit_of`
 * (`markDoubleCredits`), for the operator to settle with the buyer (`SELECT * FROM top_up WHERE
 * double_credit_of IS NOT NULL`). `top_up_transfer_credited_once` is dropped while the keys change
 * and built again after the marks, so no data can make it fail. A pending top-up of such a
 * transfer is refused at confirmation (`TRANSFER_ALREADY_CREDITED`, naming the first).
 *
 * `down` keys them again as before and marks again too: two references the old key kept apart
 * may have been keyed apart by the serial too (`CMB 20261108 0387`, whose old key left the `CMB`
 * out as a bank's name, and `20261108 0387`), and both confirmed since. The marks stay.
 */
export class TopUpReferenceSerials1766000000000 implements MigrationInterface {
  name = 'TopUpReferenceSerials1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.keyAgain(queryRunner, bankReferenceKey);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await this.keyAgain(queryRunner, bankReferenceKeyBeforeSerials);
  }

  private async keyAgain(queryRunner: QueryRunner, key: (reference: string) => string): Promise<void> {
    await queryRunner.query(`DROP INDEX top_up_transfer_credited_once`);
    await keyTopUpsAgain(queryRunner, key);
    await markDoubleCredits(queryRunner, 'reference_key');
    await queryRunner.query(`
      CREATE UNIQUE INDEX top_up_transfer_credited_once ON top_up (reference_key)
        WHERE status = 'confirmed' AND double_credit_of IS NULL`);
  }
}
