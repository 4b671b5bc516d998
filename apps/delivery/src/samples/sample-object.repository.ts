import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

/** The object that holds a sample's bytes now. */
export interface SampleObject {
  key: string;
  size: number;
  sha256: string;
}

/** The stored objects of samples, as sample URLs are served from them. */
@Injectable()
export class SampleObjectRepository extends TransactionalRepository {
  /**
   * The object catalog lists under this sample path now, or null when there is none. One
   * indexed read (`stored_object_file_idx`); recording a replacement deletes the row of the
   * object it replaced in the same transaction, so there is at most one recorded row.
   */
  async current(datasetId: string, path: string): Promise<SampleObject | null> {
    const rows = (await this.manager.query(
      `SELECT key, size, sha256 FROM stored_object
        WHERE target = 'sample' AND dataset_id = $1 AND version_id IS NULL AND path = $2 AND recorded_at IS NOT NULL
        ORDER BY recorded_at DESC
        LIMIT 1`,
      [datasetId, path],
    )) as { key: string; size: string; sha256: string }[];
    const row = rows[0];
    return row ? { key: row.key, size: Number(row.size), sha256: row.sha256 } : null;
  }
}
