import type { OrderStatus } from '@trove/contracts';
import { StateMachine } from '@trove/platform';

/**
 * The purchase saga as a transition table. Billing answers a placed order (paid or cancelled),
 * delivery a paid one (fulfilled); an operator's refund waits for billing's reversal.
 */
export const orderStates = new StateMachine<OrderStatus>('order', {
  pending_payment: ['paid', 'cancelled'],
  paid: ['fulfilled', 'refund_pending'],
  fulfilled: ['refund_pending'],
  refund_pending: ['refunded'],
  cancelled: [],
  refunded: [],
});

/** States that still wait for another service's answer: the sweep re-drives them. */
export const IN_FLIGHT: OrderStatus[] = orderStates.states.filter((s) => !orderStates.isTerminal(s) && s !== 'fulfilled');
