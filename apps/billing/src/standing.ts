import { Injectable, Logger } from '@nestjs/common';
import { EventConsumers, OrganizationStanding, UnappliedChanges, type UnappliedChange } from '@trove/messaging';

/** The consumers through which billing learns what it may sell and to whom it may pay. */
export const STANDING_CONSUMERS = ['organization-statuses', 'catalog-datasets', 'catalog-offers'] as const;

/**
 * Whether what billing knows of who may sell and be paid is current. It learns it from the
 * gateway's organization status changes and the catalog's dataset and offer changes, and two
 * things make that stale, each checked before a decision that cannot be taken back (a payout, a
 * period charged):
 *
 * - Billing was down while they were published: until its consumers have applied what waited for
 *   them at its start, the renewal pass is put off and a payout approval or an operator's pass is
 *   refused as unavailable (503, try again).
 * - One of them ended as a dead letter (it failed, was malformed, or waited for good for an
 *   earlier one): until an operator replays it, a payout to that vendor is held and a
 *   subscription it concerns is not renewed (it stays due, and is logged).
 */
@Injectable()
export class Standing extends OrganizationStanding {
  constructor(consumers: EventConsumers, unappliedChanges: UnappliedChanges) {
    super(consumers, STANDING_CONSUMERS, new Logger('Standing'), unappliedChanges);
  }

  /** A change of this listing or offer that billing could not apply (the catalog's events are not numbered: found by their payload), or null. */
  async unappliedListingChangeOf(datasetId: string, offerId: string): Promise<UnappliedChange | null> {
    return (await this.unappliedChanges.naming(['catalog-datasets'], { datasetId })) ?? this.unappliedChanges.naming(['catalog-offers'], { offerId });
  }
}
