import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import { ACCESS_RULE, PublicRoute, type AccessRule, type Role } from '@trove/platform';
import { ApiProblems } from '../openapi/api-problems';

/** Set by `Audited` (audit/audited.decorator.ts): the guard marks such calls before it may refuse them. */
export const AUDITED = 'trove:audited';

export interface AuditedAction {
  action: string;
  targetType: string;
  /** The target is what the call creates (a sign-up's new organization), never the caller's own. */
  createsTarget?: boolean;
}

/** The roles that may call a route; the rule is in the OpenAPI document too. */
export function Roles(roles: Role[], options: { activeOnly?: boolean } = {}) {
  const rule: AccessRule = { kind: 'roles', roles, activeOnly: options.activeOnly ?? false };
  return applyDecorators(
    SetMetadata(ACCESS_RULE, rule),
    ApiBearerAuth('apiKey'),
    ApiExtension('x-trove-access', { roles, activeOnly: rule.activeOnly }),
    ApiProblems(401, 403, 429),
  );
}

/** Anyone may call it; a key, if sent, must still be valid and identifies the caller. */
export function Public() {
  return applyDecorators(PublicRoute(), ApiExtension('x-trove-access', { public: true }), ApiProblems(429));
}
