import { Injectable, Logger } from '@nestjs/common';
import { EventConsumers, OrganizationStanding, UnappliedChanges } from '@trove/messaging';
import { Readiness } from '@trove/platform';

/**
 * Whether the catalog knows organizations' standing as it is: it learns an operator's suspension
 * of a vendor from the gateway's events only, and a catalog that was down meanwhile finds them
 * waiting in the stream. Until its `organization-statuses` consumer has applied what it found at
 * the start, a suspended vendor's offers would be answered available to ordering and sold; so
 * until then `catalog.offer.get` is refused as unavailable (503, ordering's caller retries) and
 * the catalog's readiness is down (`standing`), so that a load balancer sends it nothing yet.
 * Once open, the gate stays open: later changes are applied as they come, like every event.
 *
 * A status change the catalog could not apply (a dead letter not yet replayed: it failed, was
 * malformed, or waited for good for an earlier one) may be that vendor's suspension: its offers
 * are not available until an operator replays it.
 */
@Injectable()
export class StandingGate extends OrganizationStanding {
  constructor(consumers: EventConsumers, readiness: Readiness, unappliedChanges: UnappliedChanges) {
    super(consumers, ['organization-statuses'], new Logger('StandingGate'), unappliedChanges);
    readiness.register('standing', async () => {
      if (!this.caughtUp) throw new Error('applying the organization status changes published while the catalog was away');
    });
  }

  /** Whether a status change of this organization was not applied (a dead letter not yet replayed). */
  async unapplied(organizationId: string): Promise<boolean> {
    return (await this.unappliedStatusOf([organizationId])) !== null;
  }
}
