import { PAYOUT_STATUSES } from '@trove/contracts';
import { payoutStates } from './payout-state';

describe('payout states', () => {
  it('reaches every status from pending, and every other status is an end', () => {
    expect([...payoutStates.reachableFrom('pending')].sort()).toEqual([...PAYOUT_STATUSES].sort());
    expect(PAYOUT_STATUSES.filter((s) => payoutStates.isTerminal(s))).toEqual(['paid', 'cancelled', 'rejected']);
  });

  it.each([
    ['pending', 'paid', true],
    ['pending', 'cancelled', true],
    ['pending', 'rejected', true],
    ['cancelled', 'paid', false],
    ['rejected', 'paid', false],
    ['paid', 'cancelled', false],
    ['rejected', 'cancelled', false],
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(payoutStates.can(from, to)).toBe(allowed);
  });
});
