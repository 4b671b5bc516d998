import { Injectable } from '@nestjs/common';
import type { Transaction } from '@trove/messaging';
import { DatasetIndexer, type DatasetChange } from '../datasets/dataset-indexer';
import { searchDocument } from './search-document';
import { SearchRepository } from './search.repository';

/**
 * Keeps `dataset_search` in step with the catalog: called by every command that changes a
 * dataset, its versions or its offers, inside that command's transaction, it rebuilds the
 * dataset's row from what the transaction sees, or deletes it when the dataset is not
 * published. So search shows a dataset exactly while it is published, and a rolled-back change
 * leaves the projection as it was.
 */
@Injectable()
export class SearchIndexer extends DatasetIndexer {
  constructor(private readonly search: SearchRepository) {
    super();
  }

  override async datasetChanged(_tx: Transaction, datasetId: string, _change?: DatasetChange): Promise<void> {
    await this.reindex(datasetId);
  }

  /** Rebuilds one dataset's row; call inside a unit of work's transaction. */
  async reindex(datasetId: string): Promise<void> {
    const dataset = await this.search.indexable(datasetId);
    if (!dataset || dataset.status !== 'published' || dataset.publishedAt === null) {
      await this.search.remove(datasetId);
      return;
    }
    await this.search.upsert(searchDocument({ ...dataset, publishedAt: dataset.publishedAt }, dataset.offers));
  }
}
