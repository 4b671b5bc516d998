import type { QueryRunner } from 'typeorm';

/** Rows read and keyed per statement. */
const BATCH = 1_000;

/**
 * Each batch of 1,000 top-ups by id, with the reference each was filed with: how a migration
 * that changes what is derived from a reference brings every stored top-up along.
 */
async function forEachTopUpBatch(queryRunner: QueryRunner, write: (batch: { id: string; reference: string }[]) => Promise<unknown>): Promise<void> {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = (await queryRunner.query(`SELECT id, reference FROM top_up WHERE id > $1 ORDER BY id LIMIT ${BATCH}`, [after])) as { id: string; reference: string }[];
    if (rows.length === 0) break;
    await write(rows);
    after = rows[rows.length - 1].id;
  }
}

/** Keys every top-up again with `key` (of its reference as filed), writing only the keys that change. */
export async function keyTopUpsAgain(queryRunner: QueryRunner, key: (reference: string) => string): Promise<void> {
  await forEachTopUpBatch(queryRunner, (rows) =>
    queryRunner.query(`UPDATE top_up t SET reference_key = k.key FROM unnest($1::uuid[], $2::text[]) AS k (id, key) WHERE t.id = k.id AND t.reference_key <> k.key`, [
      rows.map((r) => r.id),
      rows.map((r) => key(r.reference)),
    ]),
  );
}

/**
 * Marks the confirmed top-ups that new keys show to be one transfer credited again: per transfer
 * (`by`: the key, or currency and key as before TopUpReferenceLookAlikes) the first confirmed (by
 * `confirmed_at`, then `created_at`, then id) holds it and every later one gets
 * `double_credit_of` = that first top-up. No money moves: the operator settles them with the
 * buyer. `top_up_double_credit_of_frozen`, which refuses the mark to anything but a migration, is
 * off for this one statement.
 */
export async function markDoubleCredits(queryRunner: QueryRunner, by: 'reference_key' | 'currency, reference_key'): Promise<void> {
  await queryRunner.query(`ALTER TABLE top_up DISABLE TRIGGER top_up_double_credit_of_frozen`);
  await queryRunner.query(`
    UPDATE top_up t SET double_credit_of = f.first_id
      FROM (SELECT id, first_value(id) OVER (PARTITION BY ${by} ORDER BY confirmed_at, created_at, id) AS first_id
              FROM top_up WHERE status = 'confirmed') f
     WHERE t.id = f.id AND f.id <> f.first_id AND t.double_credit_of IS DISTINCT FROM f.first_id`);
  await queryRunner.query(`ALTER TABLE top_up ENABLE TRIGGER top_up_double_credit_of_frozen`);
}

/**
 * Keys every top-up again with `key`, marks the double credits the new keys show
 * (`markDoubleCredits` by the key alone), and holds every unmarked confirmed top-up to one per key
 * again: `top_up_transfer_credited_once` is dropped while the keys change and built after the
 * marks, so no data can make it fail.
 */
export async function keyTransfersAgain(queryRunner: QueryRunner, key: (reference: string) => string): Promise<void> {
  await queryRunner.query(`DROP INDEX top_up_transfer_credited_once`);
  await keyTopUpsAgain(queryRunner, key);
  await markDoubleCredits(queryRunner, 'reference_key');
  await queryRunner.query(`
    CREATE UNIQUE INDEX top_up_transfer_credited_once ON top_up (reference_key)
      WHERE status = 'confirmed' AND double_credit_of IS NULL`);
}

/** Fills `transfer_keys` of every top-up with `keys` (of its reference as filed). */
export async function fillTransferKeys(queryRunner: QueryRunner, keys: (reference: string) => string[]): Promise<void> {
  // One row of the unnest per top-up: each top-up's keys travel as one JSON array.
  await forEachTopUpBatch(queryRunner, (rows) =>
    queryRunner.query(`UPDATE top_up t SET transfer_keys = ARRAY(SELECT jsonb_array_elements_text(k.keys)) FROM unnest($1::uuid[], $2::jsonb[]) AS k (id, keys) WHERE t.id = k.id`, [
      rows.map((r) => r.id),
      rows.map((r) => JSON.stringify(keys(r.reference))),
    ]),
  );
}

/**
 * Marks the confirmed top-ups that credit a transfer an earlier confirmed top-up credited too,
 * where their keys differ but share a transfer (`CMB-20261208-3317` and
 * `CMB-20261208-3317；CMB-20261208-3318`): each gets `double_credit_of` = the first confirmed (by
 * `confirmed_at`, then `created_at`, then id) of those it shares a transfer with. No money moves,
 * as in `markDoubleCredits`.
 */
export async function markSharedTransferCredits(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`ALTER TABLE top_up DISABLE TRIGGER top_up_double_credit_of_frozen`);
  await queryRunner.query(`
    UPDATE top_up t SET double_credit_of = f.first_id
      FROM top_up c
      CROSS JOIN LATERAL (SELECT e.id AS first_id FROM top_up e
                           WHERE e.status = 'confirmed' AND e.transfer_keys && c.transfer_keys
                             AND (e.confirmed_at, e.created_at, e.id) < (c.confirmed_at, c.created_at, c.id)
                           ORDER BY e.confirmed_at, e.created_at, e.id LIMIT 1) f
     WHERE t.id = c.id AND c.status = 'confirmed' AND c.double_credit_of IS NULL`);
  await queryRunner.query(`ALTER TABLE top_up ENABLE TRIGGER top_up_double_credit_of_frozen`);
}
