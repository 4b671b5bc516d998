import type { PayoutStatus } from '@trove/contracts';
import { StateMachine } from '@trove/platform';

/**
 * A payout waits for an operator; its vendor may withdraw it until then. Every end is final:
 * a vendor that wants its money after a cancellation or a rejection asks again.
 */
export const payoutStates = new StateMachine<PayoutStatus>('payout', {
  pending: ['paid', 'cancelled', 'rejected'],
  paid: [],
  cancelled: [],
  rejected: [],
});
