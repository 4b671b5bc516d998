import { MessageHeaders } from '@trove/contracts';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { MetricsService, SERVICE_IDENTITY, type ServiceIdentity } from '@trove/platform';
import { ensureEventStream } from './jetstream';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { Namespace } from './namespace';
import { toNatsHeaders } from './message-context';
import { InjectNats } from './nats.provider';
import type { OutboxRecord } from './outbox.writer';
import { soon } from './soon';

interface ClaimedRow {
  id: string;
  subject: string;
  payload_json: string;
  headers: Record<string, string>;
  occurred_at: Date;
  seq: string;
  aggregate_type: string | null;
  aggregate_id: string | null;
  aggregate_seq: string | null;
  aggregate_previous: Record<string, number> | null;
  /** Candidates this claim had to leave (an earlier event of their aggregate is still unpublished). */
  waiting: number;
}

/**
 * Claims the oldest unclaimed rows, in write order, for `$2` ms. A row is left for later when an
 * earlier row of its aggregate is still unpublished and not part of this claim (another relay
 * holds it, or it was not in the batch): one aggregate's events then always go out in order,
 * however many relays run. SKIP LOCKED lets replicas claim at the same time without waiting.
 * Each row also says how many candidates had to be left, so the relay knows to look again once
 * what it is publishing now is marked.
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
  ), claimed AS (
    UPDATE outbox o SET claimed_until = now() + make_interval(secs => $2::double precision / 1000), attempts = o.attempts + 1
      FROM ready WHERE o.id = ready.id
    RETURNING o.id, o.subject, o.payload::text AS payload_json, o.headers, o.occurred_at, o.seq, o.aggregate_type, o.aggregate_id, o.aggregate_seq, o.aggregate_previous
  )
  SELECT claimed.*, (SELECT count(*) FROM candidates)::int - (SELECT count(*) FROM ready)::int AS waiting FROM claimed
  UNION ALL
  SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM candidates)::int
   WHERE NOT EXISTS (SELECT 1 FROM ready) AND EXISTS (SELECT 1 FROM candidates)`;

/** The longest a commit's own claim on its rows lasts. */
const WRITER_LEASE_MS = 10_000;
/** Claimed batches one process publishes at once, like the relays of several replicas; a commit's own rows do not count. */
const CLAIMED_BATCHES = 4;
/** Marking statements one process runs at once; rows acknowledged meanwhile wait and go together. */
const PARALLEL_MARKS = 2;
/**
 * How long acknowledged rows gather before a marking statement: the consumers have the events
 * already, and the time recorded is the acknowledgement's, so a busy relay marks a batch at a time
 * rather than each commit's rows on their own. Short, because the next event of an aggregate is
 * published at its commit only once the one before is marked; a claim held up by an unmarked row
 * marks at once.
 */
const MARK_GATHER_MS = 10;
/**
 * A claim that found rows waiting behind an unpublished earlier event claims again after this
 * long, doubling up to the sweep's period: the earlier event may be another replica's, whose
 * mark never kicks this process.
 */
const BLOCKED_RETRY_MS = 20;

/**
 * Publishes outbox rows to JetStream with Nats-Msg-Id = event id, outside any transaction, then
 * marks what JetStream acknowledged. A relay that dies at any point leaves its claim to expire,
 * and the rows are published again: twice at worst (JetStream's de-duplication window drops the
 * repeat, the consumers' inbox anything older), never zero times. Events of one aggregate are
 * published one after the other, each only once the previous one was acknowledged, so the stream
 * holds them in the order they were written.
 *
 * Rows reach it two ways. Most are claimed by the transaction that wrote them (see
 * `writeOutboxRow`) and handed over right after the commit: no statement is needed before they are
 * published. The rest, and whatever a crash or an outage left behind, are claimed in batches: one
 * claiming statement at a time, started at once by a commit and again for as long as it finds
 * work, and on a timer. Acknowledged rows are marked published in batches too: while a marking
 * statement runs, rows acknowledged meanwhile gather for the next one.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private timer?: NodeJS.Timeout;
  /** Batches being published and marked: every one, and those a claim took. */
  private readonly publishing = new Set<Promise<void>>();
  private readonly claimedBatches = new Set<Promise<void>>();
  /** Rows of commits waiting for the end of this turn of the event loop. */
  private readonly committed: OutboxRecord[] = [];
  private claiming?: Promise<void>;
  /** A commit (or a mark that may have unblocked rows) asked for another claim. */
  private wanted = false;
  /** The last claim left rows behind an event that was still being published. */
  private blocked = false;
  private blockedRetryMs = BLOCKED_RETRY_MS;
  private blockedTimer?: NodeJS.Timeout;
  private readonly toMark: { rows: OutboxRecord[]; at: Date; done: () => void; failed: (error: Error) => void }[] = [];
  private marking = 0;
  private markTimer?: NodeJS.Timeout;
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
    clearTimeout(this.blockedTimer);
    while (this.claiming || this.publishing.size > 0) {
      await this.claiming;
      await Promise.allSettled([...this.publishing]);
    }
  }

  /**
   * How long a writer's own claim on the rows of its commit lasts (see `writeOutboxRow`): they
   * are published within milliseconds of the commit, so a process that died in between leaves
   * them to the sweep after 10 s rather than after a whole `outboxLeaseMs`.
   */
  get writerLeaseMs(): number {
    return Math.min(this.options.outboxLeaseMs, WRITER_LEASE_MS);
  }

  /** Claims and publishes what is pending now; a kick during a claim asks for one more claim. */
  kick(): void {
    if (this.stopped) return;
    this.wanted = true;
    if (!this.claiming) this.claiming = this.claimWhileWanted().finally(() => (this.claiming = undefined));
  }

  /**
   * Publishes rows a committed transaction claimed itself, at once. Not awaited by the commit:
   * a failure frees the rows for the relay's next claim.
   */
  publishCommitted(rows: OutboxRecord[]): void {
    if (rows.length === 0) return;
    // The rows of commits answered in the same turn of the event loop go as one batch.
    if (this.committed.length === 0) {
      let sent!: () => void;
      const gathered = new Promise<void>((resolve) => (sent = resolve));
      this.track(gathered, this.publishing);
      soon(() => {
        const batch = this.committed.splice(0);
        this.track(this.publishBatch(batch), this.publishing);
        sent();
      });
    }
    this.committed.push(...rows);
  }

  /** Publishes until nothing is pending, then counts what is left. Used by tests and shutdown. */
  async drain(): Promise<void> {
    this.kick();
    while (this.claiming || this.publishing.size > 0) {
      await this.claiming;
      await Promise.allSettled([...this.publishing]);
    }
    await this.countPending();
  }

  /** The timer's pass: also what a crash left behind, and the pending count for the metrics. */
  private sweep(): void {
    this.kick();
    void this.countPending().catch((error: Error) => this.logger.warn(`outbox count failed: ${error.message}`));
  }

  private async countPending(): Promise<void> {
    const [{ count }] = (await this.dataSource.query(`SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`)) as { count: number }[];
    this.metrics.outboxPending.set(count);
  }

  private track(work: Promise<void>, ...sets: Set<Promise<void>>[]): void {
    const tracked: Promise<void> = work
      .catch((error: unknown) => this.logger.warn(`outbox batch failed, retrying on the next sweep: ${(error as Error).message}`))
      .finally(() => sets.forEach((set) => set.delete(tracked)));
    sets.forEach((set) => set.add(tracked));
  }

  /** One claiming statement at a time, for as long as commits ask for one or claims come back full. */
  private async claimWhileWanted(): Promise<void> {
    try {
      while (this.wanted && !this.stopped) {
        if (this.claimedBatches.size >= CLAIMED_BATCHES) {
          await Promise.race(this.claimedBatches);
          continue;
        }
        this.wanted = false;
        const rows = await this.claim();
        if (rows.length === this.options.outboxBatchSize) this.wanted = true;
        if (rows.length > 0) this.track(this.publishBatch(rows), this.publishing, this.claimedBatches);
      }
    } catch (error) {
      this.logger.warn(`outbox claim failed, retrying on the next sweep: ${(error as Error).message}`);
    }
  }

  private async claim(): Promise<OutboxRecord[]> {
    const result = (await this.dataSource.query(CLAIM, [this.options.outboxBatchSize, this.options.outboxLeaseMs])) as ClaimedRow[];
    const claimed = result.filter((row) => row.id !== null);
    this.blocked = result.some((row) => row.waiting > 0);
    if (this.blocked) {
      // Perhaps behind rows of ours that are acknowledged and not yet marked: mark them now.
      this.scheduleMark(0);
      // Or behind another replica's: claim again soon, since its mark does not kick this process.
      this.retryBlocked();
    } else {
      this.blockedRetryMs = BLOCKED_RETRY_MS;
    }
    // RETURNING comes back in no particular order; write order is what publishing must keep.
    claimed.sort((a, b) => Number(a.seq) - Number(b.seq));
    return claimed.map((row) => {
      const record: OutboxRecord = { id: row.id, subject: row.subject, payloadJson: row.payload_json, headers: row.headers ?? {}, occurredAt: new Date(row.occurred_at) };
      if (row.aggregate_type !== null && row.aggregate_id !== null && row.aggregate_seq !== null) {
        record.aggregate = { type: row.aggregate_type, id: row.aggregate_id, seq: Number(row.aggregate_seq), previous: row.aggregate_previous ?? {} };
      }
      return record;
    });
  }

  private retryBlocked(): void {
    if (this.blockedTimer || this.stopped) return;
    const delay = this.blockedRetryMs;
    this.blockedRetryMs = Math.min(delay * 2, this.options.outboxSweepMs);
    this.blockedTimer = setTimeout(() => {
      this.blockedTimer = undefined;
      this.kick();
    }, delay);
    this.blockedTimer.unref();
  }

  /** Publishes rows this process holds a claim on, marks the acknowledged ones and frees the rest. */
  private async publishBatch(rows: OutboxRecord[]): Promise<void> {
    const { published, failure } = await this.publish(rows);
    await this.mark(published);
    if (this.blocked) {
      // A claim left rows behind an event of this batch: they may go now.
      this.blocked = false;
      this.kick();
    }
    if (published.length < rows.length) {
      const unpublished = rows.filter((row) => !published.includes(row));
      // Free the rest at once rather than when the claim expires: the next sweep retries them.
      await this.dataSource.query(`UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1::uuid[]) AND published_at IS NULL`, [unpublished.map((r) => r.id)]);
      this.logger.warn(`${unpublished.length} of ${rows.length} events not acknowledged, retrying on the next sweep: ${failure?.message}`);
    }
  }

  /** Publishes each aggregate's rows in order, one at a time; different aggregates in parallel. */
  private async publish(rows: OutboxRecord[]): Promise<{ published: OutboxRecord[]; failure?: Error }> {
    const js = this.nc.jetstream();
    const queues = new Map<string, OutboxRecord[]>();
    for (const row of rows) {
      const key = row.aggregate ? `${row.aggregate.type}/${row.aggregate.id}` : row.id;
      const queue = queues.get(key);
      if (queue) queue.push(row);
      else queues.set(key, [row]);
    }
    const published: OutboxRecord[] = [];
    let failure: Error | undefined;
    await Promise.all(
      [...queues.values()].map(async (queue) => {
        for (const row of queue) {
          try {
            await js.publish(this.namespace.subject(row.subject), this.envelope(row), {
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

  /**
   * Marks `rows` published, together with whatever else was acknowledged while the marking
   * statements before it ran. Resolves once they are marked.
   */
  private mark(rows: OutboxRecord[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const at = new Date();
    return new Promise<void>((done, failed) => {
      this.toMark.push({ rows, at, done, failed });
      this.scheduleMark();
    });
  }

  private scheduleMark(delay = MARK_GATHER_MS): void {
    if (this.marking >= PARALLEL_MARKS || this.toMark.length === 0) return;
    if (this.markTimer) {
      if (delay > 0) return;
      clearTimeout(this.markTimer);
    }
    this.markTimer = setTimeout(() => {
      this.markTimer = undefined;
      void this.markGathered();
    }, delay);
  }

  private async markGathered(): Promise<void> {
    const waiting = this.toMark.splice(0);
    if (waiting.length === 0) return;
    this.marking++;
    // Another batch may gather and go while this statement runs (a slow database).
    this.scheduleMark();
    const ids: string[] = [];
    const times: Date[] = [];
    for (const w of waiting) {
      for (const row of w.rows) {
        ids.push(row.id);
        times.push(w.at);
      }
    }
    try {
      await this.markPublished(ids, times);
      for (const w of waiting) for (const row of w.rows) this.metrics.eventsPublished.inc({ subject: row.subject });
      for (const w of waiting) w.done();
    } catch (error) {
      // Left claimed: published again once the claim expires.
      for (const w of waiting) w.failed(error as Error);
    } finally {
      this.marking--;
      this.scheduleMark();
    }
  }

  /**
   * Marks rows published, each at the time JetStream acknowledged it (this process's clock). A
   * crash before this leaves them claimed: republished when the claim expires.
   */
  protected async markPublished(ids: string[], at: Date[] = ids.map(() => new Date())): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE outbox o SET published_at = t.at, claimed_until = NULL FROM unnest($1::uuid[], $2::timestamptz[]) AS t(id, at) WHERE o.id = t.id`,
      [ids, at],
    );
  }

  /** The envelope as JSON, around the payload text as it was written. */
  private envelope(row: OutboxRecord): Uint8Array {
    const head = JSON.stringify({ id: row.id, subject: row.subject, occurredAt: row.occurredAt.toISOString(), producer: this.identity.service });
    const aggregate = row.aggregate ? `,"aggregate":${JSON.stringify(row.aggregate)}` : '';
    return encoder.encode(`${head.slice(0, -1)},"payload":${row.payloadJson}${aggregate}}`);
  }
}

const encoder = new TextEncoder();
