import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { Sample } from './sample.entity';

@Injectable()
export class SampleRepository extends TransactionalRepository {
  findByPath(datasetId: string, path: string): Promise<Sample | null> {
    return this.manager.findOneBy(Sample, { datasetId, path });
  }

  save(sample: Sample): Promise<Sample> {
    return this.transaction.save(Sample, sample);
  }
}
