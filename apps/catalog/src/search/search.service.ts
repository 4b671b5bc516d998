import type { DatasetSearchPage, SearchDatasetsRequest } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { searchStatement } from './search-query';
import { SearchIndexer } from './search-indexer';
import { SearchRepository } from './search.repository';

/** How often rows whose offers expired meanwhile are rebuilt. */
export const SEARCH_REFRESH_INTERVAL_MS = 30_000;

@Injectable()
export class SearchService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SearchService');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly repository: SearchRepository,
    private readonly indexer: SearchIndexer,
  ) {}

  /** Published datasets only: the projection holds nothing else. */
  search(request: SearchDatasetsRequest): Promise<DatasetSearchPage> {
    const statement = searchStatement(request);
    return this.unitOfWork.read(() => this.repository.search(statement));
  }

  /**
   * An offer that expires changes no row by itself; its dataset's search row names it in
   * `refresh_at` and is rebuilt here once that time has passed. Returns how many were rebuilt.
   */
  async refreshExpired(batch = 100): Promise<number> {
    const due = await this.unitOfWork.read(() => this.repository.due(batch));
    for (const datasetId of due) {
      await this.unitOfWork.run(async () => {
        await this.repository.lockDataset(datasetId);
        await this.indexer.reindex(datasetId);
      });
    }
    return due.length;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.refreshExpired().catch((error: Error) => this.logger.warn(`refreshing expired offers in search failed: ${error.message}`));
    }, SEARCH_REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
