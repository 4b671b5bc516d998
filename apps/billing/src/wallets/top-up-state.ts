import type { TopUpStatus } from '@trove/contracts';
import { StateMachine } from '@trove/platform';

/**
 * A top-up waits for an operator to see the transfer; its buyer may withdraw it until then.
 * Every end is final: a buyer whose money arrives after a cancellation or a rejection files the
 * transfer again.
 */
export const topUpStates = new StateMachine<TopUpStatus>('top-up', {
  pending: ['confirmed', 'cancelled', 'rejected'],
  confirmed: [],
  cancelled: [],
  rejected: [],
});
