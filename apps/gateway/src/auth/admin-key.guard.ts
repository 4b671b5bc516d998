import { CommonErrorCode } from '@trove/contracts';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ServiceException } from '@trove/platform';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayConfig } from '../gateway.config';

/** Admin routes need `Authorization: Bearer <TROVE_ADMIN_KEY>`; compared in constant time. */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(config: GatewayConfig) {
    this.expected = digest(config.TROVE_ADMIN_KEY);
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!match) throw new ServiceException(CommonErrorCode.UNAUTHENTICATED, 'This route needs an API key: Authorization: Bearer <key>.');
    if (!timingSafeEqual(digest(match[1]), this.expected)) {
      throw new ServiceException(CommonErrorCode.UNAUTHENTICATED, 'The API key is not valid.');
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
