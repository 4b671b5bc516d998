import type { AddedSample, AddSampleRequest } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { DatasetsService } from '../datasets/datasets.service';
import { Sample } from './sample.entity';
import { SampleRepository } from './sample.repository';
import type { Caller } from '@trove/platform';

/** What a vendor can do again once its listing's review is decided. */
export const HELD_SAMPLES = 'its samples can change again';

@Injectable()
export class SamplesService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly datasets: DatasetsService,
    private readonly samples: SampleRepository,
  ) {}

  /**
   * Delivery stored a sample: it joins the dataset, replacing one of the same path. A listing
   * sent to review meanwhile refuses it (409), and delivery drops the bytes.
   */
  async add(caller: Caller | undefined, request: AddSampleRequest): Promise<AddedSample> {
    return this.unitOfWork.run(async () => {
      // Delivery tells the catalog as the vendor that uploaded; that must still be the owner.
      const dataset = caller ? await this.datasets.lockOwned(caller, request.datasetId) : await this.datasets.lockAny(request.datasetId);
      dataset.assertNotInReview(HELD_SAMPLES);
      const existing = await this.samples.findByPath(request.datasetId, request.path);
      const sample = Object.assign(existing ?? new Sample(), {
        id: existing?.id ?? randomUUID(),
        datasetId: request.datasetId,
        path: request.path,
        size: request.size,
        sha256: request.sha256,
        storageKey: request.storageKey,
        contentType: request.contentType ?? null,
      });
      await this.samples.save(sample);
      return { id: sample.id, path: sample.path, size: sample.size, sha256: sample.sha256 };
    });
  }
}
