import { CatalogEvents, CommonErrorCode, DeliverySubjects, type AddedSample, type AddSampleRequest, type SampleDownloadView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { notFound } from '../access';
import { StorageQuota } from '../vendors/storage-quota';
import { CatalogConfig } from '../catalog.config';
import { DatasetsService } from '../datasets/datasets.service';
import { Sample } from './sample.entity';
import { SampleRepository } from './sample.repository';
import { ServiceException, type Caller } from '@trove/platform';

/** What a vendor can do again once its listing's review is decided. */
export const HELD_SAMPLES = 'its samples can change again';

/**
 * Refuses a new sample (not one replacing a sample of the same path) of a listing that holds
 * `max` already: all of them are on its page, which travels in one NATS message.
 */
export async function assertRoomForSample(samples: SampleRepository, datasetId: string, path: string, max: number): Promise<void> {
  if ((await samples.findByPath(datasetId, path)) !== null) return;
  if ((await samples.count(datasetId)) >= max) {
    throw new ServiceException(
      CommonErrorCode.CONFLICT,
      `A listing holds at most ${max} samples, and this one has them all; upload it under the path of a sample it replaces.`,
      [{ field: 'path', problems: [`the listing already holds ${max} samples, the most it may`] }],
    );
  }
}

@Injectable()
export class SamplesService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly datasets: DatasetsService,
    private readonly samples: SampleRepository,
    private readonly rpc: RpcClient,
    private readonly config: CatalogConfig,
    private readonly storage: StorageQuota,
  ) {}

  /**
   * A sample with a signed URL of its bytes, to whoever may see the listing, as its page decides
   * (`DatasetsService.visible`): anyone for a public listing, its vendor and operators in every
   * state; anyone else NOT_FOUND, as the listing would be. Delivery signs the URL for the
   * sample's SHA-256, so it serves these bytes or nothing.
   */
  async download(caller: Caller | undefined, datasetId: string, sampleId: string): Promise<SampleDownloadView> {
    await this.datasets.visible(caller, datasetId);
    const sample = await this.samples.find(datasetId, sampleId);
    if (!sample) throw notFound('sample', sampleId);
    const signed = await this.rpc.send(DeliverySubjects.signSample, {
      datasetId,
      path: sample.path,
      sha256: sample.sha256,
      ...(sample.contentType !== null ? { contentType: sample.contentType } : {}),
    });
    return { ...sample.toView(), url: signed.url, expiresAt: signed.expiresAt };
  }

  /**
   * The owning vendor takes a sample off its listing: its page no longer shows it, the URLs
   * handed out for it stop serving, its place and bytes are free, and delivery deletes the bytes
   * (ObjectUnlisted, committed with the removal). While the listing is in review: 409; a sample
   * the listing does not have: NOT_FOUND.
   */
  async remove(caller: Caller, datasetId: string, sampleId: string): Promise<null> {
    return this.unitOfWork.run(async (tx) => {
      (await this.datasets.lockOwned(caller, datasetId)).assertNotInReview(HELD_SAMPLES);
      const removed = await this.samples.remove(datasetId, sampleId);
      if (!removed) throw notFound('sample', sampleId);
      await tx.publish(CatalogEvents.objectUnlisted, { target: 'sample', datasetId, path: removed.path, storageKey: removed.storageKey });
      return null;
    });
  }

  /**
   * Delivery stored a sample: it joins the dataset, replacing one of the same path. A listing
   * sent to review meanwhile refuses it (409), and so does one that took its last place for a
   * sample meanwhile (SAMPLES_PER_DATASET); delivery drops the bytes.
   */
  async add(caller: Caller | undefined, request: AddSampleRequest): Promise<AddedSample> {
    return this.unitOfWork.run(async () => {
      // Delivery tells the catalog as the vendor that uploaded; that must still be the owner.
      const dataset = caller ? await this.datasets.lockOwned(caller, request.datasetId) : await this.datasets.lockAny(request.datasetId);
      dataset.assertNotInReview(HELD_SAMPLES);
      // The dataset row is locked: two uploads recorded at once cannot both take the last place.
      await assertRoomForSample(this.samples, request.datasetId, request.path, this.config.SAMPLES_PER_DATASET);
      const existing = await this.samples.findByPath(request.datasetId, request.path);
      await this.storage.assertRoom(dataset.vendorOrganizationId, request.size, existing?.size ?? 0);
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
