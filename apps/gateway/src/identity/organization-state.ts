import type { OrganizationKind, OrganizationStatus } from '@trove/contracts';
import { StateMachine } from '@trove/platform';

// The allowed values are defined once, in contracts (identity.ts).
export type { OrganizationKind, OrganizationStatus };

/**
 * Buyers start active, vendors pending until an operator approves them. Suspension stops every
 * key of the organization; approving a suspended organization reinstates it.
 */
export const organizationStates = new StateMachine<OrganizationStatus>('organization', {
  pending: ['active', 'suspended'],
  active: ['suspended'],
  suspended: ['active'],
});
