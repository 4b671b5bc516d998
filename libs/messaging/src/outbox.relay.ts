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
  seq: string;
  aggregate_type: string | null;
  aggregate_id: string | null;
  aggregate_seq: string | null;
  aggregate_previous: Record<string, number> | null;
}

/**
 * Claims the oldest unclaimed rows, in write order, for `$2` ms. A row is left for later when an
 * earlier row of its aggregate is still unpublished and not part of this claim (another relay
 * holds it, or it was not in the batch): one aggregate's events then always go out in order,
 * however many relays run. SKIP LOCKED lets replicas claim at the same time without waiting.
 */
const CLAIM = `
  WITH candidates AS (
    SELECT id, seq, aggregate_type, aggregate_id FROM outbox
     WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
     ORDER BY seq LIMIT $1
     FOR UPDATE SKIP LOCKED
  ), ready AS (
    SELECT c.id FROM candidates c
     WHERE c.aggregate_id IS NULL OR NOT EXISTS (
       SELECT 1 FROM outbox e
        WHERE e.aggregate_type = c.aggregate_type AND e.aggregate_id = c.aggregate_id
          AND e.published_at IS NULL AND e.seq < c.seq
          AND NOT EXISTS (SELECT 1 FROM candidates k WHERE k.id = e.id))
  )
  UPDATE outbox o SET claimed_until = now() + make_interval(secs => $2::double precision / 1000), attempts = o.attempts + 1
    FROM ready WHERE o.id = ready.id
  RETURNING o.id, o.subject, o.payload, o.headers, o.occurred_at, o.seq, o.aggregate_type, o.aggregate_id, o.aggregate_seq, o.aggregate_previous`;

/** Relay passes one process runs at once. */
const PARALLEL_PASSES = 4;

/**
 * Publishes outbox rows to JetStream with Nats-Msg-Id = event id, outside any transaction:
 * it claims a batch (one short statement), publishes it, then marks what JetStream
 * acknowledged. A relay that dies at any point leaves its claim to expire, and the rows are
 * published again: twice at worst (JetStream's de-duplication window drops the repeat, the
 * consumers' inbox anything older), never zero times. Events of one aggregate are published one
 * after the other, each only once the previous one was acknowledged, so the stream holds them
 * in the order they were written. Woken after each commit (a commit during a pass starts another
 * pass at once rather than waiting for it), and swept on a timer so rows left by a crash (ours or
 * NATS's) are published when things are back.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private timer?: NodeJS.Timeout;
  /** Passes under way: a commit's events are claimed at once, not after the pass before ends. */
  private readonly running = new Set<Promise<void>>();
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
    this.timer = setInterval(() => this.sweep(), this.options.outboxSweepMs);
    this.timer.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.running]);
  }

  /**
   * Publish what is pending now. Up to `PARALLEL_PASSES` passes run at once, like relays of
   * several replicas (the claim keeps each aggregate's order between them); a kick beyond that
   * coalesces into one more pass when one ends.
   */
  kick(): void {
    if (this.stopped) return;
    if (this.running.size >= PARALLEL_PASSES) {
      this.again = true;
      return;
    }
    const pass: Promise<void> = this.publishPending()
      .catch((error: unknown) => this.logger.warn(`outbox pass failed, retrying on the next sweep: ${(error as Error).message}`))
      .finally(() => {
        this.running.delete(pass);
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
    this.running.add(pass);
  }

  /** Publishes until nothing is pending, then counts what is left. Used by tests and shutdown. */
  async drain(): Promise<void> {
    await this.publishPending();
    await this.countPending();
  }

  /** The timer's pass: also what a crash left behind, and the pending count for the metrics. */
  private sweep(): void {
    this.kick();
    void this.countPending().catch((error: Error) => this.logger.warn(`outbox count failed: ${error.message}`));
  }

  private async publishPending(): Promise<void> {
    let published: number;
    do {
      published = await this.pass();
    } while (published === this.options.outboxBatchSize && !this.stopped);
  }

  private async countPending(): Promise<void> {
    const [{ count }] = (await this.dataSource.query(`SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`)) as { count: number }[];
    this.metrics.outboxPending.set(count);
  }

  private async pass(): Promise<number> {
    // An UPDATE answers [rows, count] through TypeORM.
    const [claimed] = (await this.dataSource.query(CLAIM, [this.options.outboxBatchSize, this.options.outboxLeaseMs])) as [OutboxRow[], number];
    if (claimed.length === 0) return 0;
    // RETURNING comes back in no particular order; write order is what publishing must keep.
    claimed.sort((a, b) => Number(a.seq) - Number(b.seq));
    const { published, failure } = await this.publish(claimed);
    await this.markPublished(published.map((row) => row.id));
    for (const row of published) this.metrics.eventsPublished.inc({ subject: row.subject });
    const unpublished = claimed.filter((row) => !published.includes(row));
    if (unpublished.length > 0) {
      // Free the rest at once rather than when the claim expires: the next sweep retries them.
      await this.dataSource.query(`UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1::uuid[]) AND published_at IS NULL`, [unpublished.map((r) => r.id)]);
      this.logger.warn(`${unpublished.length} of ${claimed.length} events not acknowledged, retrying on the next sweep: ${failure?.message}`);
      return 0;
    }
    return claimed.length;
  }

  /** Publishes each aggregate's rows in order, one at a time; different aggregates in parallel. */
  private async publish(rows: OutboxRow[]): Promise<{ published: OutboxRow[]; failure?: Error }> {
    const js = this.nc.jetstream();
    const queues = new Map<string, OutboxRow[]>();
    for (const row of rows) {
      const key = row.aggregate_id === null ? row.id : `${row.aggregate_type}/${row.aggregate_id}`;
      const queue = queues.get(key);
      if (queue) queue.push(row);
      else queues.set(key, [row]);
    }
    const published: OutboxRow[] = [];
    let failure: Error | undefined;
    await Promise.all(
      [...queues.values()].map(async (queue) => {
        for (const row of queue) {
          try {
            await js.publish(this.namespace.subject(row.subject), encodeJson(this.envelope(row)), {
              msgID: row.id,
              headers: toNatsHeaders({ ...row.headers, [MessageHeaders.eventId]: row.id }),
              timeout: 5000,
            });
            published.push(row);
          } catch (error) {
            // The rest of this aggregate waits: publishing it now would overtake this event.
            failure = error as Error;
            return;
          }
        }
      }),
    );
    return { published, failure };
  }

  /** Marks rows published. A crash before this leaves them claimed: republished when the claim expires. */
  protected async markPublished(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(`UPDATE outbox SET published_at = now(), claimed_until = NULL WHERE id = ANY($1::uuid[])`, [ids]);
  }

  private envelope(row: OutboxRow): EventEnvelope {
    const envelope: EventEnvelope = {
      id: row.id,
      subject: row.subject,
      occurredAt: new Date(row.occurred_at).toISOString(),
      producer: this.identity.service,
      payload: row.payload,
    };
    if (row.aggregate_type !== null && row.aggregate_id !== null && row.aggregate_seq !== null) {
      envelope.aggregate = { type: row.aggregate_type, id: row.aggregate_id, seq: Number(row.aggregate_seq), previous: row.aggregate_previous ?? {} };
    }
    return envelope;
  }
}
