import type { MigrationInterface, QueryRunner } from 'typeorm';
import { keyTransfersAgain } from './top-up-keys';
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
 * double_credit_of IS NOT NULL`); `top_up_transfer_credited_once` is built again after the marks
 * (`keyTransfersAgain`). A pending top-up of such a transfer is refused at confirmation
 * (`TRANSFER_ALREADY_CREDITED`, naming the first).
 *
 * `down` keys them again as before, and marks again too: `CMB 20261108 0387` and
 * `20261108 0387` are two transfers to the serial key but one to the old key (which took `CMB`
 * for a bank's name), and both may have been confirmed since. The marks stay.
 */
export class TopUpReferenceSerials1766000000000 implements MigrationInterface {
  name = 'TopUpReferenceSerials1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await keyTransfersAgain(queryRunner, bankReferenceKey);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await keyTransfersAgain(queryRunner, bankReferenceKeyBeforeSerials);
  }
}
