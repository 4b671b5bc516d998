import type { DatasetStatus } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { Transaction } from '@trove/messaging';
import { isPublic } from '../access';
import { exclusiveSoldOutUntil } from '../offers/exclusive-availability';
import { DatasetIndexer, type DatasetChange, type VendorChange } from '../datasets/dataset-indexer';
import { searchDocument } from './search-document';
import { SearchRepository } from './search.repository';

/**
 * Keeps `dataset_search` in step with the catalog: called by every command that changes a
 * dataset, its versions or its offers, inside that command's transaction, it rebuilds the
 * dataset's row from what the transaction sees, or deletes it when the dataset is not public
 * (not published, or its vendor suspended). So search shows a dataset exactly while anyone may
 * see it, and a rolled-back change leaves the projection as it was.
 */
@Injectable()
export class SearchIndexer extends DatasetIndexer {
  constructor(private readonly search: SearchRepository) {
    super();
  }

  override async datasetChanged(_tx: Transaction, datasetId: string, _change?: DatasetChange): Promise<void> {
    await this.reindex(datasetId);
  }

  /**
   * A vendor suspended: the rows of all its listings go, in one statement. Reinstated: each of
   * its published listings is indexed again from what it is now, as any change would.
   */
  override async vendorChanged(_tx: Transaction, vendorOrganizationId: string, change: VendorChange, listings: { id: string; status: DatasetStatus }[]): Promise<void> {
    if (change === 'vendor-suspended') {
      await this.search.removeOfVendor(vendorOrganizationId);
      return;
    }
    for (const listing of listings) if (listing.status === 'published') await this.reindex(listing.id);
  }

  /**
   * Rebuilds one dataset's row; call inside a unit of work's transaction. An offer that a live
   * exclusive sale blocks (an exclusive one, or any in the sale's territory) is left out, as one
   * that cannot be bought: its license
   * would otherwise be counted in the facet and match the filter, and its price would be the
   * listing's lowest, though checkout refuses it (409 EXCLUSIVITY_CONFLICT). The row is rebuilt
   * when the sale that blocks it ends, as when an offer expires.
   */
  async reindex(datasetId: string): Promise<void> {
    const dataset = await this.search.indexable(datasetId);
    if (!dataset || !isPublic(dataset) || dataset.publishedAt === null) {
      await this.search.remove(datasetId);
      return;
    }
    const now = new Date();
    const soldOutUntil: number[] = [];
    const buyable = dataset.offers.filter((offer) => {
      const until = exclusiveSoldOutUntil(offer.terms, dataset.liveExclusiveSales, now);
      if (until) soldOutUntil.push(until.getTime());
      return until === undefined;
    });
    const document = searchDocument({ ...dataset, publishedAt: dataset.publishedAt }, buyable);
    const refreshes = [...soldOutUntil, ...(document.refreshAt ? [document.refreshAt.getTime()] : [])];
    await this.search.upsert({ ...document, refreshAt: refreshes.length > 0 ? new Date(Math.min(...refreshes)) : null });
  }
}
