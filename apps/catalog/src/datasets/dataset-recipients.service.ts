import { DeliverySubjects, type DatasetRecipients, type DatasetRecipientsRequest } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcClient } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import { notFound, seesEverything } from '../access';
import { VersionRepository } from '../versions/version.repository';
import { DatasetRepository } from './dataset.repository';

/**
 * Who received a listing: delivery holds the entitlements and the download log, the catalog knows
 * whose listing it is. The catalog checks that first (another vendor's listing, or a version of
 * another listing, is NOT_FOUND, as everywhere), then asks delivery.
 */
@Injectable()
export class DatasetRecipientsService {
  constructor(
    private readonly datasets: DatasetRepository,
    private readonly versions: VersionRepository,
    private readonly rpc: RpcClient,
  ) {}

  async recipients(caller: Caller, request: DatasetRecipientsRequest): Promise<DatasetRecipients> {
    const dataset = await this.datasets.findById(request.datasetId);
    if (!dataset || !seesEverything(caller, dataset.vendorOrganizationId)) throw notFound('dataset', request.datasetId);
    if (request.versionId !== undefined && !(await this.versions.find(dataset.id, request.versionId))) throw notFound('version', request.versionId);
    return this.rpc.send(DeliverySubjects.datasetRecipients, {
      datasetId: dataset.id,
      ...(request.versionId !== undefined ? { versionId: request.versionId } : {}),
      ...(request.limit !== undefined ? { limit: request.limit } : {}),
      ...(request.cursor !== undefined ? { cursor: request.cursor } : {}),
    });
  }
}
