import { SetMetadata } from '@nestjs/common';
import type { Role } from './context';

export const ACCESS_RULE = 'trove:access';

/**
 * Who may call a route. Every HTTP route declares one; an app that finds a route without a
 * rule refuses to start, so no route is open by omission.
 */
export type AccessRule =
  | { kind: 'public' }
  /** Health, metrics, docs: for probes and scrapers, outside rate limits and audit. */
  | { kind: 'infrastructure' }
  | {
      kind: 'roles';
      roles: Role[];
      /** Only organizations an operator has approved (a pending vendor cannot). */
      activeOnly: boolean;
    };

export const PublicRoute = () => SetMetadata(ACCESS_RULE, { kind: 'public' } satisfies AccessRule);
export const InfrastructureRoute = () => SetMetadata(ACCESS_RULE, { kind: 'infrastructure' } satisfies AccessRule);
