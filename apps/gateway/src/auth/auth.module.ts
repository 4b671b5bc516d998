import { Global, Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { RefusedBodyGuard } from '../http/refused-body.guard';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { GatewayConfig } from '../gateway.config';
import { AuthFailures } from './auth-failures';
import { AccessGuard, AuthGuard } from './auth.guard';
import { KeyStore } from './key-store';
import { KeyStoreRepository } from './key-store.repository';
import { ORGANIZATION_THROTTLER, RateLimitGuard } from './rate-limit.guard';
import { RouteRules } from './route-rules';

@Global()
@Module({
  imports: [
    DiscoveryModule,
    ThrottlerModule.forRootAsync({
      inject: [GatewayConfig],
      useFactory: (config: GatewayConfig) => ({
        throttlers: [
          {
            name: 'default',
            ttl: 1000,
            limit: (context) => (context.switchToHttp().getRequest<FastifyRequest>().principal ? config.RATE_LIMIT_PER_KEY : config.RATE_LIMIT_PER_ADDRESS),
          },
          // All of an organization's keys together (RateLimitGuard: callers with a key only).
          { name: ORGANIZATION_THROTTLER, ttl: 1000, limit: config.RATE_LIMIT_PER_ORGANIZATION },
        ],
      }),
    }),
  ],
  providers: [
    KeyStore,
    KeyStoreRepository,
    AuthFailures,
    RouteRules,
    // In this order: the rate limit needs to know which key is calling; what the key may do is
    // checked after it, so that calls a key may not make are slowed too; and a body refused as it
    // was read is answered only to a caller that got past all three.
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_GUARD, useClass: RefusedBodyGuard },
  ],
  exports: [KeyStore],
})
export class AuthModule {}
