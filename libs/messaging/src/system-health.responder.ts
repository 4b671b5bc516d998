import { BACKEND_SERVICES, SystemSubjects, type BackendService, type ServiceHealth } from '@trove/contracts';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Readiness, SERVICE_IDENTITY, type ServiceIdentity } from '@trove/platform';
import { DeadLetterStore } from './dead-letters';
import { RpcServer } from './rpc.server';

/** Answers `<service>.system.health` for the gateway's admin health page. */
@Injectable()
export class SystemHealthResponder implements OnModuleInit {
  constructor(
    private readonly server: RpcServer,
    private readonly readiness: Readiness,
    private readonly deadLetters: DeadLetterStore,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    const service = this.identity.service as BackendService;
    if (!BACKEND_SERVICES.includes(service)) return;
    this.server.register(SystemSubjects.health[service], () => this.health());
  }

  async health(): Promise<ServiceHealth> {
    const database = await this.readiness.check('database');
    // Events nobody has replayed make the service degraded in admin health, not down.
    const [deadLetters, unpublishedEvents] =
      database.status === 'ok' ? await Promise.all([this.deadLetters.unreplayedCount().catch(() => undefined), this.unpublishedEvents().catch(() => undefined)]) : [];
    return {
      service: this.identity.service,
      version: this.identity.version,
      status: database.status === 'ok' && !this.readiness.shuttingDown ? 'ok' : 'down',
      instance: this.identity.instance,
      uptimeSeconds: Math.round((Date.now() - this.identity.startedAt.getTime()) / 1000),
      database,
      ...(deadLetters === undefined ? {} : { deadLetters }),
      ...(unpublishedEvents === undefined ? {} : { unpublishedEvents }),
    };
  }

  /** Outbox rows written but not yet published: where events queue before the stream (the partial index keeps it cheap). */
  private async unpublishedEvents(): Promise<number> {
    const [{ count }] = (await this.dataSource.query(`SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`)) as { count: number }[];
    return count;
  }
}
