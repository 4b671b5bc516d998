import { Injectable } from '@nestjs/common';
import type { Transaction } from '@trove/messaging';

/** What happened to a dataset that a search projection may need to reflect. */
export type DatasetChange = 'created' | 'updated' | 'submitted' | 'published' | 'rejected' | 'suspended' | 'version-released' | 'offer-created' | 'offer-withdrawn';

/**
 * The one place a search projection plugs in. Every command that changes a dataset, its
 * versions or its offers calls `datasetChanged` inside its own transaction, after the change,
 * so a projection maintained here commits or rolls back with it. The default does nothing;
 * search replaces the provider (`{ provide: DatasetIndexer, useClass: ... }`).
 */
@Injectable()
export class DatasetIndexer {
  async datasetChanged(_tx: Transaction, _datasetId: string, _change: DatasetChange): Promise<void> {}
}
