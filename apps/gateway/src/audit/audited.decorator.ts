import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiExtension, ApiHeader } from '@nestjs/swagger';
import { AUDITED, type AuditedAction } from '../auth/access.decorators';
import { AuditedCallInterceptor } from './audited-call.interceptor';
import { ApiProblems } from '../openapi/api-problems';

/**
 * A state-changing route: every call that reaches the guards, allowed or refused (401, 403),
 * leaves an audit record, except one refused for its rate (429, see AuditService). A request
 * refused before the guards run (a body over BODY_LIMIT_BYTES, malformed HTTP) leaves none: no
 * route, no caller is known yet. The AuthGuard reads the action (so that refusals are recorded
 * too). The interceptor, on these routes only
 * so reads pay nothing, hands the audit record to the unit of work that makes the change and
 * gives the call its idempotency key. `createsTarget`: the record's target is what the call
 * creates, also when the caller's key is sent (an operator signing an organization up).
 */
export function Audited(action: string, targetType: string, options: { createsTarget?: boolean; replays?: boolean } = {}) {
  return applyDecorators(
    // A route a service carries out as a command replays its first answer to the same key and
    // body, and refuses another body. `replays: false` for the rest: the gateway's own routes
    // and the signing of an upload URL (a new URL each time).
    ...(options.replays === false ? [] : [ApiProblems(422)]),
    SetMetadata(AUDITED, { action, targetType, ...(options.createsTarget ? { createsTarget: true } : {}) } satisfies AuditedAction),
    UseInterceptors(AuditedCallInterceptor),
    ApiExtension('x-trove-audit', action),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Up to 255 printable ASCII characters, scoped to the caller\'s organization and the route (the same key on another route is another request). Where the route changes data a service holds (datasets, offers, orders, payments), a retry with the same key and body gets the first answer and changes nothing again, and the same key with another body is 422 IDEMPOTENCY_KEY_REUSED. Sign-up and key creation do not replay: their answer holds a secret that is never stored.',
      schema: { type: 'string', maxLength: 255 },
    }),
  );
}
