import { Controller, Get, Injectable, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { InfrastructureRoute } from './access';
import { PlatformConfig } from './config';

export interface ComponentCheck {
  status: 'ok' | 'down';
  latencyMs: number | null;
  error?: string;
}

/**
 * What readiness depends on. The platform checks the database; other modules (the NATS
 * connection) register their own checks, and shutdown turns readiness off first of all.
 */
@Injectable()
export class Readiness {
  private readonly checks = new Map<string, () => Promise<void>>();
  private draining = false;

  constructor(
    private readonly typeorm: TypeOrmHealthIndicator,
    private readonly config: PlatformConfig,
  ) {
    this.register('database', async () => {
      const result = await this.typeorm.pingCheck('database', { timeout: Math.min(this.config.CONNECT_TIMEOUT_MS, 2000) });
      if (result.database.status !== 'up') throw new Error(String(result.database.message ?? 'database is down'));
    });
  }

  register(name: string, check: () => Promise<void>): void {
    this.checks.set(name, check);
  }

  get shuttingDown(): boolean {
    return this.draining;
  }

  beginShutdown(): void {
    this.draining = true;
  }

  names(): string[] {
    return [...this.checks.keys()];
  }

  async check(name: string): Promise<ComponentCheck> {
    const check = this.checks.get(name);
    if (!check) return { status: 'down', latencyMs: null, error: `no check named ${name}` };
    const started = performance.now();
    try {
      await check();
      return { status: 'ok', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
    } catch (error) {
      return { status: 'down', latencyMs: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
}

@ApiExcludeController()
@InfrastructureRoute()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly readiness: Readiness,
  ) {}

  /** The process is alive and its event loop turns; dependencies do not matter here. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Ready for work: every dependency answers and the process is not shutting down. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const indicators = this.readiness.names().map((name) => async (): Promise<HealthIndicatorResult> => {
      const result = await this.readiness.check(name);
      const session = this.indicator.check(name);
      return result.status === 'ok' ? session.up({ latencyMs: result.latencyMs }) : session.down({ error: result.error ?? 'down' });
    });
    indicators.push(async () => {
      const session = this.indicator.check('lifecycle');
      return this.readiness.shuttingDown ? session.down({ error: 'shutting down' }) : session.up();
    });
    try {
      return await this.health.check(indicators);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
