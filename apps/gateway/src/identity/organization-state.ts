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

/**
 * The longest reason an operator may give for a suspension, in characters: the organization
 * reads it in the 403 every one of its keys gets.
 */
export const MAX_SUSPENSION_REASON_LENGTH = 1000;
