import { CommonErrorCode, GatewayErrorCode } from '@trove/contracts';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_RULE, RequestContext, ServiceException, type AccessRule } from '@trove/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUDITED, type AuditedAction } from './access.decorators';
import { AuthFailures } from './auth-failures';
import { KeyStore, type KeyCheck } from './key-store';

/**
 * The front door, first of three guards (AuthGuard, RateLimitGuard, AccessGuard). Identifies the
 * caller from `Authorization: Bearer trv_…` and puts it into the request context (and from there
 * into every NATS message): 401 for a key that is not valid, and for a request without a key on
 * a route that needs one. What the key may do (its role, its organization's standing, a read
 * key's methods) is AccessGuard's, after the rate limit, so that a valid key sending calls it may
 * not make is slowed like any other.
 *
 * Failed authentications, a request without a key on a route that needs one included, are
 * counted per client address (AUTH_FAILURES_PER_ADDRESS a minute). Past the limit a failure is
 * answered 429, and a key id this replica does not know to exist is refused without a database
 * lookup; valid keys from the address keep working. A request counts as a failure while its key
 * is being checked, and is forgiven once the key proves valid: a burst of guessed keys sent at
 * once all passed under the limit before, each costing a lookup.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: KeyStore,
    private readonly failures: AuthFailures,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, targets);
    if (!rule) throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no access rule`);
    if (rule.kind === 'infrastructure') return true;

    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // Marked here, before any check can refuse the call, so that refusals are audited too.
    const audited = this.reflector.get<AuditedAction | undefined>(AUDITED, context.getHandler());
    if (audited) {
      const params = request.params as Record<string, string | undefined>;
      request.audit = { action: audited.action, targetType: audited.targetType, targetId: attemptedTarget(params.id) };
    }

    const header = request.headers.authorization;
    if (header === undefined) {
      if (rule.kind === 'public') return true;
      // A route that needs a key, called without one: a failed authentication like a wrong key,
      // so that a client without one cannot call it (and fill the audit log) without end.
      this.refuseFailure(context, request, 'This route needs an API key: Authorization: Bearer <key>.');
    }
    const refusedFor = this.failures.refusedFor(request.ip);
    const counted = this.failures.record(request.ip);
    const lines = authorizationLines(request);
    const token = /^Bearer ([^\s]+)$/i.exec(header)?.[1];
    let check: KeyCheck;
    try {
      check =
        lines > 1
          ? { ok: false, reason: `Send one Authorization header: this request has ${lines}.` }
          : token
            ? await this.keys.check(token, { knownKeysOnly: refusedFor > 0 })
            : { ok: false, reason: 'The Authorization header must be "Bearer <API key>".' };
    } catch (error) {
      // The key could not be checked (the database away): not the caller's failure.
      this.failures.forgive(counted);
      throw error;
    }
    if (!check.ok) this.refuse(context, refusedFor, check.reason);
    this.failures.forgive(counted);
    request.principal = check.principal;
    // A route on the caller's own organization (its vendor profile) names no id in its path.
    if (request.audit && request.audit.targetId === null && request.audit.targetType === 'organization' && !audited?.createsTarget) request.audit.targetId = check.principal.organizationId;
    const store = RequestContext.current();
    if (store) {
      const { organizationId, role, keyId, keyExpiresAt } = check.principal;
      store.caller = { organizationId, role, keyId, ...(keyExpiresAt === undefined ? {} : { keyExpiresAt }) };
    }
    return true;
  }

  /** Counts a failed authentication of the request's address, and refuses it: 401, or 429 past the limit. */
  private refuseFailure(context: ExecutionContext, request: FastifyRequest, reason: string): never {
    const refusedFor = this.failures.refusedFor(request.ip);
    this.failures.record(request.ip);
    this.refuse(context, refusedFor, reason);
  }

  private refuse(context: ExecutionContext, refusedFor: number, reason: string): never {
    if (refusedFor > 0) {
      context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(refusedFor));
      throw new ServiceException(CommonErrorCode.RATE_LIMITED, `Too many failed authentications from this address: retry after ${refusedFor} s. Valid keys are still accepted.`);
    }
    throw new ServiceException(CommonErrorCode.UNAUTHENTICATED, reason);
  }
}

/**
 * The last of the three guards: what the identified caller may do on this route. Every key of a
 * suspended organization is refused, a read key (`access: "read"`) on any method but GET and
 * HEAD (on a public route too), a role the route does not allow, and an organization not yet
 * approved where the route needs an approved one: each a 403. Runs after the rate limit, so a
 * key sending calls it may not make is answered 429 past its limit, as for any other call.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    if (!rule) throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no access rule`);
    if (rule.kind === 'infrastructure') return true;
    const principal = context.switchToHttp().getRequest<FastifyRequest>().principal;
    if (principal) {
      if (principal.organization.status === 'suspended') throw organizationSuspended(principal.organization.statusReason);
      // Whatever the route: a read key changes nothing, on a public route (sign-up) as on any other.
      const method = context.switchToHttp().getRequest<FastifyRequest>().method;
      if (principal.access === 'read' && !READ_METHODS.has(method)) {
        throw new ServiceException(
          GatewayErrorCode.KEY_READ_ONLY,
          `This key reads only (access "read"): it may GET and HEAD, not ${method}. Use a key with full access, made with POST /v1/api-keys.`,
        );
      }
    }
    if (rule.kind === 'public') return true;
    // AuthGuard let no request without a valid key through to a route that needs one.
    if (!principal) throw new ServiceException(CommonErrorCode.UNAUTHENTICATED, 'This route needs an API key: Authorization: Bearer <key>.');
    if (!rule.roles.includes(principal.role)) {
      throw new ServiceException(CommonErrorCode.FORBIDDEN, `This route is for ${rule.roles.join(' or ')} keys; this key acts as ${principal.role}.`);
    }
    if (rule.activeOnly && principal.organization.status !== 'active') {
      throw new ServiceException(GatewayErrorCode.ORGANIZATION_PENDING, 'The organization is awaiting approval by an operator.');
    }
    return true;
  }
}

/** What a read key may call. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * The 403 of every key of a suspended organization. It tells the organization the operator's
 * reason, when there is one, and nothing else about the suspension (who, when).
 */
function organizationSuspended(reason: string | null): ServiceException {
  const refused = 'The organization is suspended; its keys are refused until an operator reinstates it.';
  return new ServiceException(GatewayErrorCode.ORGANIZATION_SUSPENDED, reason ? `${refused} It was suspended by the operator: ${reason}` : refused);
}

/**
 * How many Authorization lines the request carried. Node keeps the first of several and drops
 * the rest silently, while a proxy or a log in front may have read another one: a request that
 * names two keys is refused rather than served as whichever one Node kept.
 */
function authorizationLines(request: FastifyRequest): number {
  const raw = request.raw?.rawHeaders;
  if (!raw) return 1;
  let lines = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 13 && raw[i].toLowerCase() === 'authorization') lines += 1;
  return lines;
}

/**
 * What an operator reading the audit must not be shown as written: controls, and the invisible
 * characters that reorder or hide text around them (bidi overrides and isolates, zero-width
 * characters, the BOM: Unicode's format characters), private-use and unassigned code points, and
 * line and paragraph separators.
 */
const UNREADABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu;

/**
 * The target a call named in its path (`:id`), as the audit keeps it: the caller wrote it, and
 * before any check. A NUL (`/v1/api-keys/%00`) is no text PostgreSQL stores, so the record failed
 * and the call was a 500 with no record; a right-to-left override (`%E2%80%AEgnp.exe`) showed the
 * operator `exe.png`, written by a caller without a key. Every such character is kept as U+FFFD.
 * (A path parameter longer than 100 characters is a 414 before this.)
 */
export function attemptedTarget(id: string | undefined): string | null {
  // Lower-cased as the services write ids, so `?target=` finds a call made with an upper-case one.
  return id === undefined ? null : id.toLowerCase().replace(UNREADABLE, '\ufffd');
}
