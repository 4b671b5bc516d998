import type { StoredObjectRef } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

/** Which stored objects the catalog lists, for delivery's sweep of uploads it never saw confirmed. */
@Injectable()
export class ListedObjectsRepository extends TransactionalRepository {
  /**
   * The storage keys of `objects` that are, right now, the file at their version and path or the
   * sample at their dataset and path: one statement, each object found by its primary key or
   * unique path.
   */
  async listed(objects: readonly StoredObjectRef[]): Promise<string[]> {
    const rows = (await this.manager.query(
      `SELECT o.storage_key
         FROM jsonb_to_recordset($1::jsonb) AS o(target text, dataset_id uuid, version_id uuid, path text, storage_key text)
        WHERE (o.target = 'version-file' AND EXISTS (
                 SELECT 1 FROM version_file f
                   JOIN dataset_version v ON v.id = f.version_id
                  WHERE f.version_id = o.version_id AND f.path = o.path AND f.storage_key = o.storage_key AND v.dataset_id = o.dataset_id))
           OR (o.target = 'sample' AND EXISTS (
                 SELECT 1 FROM sample s WHERE s.dataset_id = o.dataset_id AND s.path = o.path AND s.storage_key = o.storage_key))`,
      [JSON.stringify(objects.map((o) => ({ target: o.target, dataset_id: o.datasetId, version_id: o.versionId ?? null, path: o.path, storage_key: o.storageKey })))],
    )) as { storage_key: string }[];
    return rows.map((row) => row.storage_key);
  }
}
