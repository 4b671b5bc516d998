import type { MigrationInterface, QueryRunner } from 'typeorm';
import { bankReferenceKey } from '../wallets/bank-reference';

/** Rows read and keyed per statement while the keys of earlier top-ups are filled. */
const BACKFILL_BATCH = 1_000;

/**
 * One bank transfer credits at most one top-up.
 *
 * - `top_up.reference_key`: the reference as the transfer is recognised by (see
 *   `bankReferenceKey`: NFKC, trimmed, inner white space collapsed, case-folded), written by
 *   billing with the top-up. NOT NULL: a billing process older than this migration cannot file a
 *   top-up the rule would not see; it fails instead, until it is replaced.
 * - `top_up_transfer_credited_once`: unique on (currency, reference_key) among confirmed
 *   top-ups, so two confirmations of one transfer cannot both commit, whatever the code does.
 * - Top-ups confirmed before this migration may already credit one transfer twice. Billing does
 *   not move money in a migration, and the index cannot be built over them, so they stay as
 *   they are: the first confirmed (by `confirmed_at`, then `created_at`, then id) holds the
 *   transfer, every later one gets `double_credit_of` = that first top-up, for the operator to
 *   find and settle (`SELECT * FROM top_up WHERE double_credit_of IS NOT NULL`). The unique
 *   index leaves those marked rows out and covers every other row, old or new. Only this
 *   migration sets the mark: a trigger refuses it on any later insert or update, so no new
 *   confirmation can slip out of the index.
 */
export class TopUpReferences1764830000000 implements MigrationInterface {
  name = 'TopUpReferences1764830000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE top_up
        ADD COLUMN reference_key text NULL,
        ADD COLUMN double_credit_of uuid NULL CONSTRAINT top_up_double_credit_of_fk REFERENCES top_up (id)`);

    // Keyed here with the function billing keys new top-ups with: PostgreSQL's lower() folds
    // non-ASCII letters by the database's locale, which need not agree.
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const rows = (await queryRunner.query(`SELECT id, reference FROM top_up WHERE id > $1 ORDER BY id LIMIT ${BACKFILL_BATCH}`, [after])) as { id: string; reference: string }[];
      if (rows.length === 0) break;
      await queryRunner.query(`UPDATE top_up t SET reference_key = k.key FROM unnest($1::uuid[], $2::text[]) AS k (id, key) WHERE t.id = k.id`, [
        rows.map((r) => r.id),
        rows.map((r) => bankReferenceKey(r.reference)),
      ]);
      after = rows[rows.length - 1].id;
    }
    await queryRunner.query(`ALTER TABLE top_up ALTER COLUMN reference_key SET NOT NULL`);

    await queryRunner.query(`
      UPDATE top_up t SET double_credit_of = f.first_id
        FROM (SELECT id, first_value(id) OVER (PARTITION BY currency, reference_key ORDER BY confirmed_at, created_at, id) AS first_id
                FROM top_up WHERE status = 'confirmed') f
       WHERE t.id = f.id AND f.id <> f.first_id`);
    await queryRunner.query(`
      ALTER TABLE top_up
        ADD CONSTRAINT top_up_double_credit_check CHECK (double_credit_of IS NULL OR (status = 'confirmed' AND double_credit_of <> id))`);
    await queryRunner.query(`
      CREATE UNIQUE INDEX top_up_transfer_credited_once ON top_up (currency, reference_key)
        WHERE status = 'confirmed' AND double_credit_of IS NULL`);
    // A buyer's earlier filings of a reference, looked up when it files one.
    await queryRunner.query(`CREATE INDEX top_up_organization_reference_idx ON top_up (organization_id, currency, reference_key)`);

    await queryRunner.query(`
      CREATE FUNCTION top_up_double_credit_of_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (TG_OP = 'INSERT' AND NEW.double_credit_of IS NOT NULL)
           OR (TG_OP = 'UPDATE' AND NEW.double_credit_of IS DISTINCT FROM OLD.double_credit_of) THEN
          RAISE EXCEPTION 'top-up %: double_credit_of marks only the double credits made before the rule; a new confirmation credits a transfer once', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'top_up_double_credit_of_frozen';
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER top_up_double_credit_of_frozen BEFORE INSERT OR UPDATE OF double_credit_of ON top_up
        FOR EACH ROW EXECUTE FUNCTION top_up_double_credit_of_frozen()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER top_up_double_credit_of_frozen ON top_up`);
    await queryRunner.query(`DROP FUNCTION top_up_double_credit_of_frozen()`);
    await queryRunner.query(`DROP INDEX top_up_organization_reference_idx`);
    await queryRunner.query(`DROP INDEX top_up_transfer_credited_once`);
    await queryRunner.query(`ALTER TABLE top_up DROP COLUMN double_credit_of, DROP COLUMN reference_key`);
  }
}
