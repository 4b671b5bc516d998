import { SUBSCRIPTION_STATUSES } from '@trove/contracts';
import { subscriptionStates } from './subscription-state';

describe('subscription states', () => {
  it('reaches every status from active, and every other status is an end', () => {
    expect([...subscriptionStates.reachableFrom('active')].sort()).toEqual([...SUBSCRIPTION_STATUSES].sort());
    expect(SUBSCRIPTION_STATUSES.filter((s) => subscriptionStates.isTerminal(s))).toEqual(['lapsed', 'refunded']);
  });

  it.each([
    ['active', 'lapsed', true],
    ['active', 'refunded', true],
    ['lapsed', 'active', false],
    ['lapsed', 'refunded', false],
    ['refunded', 'active', false],
    ['refunded', 'lapsed', false],
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(subscriptionStates.can(from, to)).toBe(allowed);
  });
});
