import type { SubscriptionStatus } from '@trove/contracts';
import { StateMachine } from '@trove/platform';

/**
 * A subscription renews while `active`. It ends once: it lapses at the end of a period that was
 * not charged (its buyer cancelled it, its license's term ended, its wallet could not cover the
 * period, the catalog no longer sells it, or its buyer's organization is suspended), or its
 * order is refunded. A buyer's cancellation is no state of its own: the subscription stays
 * `active`, with `cancelAtPeriodEnd`, until the period paid ends.
 */
export const subscriptionStates = new StateMachine<SubscriptionStatus>('subscription', {
  active: ['lapsed', 'refunded'],
  lapsed: [],
  refunded: [],
});
