import type { EntityManager } from 'typeorm';

/** A status recorded, with the one it replaced (null: none was recorded). */
export interface StatusChange {
  previous: string | null;
  status: string;
}

/**
 * Records a status reported by another service's events as of `changedAt`, the reporter's time
 * of the change, when that is newer than the one recorded, in one statement; null when a newer
 * (or the same) change was recorded already and nothing changed. Events of a status may arrive
 * late, twice or out of order: whatever the order, every service that keeps such a table with
 * this rule ends on the same change. `table` is the service's own, a constant
 * `(<key> uuid PRIMARY KEY, status text, changed_at timestamptz)`; call inside the transaction
 * that takes the event in.
 */
export async function recordNewestStatus(
  transaction: EntityManager,
  table: string,
  key: string,
  id: string,
  status: string,
  changedAt: Date,
): Promise<StatusChange | null> {
  const [row] = (await transaction.query(
    `WITH previous AS (SELECT status FROM ${table} WHERE ${key} = $1::uuid),
          recorded AS (
            INSERT INTO ${table} (${key}, status, changed_at) VALUES ($1::uuid, $2, $3)
            ON CONFLICT (${key}) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at
             WHERE ${table}.changed_at < EXCLUDED.changed_at
            RETURNING status)
     SELECT (SELECT status FROM previous) AS previous, (SELECT status FROM recorded) AS status`,
    [id, status, changedAt],
  )) as { previous: string | null; status: string | null }[];
  return row.status === null ? null : { previous: row.previous, status: row.status };
}
