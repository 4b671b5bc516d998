import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension } from '@nestjs/swagger';
import { ACCESS_RULE, PublicRoute, type AccessRule, type Role } from '@trove/platform';
import { AuditTargetInterceptor } from '../audit/audit-target.interceptor';
import { ApiProblems } from '../openapi/api-problems';

export const AUDITED = 'trove:audited';

export interface AuditedAction {
  action: string;
  targetType: string;
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

/**
 * A state-changing route: every call, allowed or not, leaves an audit record. The interceptor
 * that adds the id of what the call created sits on these routes only, so reads pay nothing.
 */
export function Audited(action: string, targetType: string) {
  return applyDecorators(
    SetMetadata(AUDITED, { action, targetType } satisfies AuditedAction),
    UseInterceptors(AuditTargetInterceptor),
    ApiExtension('x-trove-audit', action),
  );
}
