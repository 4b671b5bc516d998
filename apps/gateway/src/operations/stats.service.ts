import {
  BACKEND_SERVICES,
  BillingSubjects,
  CatalogSubjects,
  CommonErrorCode,
  ORGANIZATION_KINDS,
  ORGANIZATION_STATUSES,
  OrderingSubjects,
  SERVICES,
  SystemSubjects,
  type OrganizationKind,
  type OrganizationStatus,
  type ServiceName,
} from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import type { ConsumerInfo, JetStreamManager, NatsConnection } from 'nats';
import { InjectNats, Namespace, RpcClient, UnitOfWork } from '@trove/messaging';
import { PlatformConfig, ServiceException } from '@trove/platform';
import { exactSales } from '../billing/exact-sums';
import { OrganizationRepository } from '../identity/organization.repository';
import { OutboxBacklogRepository } from './outbox-backlog.repository';
import type { AdminStatsDto, ConsumerBacklogDto } from './stats.dto';

/** Who may be missing from the figures: a service, or JetStream for the consumers' backlog. */
type Source = ServiceName | 'nats';

/**
 * The operators' figures. Each part is asked of its owner at once, each within the RPC timeout:
 * organizations from the gateway's own database, listings from the catalog, orders and
 * pending access requests from ordering (one call), sales from billing, the consumers' backlog
 * from JetStream and each service's unpublished outbox rows from its health reply. What does
 * not answer is named in `unavailable` with null figures; the rest still answer.
 */
@Injectable()
export class StatsService {
  private readonly logger = new Logger('Stats');
  private jsm?: Promise<JetStreamManager>;

  constructor(
    private readonly rpc: RpcClient,
    private readonly unitOfWork: UnitOfWork,
    private readonly organizations: OrganizationRepository,
    @InjectNats() private readonly nc: NatsConnection,
    private readonly namespace: Namespace,
    private readonly config: PlatformConfig,
    private readonly outbox: OutboxBacklogRepository,
  ) {}

  async stats(): Promise<AdminStatsDto> {
    const unavailable = new Set<Source>();
    const from = <T>(source: Source, work: () => Promise<T>): Promise<T | null> =>
      work().catch((error: unknown) => {
        // A refusal or a bad request is a bug of ours, not an outage: it must not hide as one.
        if (error instanceof ServiceException && error.code !== CommonErrorCode.SERVICE_UNAVAILABLE && error.code !== CommonErrorCode.INTERNAL) throw error;
        this.logger.warn(`stats: ${source} did not answer: ${(error as Error).message}`);
        unavailable.add(source);
        return null;
      });
    const [organizations, datasets, orders, sales, consumers, gatewayOutbox, ...healths] = await Promise.all([
      from('gateway', () => this.withinTimeout(this.organizationsByKind())),
      from('catalog', () => this.rpc.send(CatalogSubjects.datasetStats, {})),
      from('ordering', () => this.rpc.send(OrderingSubjects.orderStats, {})),
      from('billing', () => this.rpc.send(BillingSubjects.salesStats, {})),
      from('nats', () => this.withinTimeout(this.consumers())),
      from('gateway', () => this.withinTimeout(this.unitOfWork.read(() => this.outbox.unpublishedCount()))),
      ...BACKEND_SERVICES.map((service) => from(service, () => this.rpc.send(SystemSubjects.health[service], { from: 'gateway' }))),
    ]);
    const unpublished = Object.fromEntries(SERVICES.map((service) => [service, null])) as Record<ServiceName, number | null>;
    unpublished.gateway = gatewayOutbox;
    BACKEND_SERVICES.forEach((service, i) => (unpublished[service] = healths[i]?.unpublishedEvents ?? null));
    return {
      organizationsByKind: organizations,
      datasetsByStatus: datasets ? datasets.byStatus : null,
      ordersByStatus: orders ? orders.byStatus : null,
      // An ordering older than this gateway does not send it: null, as the contract says, rather than left out.
      accessRequestsWaiting: orders?.accessRequestsWaiting ?? null,
      salesPerCurrency: sales ? exactSales(sales.salesPerCurrency) : null,
      eventBacklog: { consumers, unpublished },
      unavailable: [...unavailable].sort(),
    };
  }

  private async organizationsByKind(): Promise<Record<OrganizationKind, Record<OrganizationStatus, number>>> {
    const rows = await this.unitOfWork.read(() => this.organizations.countByKindAndStatus());
    const byKind = Object.fromEntries(
      ORGANIZATION_KINDS.map((kind) => [kind, Object.fromEntries(ORGANIZATION_STATUSES.map((status) => [status, 0]))]),
    ) as Record<OrganizationKind, Record<OrganizationStatus, number>>;
    for (const row of rows) byKind[row.kind][row.status] = row.count;
    return byKind;
  }

  /**
   * Every durable consumer of this namespace's stream, from JetStream itself rather than from
   * the services, so that the backlog of a consumer whose service is down still shows.
   */
  private async consumers(): Promise<ConsumerBacklogDto[]> {
    const jsm = await this.manager();
    const found: ConsumerBacklogDto[] = [];
    try {
      for await (const info of jsm.consumers.list(this.namespace.stream)) found.push(backlogOf(info));
    } catch (error) {
      // No stream yet: no service has published or consumed anything, so nothing queues.
      if (/stream not found/i.test((error as Error).message)) return [];
      throw error;
    }
    return found.sort((a, b) => compare(a.service ?? '~', b.service ?? '~') || compare(a.consumer, b.consumer));
  }

  /** One manager for the process; a failed attempt (JetStream down) is tried again next time. */
  private manager(): Promise<JetStreamManager> {
    this.jsm ??= this.nc.jetstreamManager({ timeout: this.config.RPC_TIMEOUT_MS }).catch((error: unknown) => {
      this.jsm = undefined;
      throw error;
    });
    return this.jsm;
  }

  /** What the RPC client does for a call, for the parts that are not one: a database read, several JetStream requests. */
  private withinTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.config.RPC_TIMEOUT_MS} ms`)), this.config.RPC_TIMEOUT_MS);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

/** A durable is named `<service>_<consumer>` (EventConsumers.durableName). */
function backlogOf(info: ConsumerInfo): ConsumerBacklogDto {
  const name = info.config.durable_name ?? info.name;
  const separator = name.indexOf('_');
  const service = separator > 0 ? name.slice(0, separator) : '';
  const known = (SERVICES as readonly string[]).includes(service);
  return {
    consumer: known ? name.slice(separator + 1) : name,
    service: known ? (service as ServiceName) : null,
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
