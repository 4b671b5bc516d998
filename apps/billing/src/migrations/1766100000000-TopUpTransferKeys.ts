import type { MigrationInterface, QueryRunner } from 'typeorm';
import { fillTransferKeys, keyTransfersAgain, markSharedTransferCredits } from './top-up-keys';
import { bankReferenceKey, bankReferenceKeyInTypedOrder, bankTransferKeys } from '../wallets/bank-reference';

/**
 * A bank transfer credits one top-up even when a reference names it beside something else.
 *
 * A reference holding two serials was keyed by both together (`CMB-20261207-0042；
 * CMB-20261207-0099` the key `cmb202612070042, cmb202612070099`), and only equal keys were one
 * transfer: that reference, the same two serials in the other order, or a credited serial with a
 * contract's number written after it, each credited the transfer again, to the same wallet or
 * another organization's. Now:
 *
 * - `top_up.transfer_keys` holds each transfer a top-up's reference names (`bankTransferKeys`:
 *   its serials, each once and in order, or its whole key when it holds none). Filing takes one
 *   transfer per top-up from now on; older top-ups may hold several.
 * - `reference_key` is those keys joined, each once and in order (`bankReferenceKey`): every
 *   top-up is keyed again, and marked as the earlier key changes were (`keyTransfersAgain`).
 * - A confirmed top-up that shares a transfer with one confirmed before it is marked with
 *   `double_credit_of` (`markSharedTransferCredits`): no money moves, for the operator to settle
 *   with the buyer, as before.
 * - `top_up_transfer_credited_once`, the trigger, refuses a confirmation (or any other write that
 *   makes a confirmed, unmarked row credit a transfer) that shares a transfer with another
 *   confirmed top-up, marked or not: a marked top-up may have credited a serial beside the one
 *   it repeats (`A；B` after `A`), and that serial is credited too. It
 *   takes each transfer's turn first, the advisory lock billing's code takes, so two
 *   confirmations of overlapping references cannot both pass; it raises under the name of the
 *   unique index of the same name, which billing already answers with `409
 *   TRANSFER_ALREADY_CREDITED`. `top_up_credited_transfers_idx` (GIN, confirmed top-ups only)
 *   finds the sharing top-up.
 *
 * `down` drops the trigger, the index and the column, and keys the top-ups again in the order
 * their serials were typed; the marks stay.
 */
export class TopUpTransferKeys1766100000000 implements MigrationInterface {
  name = 'TopUpTransferKeys1766100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await keyTransfersAgain(queryRunner, bankReferenceKey);
    await queryRunner.query(`ALTER TABLE top_up ADD COLUMN transfer_keys text[] NULL`);
    await fillTransferKeys(queryRunner, bankTransferKeys);
    await queryRunner.query(`
      ALTER TABLE top_up ALTER COLUMN transfer_keys SET NOT NULL,
        ADD CONSTRAINT top_up_names_a_transfer CHECK (cardinality(transfer_keys) > 0 AND array_position(transfer_keys, NULL) IS NULL)`);
    await markSharedTransferCredits(queryRunner);
    await queryRunner.query(`
      CREATE INDEX top_up_credited_transfers_idx ON top_up USING gin (transfer_keys)
        WHERE status = 'confirmed'`);
    await queryRunner.query(`
      CREATE FUNCTION top_up_transfer_credited_once() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        other uuid;
      BEGIN
        -- A row that does not credit now, or went on crediting the same transfers (another column
        -- changed), is not a new credit.
        IF NEW.status <> 'confirmed' OR NEW.double_credit_of IS NOT NULL
           OR (TG_OP = 'UPDATE' AND OLD.status = 'confirmed' AND OLD.double_credit_of IS NULL AND OLD.transfer_keys = NEW.transfer_keys) THEN
          RETURN NEW;
        END IF;
        PERFORM pg_advisory_xact_lock(hashtextextended('billing.top-up-transfer:' || k, 0)) FROM unnest(NEW.transfer_keys) AS k ORDER BY k;
        SELECT id INTO other FROM top_up
         WHERE status = 'confirmed' AND id <> NEW.id AND transfer_keys && NEW.transfer_keys
         LIMIT 1;
        IF other IS NOT NULL THEN
          RAISE EXCEPTION 'top-up % credits a bank transfer that top-up % credited already', NEW.id, other
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'top_up_transfer_credited_once';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER top_up_transfer_credited_once BEFORE INSERT OR UPDATE ON top_up
        FOR EACH ROW EXECUTE FUNCTION top_up_transfer_credited_once()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER top_up_transfer_credited_once ON top_up`);
    await queryRunner.query(`DROP FUNCTION top_up_transfer_credited_once()`);
    await queryRunner.query(`DROP INDEX top_up_credited_transfers_idx`);
    await queryRunner.query(`ALTER TABLE top_up DROP COLUMN transfer_keys`);
    await keyTransfersAgain(queryRunner, bankReferenceKeyInTypedOrder);
  }
}
