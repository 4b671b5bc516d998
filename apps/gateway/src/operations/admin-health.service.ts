import { BACKEND_SERVICES, SystemSubjects, type BackendService, type ServiceName } from '@trove/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { DeadLetterStore, RpcClient } from '@trove/messaging';
import { Readiness, SERVICE_IDENTITY, type ComponentCheck, type ServiceIdentity } from '@trove/platform';
import type { AdminHealthDto, ServiceHealthDto } from './admin-health.dto';

/** Services get this long to answer a health ping; a slow one is reported down, not waited for. */
const PING_TIMEOUT_MS = 2000;

@Injectable()
export class AdminHealthService {
  constructor(
    private readonly rpc: RpcClient,
    private readonly readiness: Readiness,
    private readonly deadLetters: DeadLetterStore,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
  ) {}

  async report(): Promise<AdminHealthDto> {
    const [nats, gatewayDb, gatewayDeadLetters, ...pings] = await Promise.all([
      this.readiness.check('nats'),
      this.readiness.check('database'),
      this.deadLetters.unreplayedCount().catch(() => undefined),
      ...BACKEND_SERVICES.map((service) => this.ping(service)),
    ]);
    const services = {
      gateway: {
        status: gatewayDb.status,
        latencyMs: 0,
        version: this.identity.version,
        instance: this.identity.instance,
        ...(gatewayDeadLetters === undefined ? {} : { deadLetters: gatewayDeadLetters }),
      },
    } as Record<ServiceName, ServiceHealthDto>;
    const databases: Record<string, ComponentCheck> = { gateway: gatewayDb };
    BACKEND_SERVICES.forEach((service, i) => {
      services[service] = pings[i].service;
      databases[service] = pings[i].database;
    });
    // Unreplayed dead letters: every service is up, yet some events were not applied.
    const deadLetters = Object.values(services).reduce((sum, s) => sum + (s.deadLetters ?? 0), 0);
    const everythingOk = nats.status === 'ok' && Object.values(services).every((s) => s.status === 'ok') && deadLetters === 0;
    return { status: everythingOk ? 'ok' : 'degraded', services, nats, databases, deadLetters, checkedAt: new Date().toISOString() };
  }

  private async ping(service: BackendService): Promise<{ service: ServiceHealthDto; database: ComponentCheck }> {
    const started = performance.now();
    try {
      const health = await this.rpc.send(SystemSubjects.health[service], { from: 'gateway' }, { timeoutMs: PING_TIMEOUT_MS });
      return {
        service: {
          status: health.status,
          latencyMs: Math.round((performance.now() - started) * 10) / 10,
          version: health.version,
          instance: health.instance,
          ...(health.deadLetters === undefined ? {} : { deadLetters: health.deadLetters }),
        },
        database: health.database,
      };
    } catch (error) {
      const message = (error as Error).message;
      return {
        service: { status: 'down', latencyMs: null, version: null, error: message },
        database: { status: 'down', latencyMs: null, error: `unknown: ${service} did not answer` },
      };
    }
  }
}
