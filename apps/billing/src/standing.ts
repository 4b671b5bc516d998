import { eventAggregateType, GatewayEvents } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CatchUpGate, EventConsumers, UnappliedChanges, type UnappliedChange } from '@trove/messaging';

/** The consumers through which billing learns what it may sell and to whom it may pay. */
export const STANDING_CONSUMERS = ['organization-statuses', 'catalog-datasets', 'catalog-offers'] as const;

const ORGANIZATION = eventAggregateType(GatewayEvents.organizationStatusChanged.subject);

/**
 * Whether what billing knows of who may sell and be paid is current. It learns it from the
 * gateway's organization status changes and the catalog's dataset and offer changes, and two
 * things make that stale, each checked before a decision that cannot be taken back (a payout, a
 * period charged):
 *
 * - Billing was down while they were published: until its consumers have applied what waited for
 *   them at its start (`CatchUpGate`), the renewal pass is put off and a payout approval or an
 *   operator's pass is refused as unavailable (503, try again).
 * - One of them ended as a dead letter (it failed, was malformed, or waited for good for an
 *   earlier one): until an operator replays it, a payout to that vendor is held and a
 *   subscription it concerns is not renewed (it stays due, and is logged).
 */
@Injectable()
export class Standing implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Standing');
  private readonly gate: CatchUpGate;

  constructor(
    consumers: EventConsumers,
    private readonly unapplied: UnappliedChanges,
  ) {
    this.gate = new CatchUpGate(consumers, STANDING_CONSUMERS, this.logger);
  }

  onApplicationBootstrap(): void {
    void this.gate.start();
  }

  onApplicationShutdown(): void {
    this.gate.stop();
  }

  /** False from billing's start until it has applied what waited for it. */
  get caughtUp(): boolean {
    return this.gate.open;
  }

  /** Refuses `what` (503) until billing has caught up since its start. */
  assertCaughtUp(what: string): void {
    this.gate.assertOpen(what);
  }

  /** A status change of one of these organizations that billing could not apply, or null. */
  unappliedStatusOf(organizationIds: readonly string[]): Promise<UnappliedChange | null> {
    return this.unapplied.ofAggregates('organization-statuses', ORGANIZATION, organizationIds);
  }

  /** A change of this listing or offer that billing could not apply (the catalog's events are not numbered: found by their payload), or null. */
  async unappliedListingChangeOf(datasetId: string, offerId: string): Promise<UnappliedChange | null> {
    return (await this.unapplied.naming(['catalog-datasets'], { datasetId })) ?? this.unapplied.naming(['catalog-offers'], { offerId });
  }
}
