import { CatalogSubjects, CommonErrorCode, GetDatasetRequest, type DatasetView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import type { Dataset } from './dataset.entity';
import { DatasetRepository } from './dataset.repository';

@Injectable()
export class DatasetsHandler {
  constructor(private readonly datasets: DatasetRepository) {}

  /** A published dataset is public; any other is visible to its vendor and to admins only. */
  @RpcHandler(CatalogSubjects.getDataset)
  async get(request: GetDatasetRequest, context: RpcContext): Promise<DatasetView> {
    const dataset = await this.datasets.findById(request.id);
    if (!dataset || !visibleTo(dataset, context)) {
      throw new ServiceException(CommonErrorCode.NOT_FOUND, `No dataset ${request.id}.`);
    }
    return dataset.toView();
  }
}

function visibleTo(dataset: Dataset, { caller }: RpcContext): boolean {
  if (dataset.status === 'published') return true;
  return caller?.role === 'admin' || caller?.organizationId === dataset.vendorOrganizationId;
}
