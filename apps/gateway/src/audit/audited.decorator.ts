import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { AUDITED, type AuditedAction } from '../auth/access.decorators';
import { AuditTargetInterceptor } from './audit-target.interceptor';

/**
 * A state-changing route: every call, allowed or not, leaves an audit record. The AuthGuard
 * reads the action (so that refusals are recorded too); the interceptor that adds the id of what
 * the call created sits on these routes only, so reads pay nothing.
 */
export function Audited(action: string, targetType: string) {
  return applyDecorators(
    SetMetadata(AUDITED, { action, targetType } satisfies AuditedAction),
    UseInterceptors(AuditTargetInterceptor),
    ApiExtension('x-trove-audit', action),
  );
}
