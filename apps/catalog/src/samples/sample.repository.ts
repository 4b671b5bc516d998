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

  save(sample: Sample): Promise<Sample> {
    return this.transaction.save(Sample, sample);
  }
}
