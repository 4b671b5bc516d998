import type { DeadLetterReason, DeadLetterView } from '@trove/contracts';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Gauge } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { MetricsService, SERVICE_IDENTITY, type ServiceIdentity } from '@trove/platform';
import { DeadLetter } from './event.entities';
import type { EventEnvelope } from './event-envelope';

/** What a consumer knows about an event it gives up on. */
export interface NewDeadLetter {
  consumer: string;
  subject: string;
  reason: DeadLetterReason;
  error: string;
  attempts: number;
  firstFailedAt: Date;
  /** The message as it arrived. */
  body: string;
  headers: Record<string, string>;
  /** The decoded event, when the message was one. */
  envelope?: EventEnvelope;
  streamSeq?: number;
}

/**
 * The dead-letter table of this service's database: events its consumers gave up on, kept with
 * the message as it arrived, the last error and the attempts, until an operator replays them.
 * `trove_dead_letters` in /metrics counts the ones not yet replayed, per consumer, read from the
 * table at each scrape, so every replica reports the same numbers.
 */
@Injectable()
export class DeadLetterStore {
  private readonly logger = new Logger('DeadLetters');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: MetricsService,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
  ) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const store = this;
    new Gauge({
      name: 'trove_dead_letters',
      help: 'Events a consumer gave up on and nobody has replayed yet, by service and consumer',
      labelNames: ['service', 'consumer'] as const,
      registers: [metrics.registry],
      async collect() {
        try {
          const counts = await store.unreplayedByConsumer();
          this.reset();
          for (const [consumer, count] of Object.entries(counts)) this.set({ service: store.identity.service, consumer }, count);
        } catch (error) {
          // A scrape while the database is down keeps the last numbers rather than failing.
          store.logger.warn(`dead letters not counted: ${(error as Error).message}`);
        }
      },
    });
  }

  /**
   * Records a dead letter. The same event given up on again (delivered again after a replay that
   * failed, say) updates its row instead of adding one.
   */
  async record(letter: NewDeadLetter, manager: EntityManager = this.dataSource.manager): Promise<string> {
    const envelope = letter.envelope;
    const aggregate = envelope?.aggregate;
    const rows = (await manager.query(
      `INSERT INTO dead_letter (id, consumer, subject, event_id, aggregate_type, aggregate_id, aggregate_seq, payload, body, headers,
                                reason, error, attempts, stream_seq, first_failed_at, dead_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (consumer, event_id) WHERE event_id IS NOT NULL DO UPDATE
         SET reason = excluded.reason, error = excluded.error, attempts = dead_letter.attempts + excluded.attempts,
             dead_at = excluded.dead_at, replayed_at = NULL, replay_outcome = NULL
       RETURNING id`,
      [
        randomUUID(),
        letter.consumer,
        letter.subject,
        envelope?.id ?? null,
        aggregate?.type ?? null,
        aggregate?.id ?? null,
        aggregate?.seq ?? null,
        envelope ? payloadJson(envelope.payload) : null,
        letter.body,
        JSON.stringify(letter.headers),
        letter.reason,
        letter.error,
        letter.attempts,
        letter.streamSeq ?? null,
        letter.firstFailedAt,
        // Milliseconds, like the page cursors made from it: a cursor never falls between two rows.
        new Date(),
      ],
    )) as { id: string }[];
    return rows[0].id;
  }

  find(id: string): Promise<DeadLetter | null> {
    return this.dataSource.manager.findOneBy(DeadLetter, { id });
  }

  /** Newest first; `before` is the (deadAt, id) of the previous page's last item. */
  async list(limit: number, before?: { at: string; id: string }): Promise<DeadLetterView[]> {
    const q = this.dataSource.manager
      .createQueryBuilder(DeadLetter, 'd')
      .orderBy('d.deadAt', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .limit(limit);
    if (before) q.where('(d.dead_at, d.id) < (:at, :id)', { at: new Date(before.at), id: before.id });
    return (await q.getMany()).map((row) => this.view(row));
  }

  /** The earliest dead letter not yet replayed that holds up an event of this aggregate. */
  async blocking(
    manager: EntityManager,
    consumer: string,
    aggregate: { type: string; id: string; seq: number },
  ): Promise<{ id: string; seq: number } | undefined> {
    const rows = (await manager.query(
      `SELECT id, aggregate_seq FROM dead_letter
        WHERE consumer = $1 AND aggregate_type = $2 AND aggregate_id = $3 AND replayed_at IS NULL AND aggregate_seq < $4
        ORDER BY aggregate_seq LIMIT 1`,
      [consumer, aggregate.type, aggregate.id, aggregate.seq],
    )) as { id: string; aggregate_seq: string }[];
    return rows[0] ? { id: rows[0].id, seq: Number(rows[0].aggregate_seq) } : undefined;
  }

  async unreplayedCount(): Promise<number> {
    const [{ count }] = (await this.dataSource.query(`SELECT count(*)::int AS count FROM dead_letter WHERE replayed_at IS NULL`)) as {
      count: number;
    }[];
    return count;
  }

  async unreplayedByConsumer(): Promise<Record<string, number>> {
    const rows = (await this.dataSource.query(
      `SELECT consumer, count(*)::int AS count FROM dead_letter WHERE replayed_at IS NULL GROUP BY consumer`,
    )) as { consumer: string; count: number }[];
    return Object.fromEntries(rows.map((r) => [r.consumer, r.count]));
  }

  view(row: DeadLetter): DeadLetterView {
    return {
      id: row.id,
      service: this.identity.service,
      consumer: row.consumer,
      subject: row.subject,
      eventId: row.eventId,
      aggregate:
        row.aggregateType !== null && row.aggregateId !== null && row.aggregateSeq !== null
          ? { type: row.aggregateType, id: row.aggregateId, seq: Number(row.aggregateSeq) }
          : null,
      payload: row.payload ?? null,
      body: row.payload === null || row.payload === undefined ? row.body : null,
      headers: row.headers,
      error: row.error,
      reason: row.reason,
      attempts: row.attempts,
      firstFailedAt: row.firstFailedAt.toISOString(),
      deadAt: row.deadAt.toISOString(),
      replayedAt: row.replayedAt?.toISOString() ?? null,
      replayOutcome: row.replayOutcome,
    };
  }
}

/**
 * The payload as JSON, or null when it cannot be written again: one nested deeper than the
 * validators take (refused as malformed for that) runs `JSON.stringify` out of stack, and a
 * dead letter that could not be recorded was delivered again without end. `body` keeps the
 * message as it arrived.
 */
function payloadJson(payload: unknown): string | null {
  try {
    return JSON.stringify(payload) ?? null;
  } catch {
    return null;
  }
}
