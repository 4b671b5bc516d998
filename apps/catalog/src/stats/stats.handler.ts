import { CatalogSubjects, DATASET_STATUSES, DatasetStatsRequest, type DatasetStatus, type DatasetStatsView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerAs } from '../access';
import { DatasetStatsRepository } from './dataset-stats.repository';

/** The catalog's figures for the operators' `GET /v1/admin/stats`. */
@Injectable()
export class StatsHandler {
  constructor(private readonly datasets: DatasetStatsRepository) {}

  @RpcHandler(CatalogSubjects.datasetStats)
  async datasetStats(request: DatasetStatsRequest, context: RpcContext): Promise<DatasetStatsView> {
    callerAs(context, 'admin');
    const byStatus = Object.fromEntries(DATASET_STATUSES.map((status) => [status, 0])) as Record<DatasetStatus, number>;
    for (const row of await this.datasets.countByStatus(request.vendorOrganizationId)) byStatus[row.status] = row.count;
    return { byStatus };
  }
}
