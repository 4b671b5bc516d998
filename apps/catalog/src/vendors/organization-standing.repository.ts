import { Injectable } from '@nestjs/common';
import { recordNewestStatus, TransactionalRepository, type StatusChange } from '@trove/messaging';

/** The latest status of each organization, as the gateway reported it (`organization_standing`). */
@Injectable()
export class OrganizationStandingRepository extends TransactionalRepository {
  /** The organization's status, unless a newer (or the same) change was stored already: then null. */
  record(organizationId: string, status: string, changedAt: Date): Promise<StatusChange | null> {
    return recordNewestStatus(this.transaction, 'organization_standing', 'organization_id', organizationId, status, changedAt);
  }

  /**
   * That an operator approved the organization at `at` (the earliest approval is kept), also
   * when the approval arrives after a newer status: a suspension reported first does not undo it.
   * Call after `record`, which writes the row.
   */
  async approved(organizationId: string, at: Date): Promise<void> {
    await this.transaction.query(`UPDATE organization_standing SET approved_at = LEAST(coalesce(approved_at, $2), $2) WHERE organization_id = $1`, [organizationId, at]);
  }
}
