import { organizationStates } from './organization-state';

describe('organization states', () => {
  it('reaches every state from pending, and none is a dead end', () => {
    expect([...organizationStates.reachableFrom('pending')].sort()).toEqual(['active', 'pending', 'suspended']);
    for (const state of organizationStates.states) expect(organizationStates.isTerminal(state)).toBe(false);
  });

  it('never goes back to pending', () => {
    expect(organizationStates.can('active', 'pending')).toBe(false);
    expect(organizationStates.can('suspended', 'pending')).toBe(false);
  });

  it('reinstates a suspended organization by approval', () => {
    expect(organizationStates.can('suspended', 'active')).toBe(true);
  });
});
