import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ACCESS_RULE, type AccessRule } from '@trove/platform';
import type { FastifyRequest } from 'fastify';

/**
 * Rate limits per API key, and per client address for callers without one. Runs after the
 * AuthGuard, so it knows which key a request carries. Probes and scrapers are not limited.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [context.getHandler(), context.getClass()]);
    return rule?.kind === 'infrastructure';
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const req = request as unknown as FastifyRequest;
    return req.principal ? `key:${req.principal.keyId}` : `ip:${req.ip}`;
  }
}
