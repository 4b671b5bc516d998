import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RefusedBody } from './json-body';

/**
 * Answers a body refused as it was read (malformed JSON, another charset or media type) once the
 * caller has been authenticated and rate-limited: a request without a valid key learns that it
 * needs one, not what is wrong with its body.
 */
@Injectable()
export class RefusedBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body = context.switchToHttp().getRequest<FastifyRequest>().body;
    if (body instanceof RefusedBody) throw body.error;
    return true;
  }
}
