import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { Sample } from './sample.entity';

@Injectable()
export class SampleRepository extends TransactionalRepository {
  /** The sample of this dataset with this id, or null. */
  find(datasetId: string, id: string): Promise<Sample | null> {
    return this.manager.findOneBy(Sample, { datasetId, id });
  }

  findByPath(datasetId: string, path: string): Promise<Sample | null> {
    return this.manager.findOneBy(Sample, { datasetId, path });
  }

  count(datasetId: string): Promise<number> {
    return this.manager.countBy(Sample, { datasetId });
  }

  /** Removes the sample of this dataset with this id; answers the key its bytes are stored under, or null when there is none. */
  async remove(datasetId: string, id: string): Promise<{ path: string; storageKey: string } | null> {
    const rows = (await this.transaction.query(`WITH gone AS (DELETE FROM sample WHERE dataset_id = $1 AND id = $2 RETURNING path, storage_key) SELECT path, storage_key FROM gone`, [
      datasetId,
      id,
    ])) as { path: string; storage_key: string }[];
    return rows[0] ? { path: rows[0].path, storageKey: rows[0].storage_key } : null;
  }

  save(sample: Sample): Promise<Sample> {
    return this.transaction.save(Sample, sample);
  }
}
