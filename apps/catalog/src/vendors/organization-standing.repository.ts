import { Injectable } from '@nestjs/common';
import { recordNewestStatus, TransactionalRepository, type StatusChange } from '@trove/messaging';

/** The latest status of each organization, as the gateway reported it (`organization_standing`). */
@Injectable()
export class OrganizationStandingRepository extends TransactionalRepository {
  /** The organization's status, unless a newer (or the same) change was stored already: then null. */
  record(organizationId: string, status: string, changedAt: Date): Promise<StatusChange | null> {
    return recordNewestStatus(this.transaction, 'organization_standing', 'organization_id', organizationId, status, changedAt);
  }
}
