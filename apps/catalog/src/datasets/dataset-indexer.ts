import type { DatasetStatus } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { Transaction } from '@trove/messaging';

/** What happened to a dataset that a search projection may need to reflect. */
export type DatasetChange = 'created' | 'updated' | 'submitted' | 'published' | 'rejected' | 'suspended' | 'withdrawn' | 'version-released' | 'offer-created' | 'offer-withdrawn' | 'exclusive-sold' | 'exclusive-released';

/** What happened to a vendor that changes whether its listings may be public. */
export type VendorChange = 'vendor-suspended' | 'vendor-reinstated';

/**
 * The one place a search projection plugs in. Every command that changes a dataset, its
 * versions or its offers calls `datasetChanged` inside its own transaction, after the change,
 * so a projection maintained here commits or rolls back with it. A vendor suspended or
 * reinstated by an operator calls `vendorChanged` once for all its listings, in the transaction
 * that records the vendor's new standing. The default does nothing; search replaces the
 * provider (`{ provide: DatasetIndexer, useClass: ... }`).
 */
@Injectable()
export class DatasetIndexer {
  async datasetChanged(_tx: Transaction, _datasetId: string, _change: DatasetChange): Promise<void> {}

  /** `listings`: every listing of the vendor with its status, locked by the caller for the transaction. */
  async vendorChanged(_tx: Transaction, _vendorOrganizationId: string, _change: VendorChange, _listings: { id: string; status: DatasetStatus }[]): Promise<void> {}
}
