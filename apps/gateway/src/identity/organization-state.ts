import { StateMachine } from '@trove/platform';

export type OrganizationKind = 'vendor' | 'buyer' | 'admin';
export type OrganizationStatus = 'pending' | 'active' | 'suspended';

/**
 * Buyers start active, vendors pending until an operator approves them. Suspension stops every
 * key of the organization; approving a suspended organization reinstates it.
 */
export const organizationStates = new StateMachine<OrganizationStatus>('organization', {
  pending: ['active', 'suspended'],
  active: ['suspended'],
  suspended: ['active'],
});
