import { MessageHeaders } from '@trove/contracts';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { MetricsService, SERVICE_IDENTITY, type ServiceIdentity } from '@trove/platform';
import { encodeJson } from './codec';
import type { EventEnvelope } from './event-envelope';
import { ensureEventStream } from './jetstream';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { Namespace } from './namespace';
import { toNatsHeaders } from './message-context';
import { InjectNats } from './nats.provider';

interface OutboxRow {
  id: string;
  subject: string;
  payload: unknown;
  headers: Record<string, string>;
  occurred_at: Date;
}

/**
 * Publishes outbox rows to JetStream with Nats-Msg-Id = event id, and marks them published
 * only after JetStream acknowledged them. Woken after each commit, and swept on a timer so a
 * row left by a crash (ours or NATS's) is published when things are back. Replicas share the
 * work with SKIP LOCKED; a publish repeated after a crash is dropped by JetStream's
 * de-duplication window, and anything older by the consumers' inbox.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly namespace: Namespace,
    private readonly metrics: MetricsService,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await ensureEventStream(await this.nc.jetstreamManager(), this.namespace);
    this.timer = setInterval(() => this.kick(), this.options.outboxSweepMs);
    this.timer.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Publish what is pending now; coalesces with a pass already under way. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => this.logger.warn(`outbox pass failed, retrying on the next sweep: ${(error as Error).message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Publishes until nothing is pending. Resolves when done; used by tests and shutdown. */
  async drain(): Promise<void> {
    let published: number;
    do {
      published = await this.pass();
    } while (published === this.options.outboxBatchSize && !this.stopped);
    const [{ count }] = (await this.dataSource.query(`SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`)) as { count: number }[];
    this.metrics.outboxPending.set(count);
  }

  private async pass(): Promise<number> {
    const js = this.nc.jetstream();
    return this.dataSource.transaction(async (manager) => {
      const rows = (await manager.query(
        `SELECT id, subject, payload, headers, occurred_at FROM outbox
          WHERE published_at IS NULL ORDER BY occurred_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.options.outboxBatchSize],
      )) as OutboxRow[];
      if (rows.length === 0) return 0;
      const results = await Promise.allSettled(
        rows.map((row) => {
          const envelope: EventEnvelope = {
            id: row.id,
            subject: row.subject,
            occurredAt: new Date(row.occurred_at).toISOString(),
            producer: this.identity.service,
            payload: row.payload,
          };
          const headers = toNatsHeaders({ ...row.headers, [MessageHeaders.eventId]: row.id });
          return js.publish(this.namespace.subject(row.subject), encodeJson(envelope), { msgID: row.id, headers, timeout: 5000 });
        }),
      );
      const acked = rows.filter((_, i) => results[i].status === 'fulfilled');
      const failed = rows.filter((_, i) => results[i].status === 'rejected');
      if (acked.length > 0) {
        await manager.query(`UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::uuid[])`, [acked.map((r) => r.id)]);
        for (const row of acked) this.metrics.eventsPublished.inc({ subject: row.subject });
      }
      if (failed.length > 0) {
        await manager.query(`UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1::uuid[])`, [failed.map((r) => r.id)]);
        const reason = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
        this.logger.warn(`${failed.length} of ${rows.length} events not acknowledged, retrying on the next sweep: ${reason.message}`);
        return 0;
      }
      return rows.length;
    });
  }
}
