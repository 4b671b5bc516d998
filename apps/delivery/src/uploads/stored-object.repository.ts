import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { IsNull } from 'typeorm';
import type { CallerStanding } from '../callers/caller-standing';
import { StoredObject } from './stored-object.entity';

export type NewStoredObject = Omit<StoredObject, 'recordedAt' | 'createdAt'>;

/** A key in the deletion queue and when it was queued, as PostgreSQL writes the time. */
export interface QueuedDeletion {
  queuedAt: string;
  key: string;
}

@Injectable()
export class StoredObjectRepository extends TransactionalRepository {
  async insert(object: NewStoredObject): Promise<void> {
    await this.transaction.insert(StoredObject, { ...object, recordedAt: null });
  }

  async findByKey(key: string): Promise<StoredObject | null> {
    return this.manager.findOneBy(StoredObject, { key });
  }

  /**
   * Removes an upload's row and queues its bytes for deletion, in one statement (see
   * ObjectDeletions); answers whether there was a row.
   */
  async remove(key: string): Promise<boolean> {
    const rows = (await this.transaction.query(
      `WITH gone AS (DELETE FROM stored_object WHERE key = $1 RETURNING key),
            queued AS (INSERT INTO object_deletion (key) SELECT key FROM gone ON CONFLICT DO NOTHING)
       SELECT key FROM gone`,
      [key],
    )) as { key: string }[];
    return rows.length > 0;
  }

  /**
   * The catalog no longer lists the object under `key`: its row goes, with every recorded row of
   * the same file stored before it, and their bytes are queued for deletion; answers the keys
   * queued. The catalog listed `key`, so it had replaced those older uploads with it; here the
   * confirmation that drops them (markRecorded) may have died before its commit, and nothing
   * else would ever drop them: the vendor's removed file would stay on sale from an older upload.
   * A later upload of the path (stored after `key`) is the vendor's new file and stays. Taken
   * under the file's lock, as uploads and their confirmations are.
   */
  async removeUnlisted(object: Pick<StoredObject, 'key' | 'target' | 'datasetId' | 'versionId' | 'path'>): Promise<string[]> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [fileLockName(object)]);
    const rows = (await this.transaction.query(
      `WITH unlisted AS (SELECT key, target, dataset_id, version_id, path, created_at FROM stored_object WHERE key = $1),
            gone AS (
              DELETE FROM stored_object o USING unlisted u
               WHERE o.key = u.key
                  OR (o.target = u.target AND o.dataset_id = u.dataset_id AND o.version_id IS NOT DISTINCT FROM u.version_id AND o.path = u.path
                      AND o.recorded_at IS NOT NULL AND o.created_at < u.created_at)
              RETURNING o.key),
            queued AS (INSERT INTO object_deletion (key) SELECT key FROM gone ON CONFLICT DO NOTHING)
       SELECT key FROM gone`,
      [object.key],
    )) as { key: string }[];
    return rows.map((row) => row.key);
  }

  /**
   * Up to `limit` keys queued for deletion before `queuedBefore`, oldest first, after `after` when
   * given (its time as PostgreSQL's text, to the microsecond, so that the next page starts exactly).
   */
  async queuedDeletions(queuedBefore: Date, limit: number, after?: QueuedDeletion): Promise<QueuedDeletion[]> {
    const rows = (await this.manager.query(
      `SELECT key, queued_at::text AS queued_at FROM object_deletion
        WHERE queued_at < $1 AND ($3::timestamptz IS NULL OR (queued_at, key) > ($3::timestamptz, $4::text))
        ORDER BY queued_at, key LIMIT $2`,
      [queuedBefore, limit, after?.queuedAt ?? null, after?.key ?? null],
    )) as { key: string; queued_at: string }[];
    return rows.map((row) => ({ queuedAt: row.queued_at, key: row.key }));
  }

  /** The object's bytes are deleted: it leaves the queue. */
  async dequeueDeletion(key: string): Promise<void> {
    await this.transaction.query(`DELETE FROM object_deletion WHERE key = $1`, [key]);
  }

  /**
   * Serializes the uploads of one file (same target, dataset, version and path) until the
   * transaction ends, so that the last one catalog recorded is also the last one here. The same
   * statement answers whether the uploader's API key is revoked and its organization's latest
   * status (as the gateway's events told delivery), so the upload URL of a key revoked or an
   * organization suspended since it was signed records nothing, at no round trip of its own.
   */
  async lockFile(
    object: Pick<StoredObject, 'target' | 'datasetId' | 'versionId' | 'path'>,
    uploader: { organizationId: string; keyId: string },
  ): Promise<CallerStanding> {
    const [row] = (await this.transaction.query(
      `SELECT pg_advisory_xact_lock(hashtextextended($1, 0)) AS locked,
              EXISTS (SELECT 1 FROM revoked_api_key WHERE key_id = $2) AS key_revoked,
              (SELECT status FROM organization_status WHERE organization_id = $3::uuid) AS organization_status`,
      [fileLockName(object), uploader.keyId, uploader.organizationId],
    )) as { key_revoked: boolean; organization_status: string | null }[];
    return { keyRevoked: row.key_revoked, organizationStatus: row.organization_status };
  }

  /**
   * Spends an upload URL, by its nonce, for the rest of the transaction's life: answers false when
   * an upload through it was recorded already. Two uploads through one URL at once: the second
   * waits on the first's row and is refused if the first commits; a first that fails leaves the
   * URL unspent, so sending the file again through it works.
   */
  async spendUrl(nonce: string, expires: Date): Promise<boolean> {
    const rows = (await this.transaction.query(
      `INSERT INTO spent_upload_url (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING RETURNING nonce`,
      [nonce, expires],
    )) as unknown[];
    return rows.length > 0;
  }

  /**
   * Whether an upload through the URL with this nonce was recorded already: read before any byte
   * is taken, so that a replay is turned away at once rather than after its whole body. Only a
   * first answer: spendUrl, in the recording transaction, is what two uploads at once agree on.
   */
  async isUrlSpent(nonce: string): Promise<boolean> {
    const rows = (await this.manager.query(`SELECT 1 FROM spent_upload_url WHERE nonce = $1`, [nonce])) as unknown[];
    return rows.length > 0;
  }

  /** Forgets the spent URLs that expired before `before` (they are refused as expired); answers how many. */
  async forgetSpentUrls(before: Date): Promise<number> {
    const rows = (await this.transaction.query(`DELETE FROM spent_upload_url WHERE expires_at < $1 RETURNING nonce`, [before])) as unknown[];
    return rows.length;
  }

  /** Up to `limit` uploads catalog never confirmed (still unrecorded) stored before `storedBefore`, oldest first. */
  unconfirmed(storedBefore: Date, limit: number): Promise<StoredObject[]> {
    return this.manager
      .createQueryBuilder(StoredObject, 'o')
      .where('o.recordedAt IS NULL')
      .andWhere('o.createdAt < :storedBefore', { storedBefore })
      .orderBy('o.createdAt', 'ASC')
      .addOrderBy('o.key', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Takes the file's lock, held to the end of the transaction (every upload of the file holds it
   * while catalog records it); answers whether the upload is still unconfirmed, or was settled
   * meanwhile (another replica's sweep).
   */
  async lockUnconfirmed(object: StoredObject): Promise<boolean> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [fileLockName(object)]);
    return this.transaction.existsBy(StoredObject, { key: object.key, recordedAt: IsNull() });
  }

  /**
   * Marks `key` as the file catalog now lists and removes the rows of the objects it replaced
   * (recorded earlier for the same file), queueing their bytes for deletion in the same statement;
   * returns their keys, for deleting from storage at once.
   */
  async markRecorded(object: NewStoredObject): Promise<string[]> {
    await this.transaction.update(StoredObject, { key: object.key }, { recordedAt: () => 'now()' });
    const rows = (await this.transaction.query(
      `WITH replaced AS (
         DELETE FROM stored_object
          WHERE target = $1 AND dataset_id = $2 AND version_id IS NOT DISTINCT FROM $3 AND path = $4
            AND recorded_at IS NOT NULL AND key <> $5
          RETURNING key)
       INSERT INTO object_deletion (key) SELECT key FROM replaced ON CONFLICT DO NOTHING
       RETURNING key`,
      [object.target, object.datasetId, object.versionId, object.path, object.key],
    )) as { key: string }[];
    return rows.map((row) => row.key);
  }
}

/** One file's advisory lock: every upload, confirmation or removal of the file takes it. */
function fileLockName(object: Pick<StoredObject, 'target' | 'datasetId' | 'versionId' | 'path'>): string {
  return JSON.stringify([object.target, object.datasetId, object.versionId, object.path]);
}
