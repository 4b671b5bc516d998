import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerRequest } from '@nestjs/throttler';
import { CommonErrorCode } from '@trove/contracts';
import { ACCESS_RULE, httpValidationPipe, ServiceException, type AccessRule } from '@trove/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayConfig } from '../gateway.config';
import { clientOf } from './auth-failures';
import { SIGN_UP_LIMIT, SIGN_UP_WINDOW_MS } from './rate-limits';

/** The throttler counting all the keys of one organization together (RATE_LIMIT_PER_ORGANIZATION). */
export const ORGANIZATION_THROTTLER = 'organization';

/** Whose bucket a tracker names, by its first part: what a 429 then says (`rateLimitDetail`). */
const TRACKED = { key: 'key:', address: 'ip:', organization: 'organization:', signUp: 'sign-up:' } as const;

/**
 * Rate limits per API key, and per client address for callers without one (an IPv6 address by
 * its /64, as failed authentications are counted), over every route together: one bucket per
 * key or address, where throttler's own key had one per route, and a key or address got the
 * limit once for each route it called. Runs after the AuthGuard, so it knows which key a request
 * carries, and before the AccessGuard, so that calls a key may not make are counted too. Probes
 * and scrapers are not limited.
 * A sign-up its rules accept is counted per client address per hour instead of per second, with
 * the validated SIGNUPS_PER_ADDRESS_PER_HOUR as its limit, also when a key is sent, except for an
 * operator's admin key: an operator onboarding organizations (the demo seed, a migration from
 * another marketplace) is a known caller counted per key like on any route, not an anonymous
 * address signing up again and again.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  @Inject(GatewayConfig) private readonly config!: GatewayConfig;

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    return rule?.kind === 'infrastructure';
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const http = request.context.switchToHttp().getRequest<FastifyRequest>();
    if (request.throttler.name === ORGANIZATION_THROTTLER) {
      // Every key of an organization together: each key has its bucket besides (the default
      // throttler), and an organization could make as many keys as it liked. An operator's keys
      // and callers without a key have no organization of their own to count.
      const principal = http.principal;
      if (!principal || principal.role === 'admin') return true;
      return super.handleRequest({ ...request, getTracker: () => Promise.resolve(`${TRACKED.organization}${principal.organizationId}`) });
    }
    const body = this.reflector.get<(new () => object) | undefined>(SIGN_UP_LIMIT, request.context.getHandler());
    if (!body) return super.handleRequest(request);
    if (http.principal?.role === 'admin') return super.handleRequest(request);
    // A body its rules refuse (400 next, from the same pipe) signs nobody up: it is counted per
    // second, like any call without a key, and spends none of the address's hourly sign-ups, so
    // a client that fixes its mistakes can still sign up. The pipe answers the same 400 after.
    if (!(await acceptedBy(body, http.body))) return super.handleRequest(request);
    // By address whatever key comes along: each sign-up answers a new key, and counting per key
    // would give every organization signed up a fresh hourly allowance to sign up more.
    return super.handleRequest({
      ...request,
      limit: this.config.SIGNUPS_PER_ADDRESS_PER_HOUR,
      ttl: SIGN_UP_WINDOW_MS,
      blockDuration: SIGN_UP_WINDOW_MS,
      getTracker: (req) => Promise.resolve(`${TRACKED.signUp}${clientOf((req as unknown as FastifyRequest).ip)}`),
    });
  }

  /**
   * The 429 names the limit that was reached and when to come back: a client told only "Too Many
   * Requests" could not tell a burst of its own key from its organization's keys together, nor
   * the hourly sign-up limit of its address from the per-second one. Every limit's wait is in
   * Retry-After, which clients read: throttler names a named limit's `Retry-After-organization`.
   */
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', detail.timeToBlockExpire);
    throw new ServiceException(CommonErrorCode.RATE_LIMITED, rateLimitDetail(detail));
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const req = request as unknown as FastifyRequest;
    return req.principal ? `${TRACKED.key}${req.principal.keyId}` : `${TRACKED.address}${clientOf(req.ip)}`;
  }

  /** The bucket is the caller's alone, whatever the route (the tracker says whose, and which window). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `${throttler}:${tracker}`;
  }
}

/** What a 429 says: which limit, counted over what, and the wait (Retry-After, in seconds). */
export function rateLimitDetail({ tracker, limit, ttl, timeToBlockExpire }: Pick<ThrottlerLimitDetail, 'tracker' | 'limit' | 'ttl' | 'timeToBlockExpire'>): string {
  const retry = `retry after ${timeToBlockExpire} s`;
  const per = `${limit} requests ${ttl === 1000 ? 'a second' : `in ${ttl / 1000} s`}`;
  if (tracker.startsWith(TRACKED.signUp)) {
    return `This address sent ${limit} sign-ups within the hour, the most SIGNUPS_PER_ADDRESS_PER_HOUR allows: ${retry}.`;
  }
  if (tracker.startsWith(TRACKED.organization)) return `The API keys of this organization together made more than ${per} (RATE_LIMIT_PER_ORGANIZATION): ${retry}.`;
  if (tracker.startsWith(TRACKED.key)) return `This API key made more than ${per} (RATE_LIMIT_PER_KEY): ${retry}.`;
  return `This address made more than ${per} without an API key (RATE_LIMIT_PER_ADDRESS): ${retry}.`;
}

const pipe = httpValidationPipe();

/** Whether the gateway's pipe takes `value` as a body of class `body`. */
async function acceptedBy(body: new () => object, value: unknown): Promise<boolean> {
  try {
    await pipe.transform(value, { type: 'body', metatype: body });
    return true;
  } catch {
    return false;
  }
}
