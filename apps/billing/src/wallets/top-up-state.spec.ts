import { TOP_UP_STATUSES } from '@trove/contracts';
import { topUpStates } from './top-up-state';

describe('top-up states', () => {
  it('reaches every status from pending, and every other status is an end', () => {
    expect([...topUpStates.reachableFrom('pending')].sort()).toEqual([...TOP_UP_STATUSES].sort());
    expect(TOP_UP_STATUSES.filter((s) => topUpStates.isTerminal(s))).toEqual(['confirmed', 'cancelled', 'rejected']);
  });

  it.each([
    ['pending', 'confirmed', true],
    ['pending', 'cancelled', true],
    ['pending', 'rejected', true],
    ['cancelled', 'confirmed', false],
    ['rejected', 'confirmed', false],
    ['confirmed', 'cancelled', false],
    ['confirmed', 'rejected', false],
    ['rejected', 'cancelled', false],
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(topUpStates.can(from, to)).toBe(allowed);
  });
});
