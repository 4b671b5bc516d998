import type { AddedSample, AddSampleRequest } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { DatasetsService } from '../datasets/datasets.service';
import { Sample } from './sample.entity';

@Injectable()
export class SamplesService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly datasets: DatasetsService,
  ) {}

  /** Delivery stored a sample: it joins the dataset, replacing one of the same path. */
  async add(request: AddSampleRequest): Promise<AddedSample> {
    return this.unitOfWork.run(async (tx) => {
      await this.datasets.lockAny(tx, request.datasetId);
      const existing = await tx.manager.findOneBy(Sample, { datasetId: request.datasetId, path: request.path });
      const sample = Object.assign(existing ?? new Sample(), {
        id: existing?.id ?? randomUUID(),
        datasetId: request.datasetId,
        path: request.path,
        size: request.size,
        sha256: request.sha256,
        storageKey: request.storageKey,
        contentType: request.contentType ?? null,
      });
      await tx.manager.save(Sample, sample);
      return { id: sample.id, path: sample.path, size: sample.size, sha256: sample.sha256 };
    });
  }
}
