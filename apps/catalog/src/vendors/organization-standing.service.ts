import { GatewayEvents, type OrganizationStatusChangedV1 } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { EventHandler, type EventContext } from '@trove/messaging';
import { DatasetIndexer } from '../datasets/dataset-indexer';
import { DatasetRepository } from '../datasets/dataset.repository';
import { OrganizationStandingRepository } from './organization-standing.repository';

const SUSPENDED = 'suspended';

/**
 * What the gateway tells of organizations' standing. An operator who suspends a vendor (fraud, a
 * licensing dispute) stops it selling: its published listings leave search, their pages are no
 * longer public, and their offers cannot be ordered (see access.ts, isPublic). The listings' own
 * statuses stay as they are, so reinstating the vendor brings back exactly what was published,
 * and a listing an operator suspended on its own stays suspended.
 *
 * The consumer applies one organization's changes in the order the gateway wrote them; the
 * time of each change decides besides, so a late or repeated change never brings an older
 * status back.
 */
@Injectable()
export class OrganizationStandingService {
  private readonly logger = new Logger('OrganizationStanding');

  constructor(
    private readonly standing: OrganizationStandingRepository,
    private readonly datasets: DatasetRepository,
    private readonly indexer: DatasetIndexer,
  ) {}

  // The newest change by its own time wins, so an organization's history may be joined midway.
  @EventHandler(GatewayEvents.organizationStatusChanged, { consumer: 'organization-statuses', startsMidHistory: true })
  async statusChanged(event: OrganizationStatusChangedV1, { tx }: EventContext<OrganizationStatusChangedV1>): Promise<void> {
    const change = await this.standing.record(event.organizationId, event.status, new Date(event.changedAt));
    // Approved once, its profile's names are its own for good (see VendorProfileRepository).
    if (event.status === 'active') await this.standing.approved(event.organizationId, new Date(event.changedAt));
    if (!change) {
      this.logger.log(`status ${event.status} of organization ${event.organizationId} at ${event.changedAt} is not newer than the one recorded: ignored`);
      return;
    }
    const suspended = change.status === SUSPENDED;
    if ((change.previous === SUSPENDED) === suspended) return;
    // Locked before the projection changes: a command on one of these listings that started
    // earlier commits first, one that starts later reads the new standing.
    const listings = await this.datasets.lockOfVendor(event.organizationId);
    if (listings.length === 0) return;
    await this.indexer.vendorChanged(tx, event.organizationId, suspended ? 'vendor-suspended' : 'vendor-reinstated', listings);
  }
}
