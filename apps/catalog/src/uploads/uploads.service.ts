import { filePathProblems } from '@trove/dataset';
import { DeliveryErrorCode, DeliverySubjects, type CreateUploadRequest, type SignedUploadView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcClient } from '@trove/messaging';
import { fieldError, ServiceException, type Caller } from '@trove/platform';
import { isOwner, notFound } from '../access';
import { CatalogConfig } from '../catalog.config';
import { DatasetRepository } from '../datasets/dataset.repository';
import { SampleRepository } from '../samples/sample.repository';
import { assertRoomForSample, HELD_SAMPLES } from '../samples/samples.service';
import { StorageQuota } from '../vendors/storage-quota';
import { VersionRepository } from '../versions/version.repository';
import { HELD_VERSIONS, pathCollision } from '../versions/versions.service';

/**
 * The first step of an upload: the catalog checks who asks, for which dataset and version, and
 * the path; delivery then signs a URL the vendor PUTs the bytes to. Bytes never pass here. No
 * URL is signed for a listing in review; one signed before is refused when delivery records
 * the file (the dataset row is locked then).
 */
@Injectable()
export class UploadsService {
  constructor(
    private readonly datasets: DatasetRepository,
    private readonly versions: VersionRepository,
    private readonly samples: SampleRepository,
    private readonly rpc: RpcClient,
    private readonly config: CatalogConfig,
    private readonly storage: StorageQuota,
  ) {}

  async create(caller: Caller, request: CreateUploadRequest): Promise<SignedUploadView> {
    const dataset = await this.datasets.findById(request.datasetId);
    if (!dataset || !isOwner(caller, dataset.vendorOrganizationId)) throw notFound('dataset', request.datasetId);
    dataset.assertNotInReview(request.target === 'version-file' ? HELD_VERSIONS : HELD_SAMPLES);
    const pathProblems = filePathProblems(request.path);
    if (pathProblems.length > 0) throw fieldError('path', pathProblems.join('; '));

    let maxBytes: number | undefined;
    if (request.target === 'version-file') {
      if (!request.versionId) throw fieldError('versionId', 'versionId is required for a version file');
      const version = await this.versions.find(dataset.id, request.versionId);
      if (!version) throw notFound('version', request.versionId);
      version.assertOpen();
      // Said before the bytes travel; recording the file checks again, under the version's lock.
      const clash = await this.versions.collidingPath(version.id, request.path);
      if (clash) throw pathCollision(request.path, clash);
    } else {
      // Said before the bytes travel; recording the sample checks again, under the dataset's lock.
      await assertRoomForSample(this.samples, dataset.id, request.path, this.config.SAMPLES_PER_DATASET);
      maxBytes = this.config.SAMPLE_MAX_BYTES;
      if (request.size !== undefined && request.size > maxBytes) {
        throw new ServiceException(DeliveryErrorCode.UPLOAD_TOO_LARGE, `A sample may be at most ${maxBytes} bytes; this one declares ${request.size}.`);
      }
    }
    // The URL holds no more than the vendor may still store; recording the file checks again.
    const replacing = async () =>
      request.target === 'version-file' ? this.versions.sizeAt(request.versionId!, request.path) : ((await this.samples.findByPath(dataset.id, request.path))?.size ?? 0);
    const room = await this.storage.room(dataset.vendorOrganizationId, request.size, replacing);
    // (A URL holds at least a byte: an empty file, declared so, fits when nothing is left.)
    if (room !== null) maxBytes = Math.min(maxBytes ?? room, Math.max(room, 1));
    return this.rpc.send(DeliverySubjects.signUpload, {
      target: request.target,
      datasetId: dataset.id,
      ...(request.target === 'version-file' ? { versionId: request.versionId } : {}),
      path: request.path,
      ...(request.size !== undefined ? { size: request.size } : {}),
      ...(request.sha256 !== undefined ? { sha256: request.sha256 } : {}),
      ...(maxBytes !== undefined ? { maxBytes } : {}),
    });
  }
}
