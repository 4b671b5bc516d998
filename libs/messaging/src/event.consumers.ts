import { eventAggregateType, MessageHeaders, type EventSubject, type ReplayOutcome } from '@trove/contracts';
import { Inject, Injectable, Logger, SetMetadata, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { AckPolicy, DeliverPolicy, nanos, type ConsumerInfo, type ConsumerMessages, type JetStreamManager, type JsMsg, type MsgHdrs, type NatsConnection } from 'nats';
import { DataSource, type EntityManager } from 'typeorm';
import { MetricsService, PlatformConfig, RequestContext, SERVICE_IDENTITY, ServiceException, validateMessage, type ServiceIdentity } from '@trove/platform';
import { decodeJson } from './codec';
import { soon } from './soon';
import { DeadLetterStore } from './dead-letters';
import type { DeadLetter } from './event.entities';
import type { EventAggregate, EventEnvelope } from './event-envelope';
import { ensureEventStream } from './jetstream';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { Namespace } from './namespace';
import { InjectNats } from './nats.provider';
import { decoratedMethods } from './decorated-methods';
import { contextFrom, toNatsHeaders } from './message-context';
import { queryOpening, UnitOfWork, type Transaction } from './unit-of-work';

const EVENT_HANDLER = Symbol('EVENT_HANDLER');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const decoder = new TextDecoder();

export interface EventHandlerOptions {
  /**
   * Names the durable consumer, `<service>_<consumer>`: keep it stable across releases. Handlers
   * of several events of one aggregate may share a consumer: its events are then applied in the
   * order they were written across those subjects (an order's `refunded` after its `paid`).
   */
  consumer: string;
  /**
   * For a handler that keeps only the newest state by a time the event itself carries (and
   * ignores an older one), so that an earlier event it never applies changes nothing: the
   * consumer may then begin an aggregate at the first of its events it meets. Without it a
   * consumer added after an aggregate's first events left the stream (7 days) would wait for
   * them for good, and end that aggregate's later events as `blocked` dead letters. Events it
   * meets after that are taken in order as usual; an older one met later is a duplicate.
   */
  startsMidHistory?: boolean;
}

/** What a handler gets: the event, and the transaction in which its effect is applied. */
export interface EventContext<P> {
  event: EventEnvelope<P>;
  tx: Transaction;
  /** 1 on first delivery. */
  deliveryCount: number;
}

export type EventHandlerFn<P> = (payload: P, context: EventContext<P>) => Promise<void>;

/** Marks a provider method as the handler of a domain event, with a durable consumer of its own. */
export const EventHandler = (event: EventSubject<unknown>, options: EventHandlerOptions) =>
  SetMetadata(EVENT_HANDLER, { event, options });

interface Registration {
  event: EventSubject<unknown>;
  handle: EventHandlerFn<unknown>;
}

/** One durable consumer and the handlers of the subjects it delivers. */
interface ConsumerGroup {
  consumer: string;
  handlers: Map<string, Registration>;
  /** Every handler of the group said `startsMidHistory`. */
  startsMidHistory: boolean;
}

/** A message that could not be taken for an event of its subject: it never will be. */
class MalformedEvent extends Error {
  constructor(
    message: string,
    /** The envelope, when it was one with an id and only its payload or aggregate was wrong. */
    readonly envelope?: EventEnvelope,
  ) {
    super(message);
  }
}

/** An event of an aggregate whose earlier event, which this consumer also handles, is not applied yet. */
interface Ahead {
  kind: 'ahead';
  waitingFor: number;
  blockedBy?: { id: string; seq: number };
}

type Applied = { kind: 'applied' } | { kind: 'duplicate' } | Ahead;

/** Whether a service's consumers have applied what the stream held for them; if not, the first that has not and how many events wait (null: unknown). */
export type CaughtUp = { caughtUp: true } | { caughtUp: false; consumer: string; waiting: number | null };

/**
 * Runs this service's event handlers on durable JetStream consumers.
 *
 * - Each event's effect is applied in one transaction with an inbox row keyed by (consumer,
 *   event id): a redelivery finds the row and is acknowledged without doing anything twice.
 * - Events of one aggregate are applied in the order they were written, while different
 *   aggregates run in parallel: a position per (consumer, aggregate) says how far the consumer
 *   got, and an event that arrives ahead of an earlier one it must wait for is delivered again
 *   a little later (nak with delay), as often as it takes, across redeliveries and restarts.
 * - A handler that throws has its transaction rolled back and the event delivered again with
 *   back-off. After EVENT_MAX_ATTEMPTS failures the event moves to the dead-letter table, and so
 *   does a malformed event at once, and an event held up by a dead letter: nothing is dropped
 *   without a record, and an operator replays them through `replay`.
 */
@Injectable()
export class EventConsumers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EventConsumers');
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly running: { messages: ConsumerMessages; loop: Promise<void> }[] = [];
  private readonly maxAttempts: number;
  private stopping = false;
  private jsm?: Promise<JetStreamManager>;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly unitOfWork: UnitOfWork,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly namespace: Namespace,
    private readonly metrics: MetricsService,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly deadLetters: DeadLetterStore,
    config: PlatformConfig,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {
    this.maxAttempts = options.eventMaxAttempts ?? config.EVENT_MAX_ATTEMPTS;
  }

  /** Registers a handler in code; decorated methods are found on their own. */
  register<P>(event: EventSubject<P>, options: EventHandlerOptions, handle: EventHandlerFn<P>): void {
    if (!/^[a-z0-9-]+$/.test(options.consumer)) throw new Error(`consumer name "${options.consumer}" must be kebab-case`);
    const group = this.groups.get(options.consumer) ?? { consumer: options.consumer, handlers: new Map<string, Registration>(), startsMidHistory: options.startsMidHistory === true };
    if (group.startsMidHistory !== (options.startsMidHistory === true)) throw new Error(`the handlers of consumer ${options.consumer} disagree on startsMidHistory`);
    const other = [...group.handlers.values()][0];
    if (group.handlers.has(event.subject)) throw new Error(`two handlers of ${event.subject} in consumer ${options.consumer}`);
    if (other && eventAggregateType(other.event.subject) !== eventAggregateType(event.subject)) {
      throw new Error(`consumer ${options.consumer} handles events of ${eventAggregateType(other.event.subject)}; ${event.subject} needs a consumer of its own`);
    }
    group.handlers.set(event.subject, { event: event as EventSubject<unknown>, handle: handle as EventHandlerFn<unknown> });
    this.groups.set(options.consumer, group);
  }

  async onApplicationBootstrap(): Promise<void> {
    type Meta = { event: EventSubject<unknown>; options: EventHandlerOptions };
    for (const { metadata, method } of decoratedMethods<Meta>(this.discovery, this.scanner, EVENT_HANDLER)) {
      this.register(metadata.event, metadata.options, method as EventHandlerFn<unknown>);
    }
    if (this.groups.size === 0) return;
    const jsm = await this.nc.jetstreamManager();
    await ensureEventStream(jsm, this.namespace);
    for (const group of this.groups.values()) await this.start(group);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const { messages } of this.running) messages.stop();
    await Promise.allSettled(this.running.map((r) => r.loop));
  }

  durableName(consumer: string): string {
    return `${this.identity.service}_${consumer}`;
  }

  /**
   * Whether each of `consumers` (this service's, by name) has applied what the stream held for
   * it: none waiting to be delivered (`num_pending`) and none delivered and not yet acknowledged
   * (`num_ack_pending`); or, with `since` (a stream sequence, `streamLastSeq()` when the service
   * started), everything up to that sequence acknowledged (`ack_floor`), so that a stream that
   * never stops being busy does not keep the answer false for good. Names the first consumer
   * that has not, with how many events wait. A consumer JetStream does not know, or a JetStream
   * that does not answer, is not caught up.
   */
  async caughtUp(consumers: readonly string[], since?: number): Promise<CaughtUp> {
    for (const consumer of consumers) {
      try {
        const jsm = await this.manager();
        const info = await jsm.consumers.info(this.namespace.stream, this.durableName(consumer));
        const waiting = info.num_pending + info.num_ack_pending;
        if (waiting > 0 && (since === undefined || info.ack_floor.stream_seq < since)) return { caughtUp: false, consumer, waiting };
      } catch {
        return { caughtUp: false, consumer, waiting: null };
      }
    }
    return { caughtUp: true };
  }

  /** The sequence of the stream's last message: what a consumer has to reach to have seen everything published so far. */
  async streamLastSeq(): Promise<number> {
    const jsm = await this.manager();
    return (await jsm.streams.info(this.namespace.stream)).state.last_seq;
  }

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= this.nc.jetstreamManager().catch((error: unknown) => {
      this.jsm = undefined;
      throw error;
    });
    return this.jsm;
  }


  /**
   * Applies a dead letter through its handler again, with the inbox and the aggregate's order,
   * and records the outcome on it. Replaying one that was already applied changes nothing.
   */
  async replay(id: string): Promise<{ found: false } | { found: true; outcome: ReplayOutcome; error?: string; deadLetter: DeadLetter }> {
    const letter = await this.deadLetters.find(id);
    if (!letter) return { found: false };
    const registration = this.groups.get(letter.consumer)?.handlers.get(letter.subject);
    const settle = async (outcome: ReplayOutcome, error?: string) => {
      await this.markReplay(this.dataSource.manager, id, outcome, error);
      return { found: true as const, outcome, error, deadLetter: (await this.deadLetters.find(id))! };
    };
    if (!registration) return settle('failed', `this release of ${this.identity.service} has no handler of ${letter.subject} in consumer ${letter.consumer}`);
    let envelope: EventEnvelope;
    let payload: object;
    try {
      ({ envelope, payload } = this.decode(registration, new TextEncoder().encode(letter.body)));
    } catch (error) {
      return settle('malformed', (error as Error).message);
    }
    const group = this.groups.get(letter.consumer)!;
    try {
      const result = await this.apply(group, registration, envelope, payload, toNatsHeaders(letter.headers), letter.attempts + 1, (tx) =>
        this.markReplay(tx.manager, id, 'applied'),
      );
      if (result.kind === 'applied') return { found: true, outcome: 'applied', deadLetter: (await this.deadLetters.find(id))! };
      if (result.kind === 'duplicate') return settle('already-applied');
      const blocker = result.blockedBy ? `, itself dead letter ${result.blockedBy.id}: replay that one first` : '';
      return settle('blocked', `event ${result.waitingFor} of ${envelope.aggregate!.type} ${envelope.aggregate!.id} is not applied yet${blocker}`);
    } catch (error) {
      return settle('failed', describe(error));
    }
  }

  private async markReplay(manager: EntityManager, id: string, outcome: ReplayOutcome, error?: string): Promise<void> {
    const done = outcome === 'applied' || outcome === 'already-applied';
    await manager.query(
      `UPDATE dead_letter SET replay_outcome = $2,
              replayed_at = CASE WHEN $3 THEN coalesce(replayed_at, now()) ELSE replayed_at END,
              attempts = attempts + CASE WHEN $2 = 'failed' THEN 1 ELSE 0 END,
              error = coalesce($4, error)
        WHERE id = $1`,
      [id, outcome, done, error ?? null],
    );
  }

  private async start(group: ConsumerGroup): Promise<void> {
    const durable = this.durableName(group.consumer);
    const jsm = await this.nc.jetstreamManager();
    const subjects = [...group.handlers.keys()];
    // One subject: exactly it. Several (one aggregate's): the aggregate's subjects, the others skipped.
    const filter = subjects.length === 1 ? subjects[0] : `evt.${eventAggregateType(subjects[0])}.>`;
    const config = {
      durable_name: durable,
      filter_subject: this.namespace.subject(filter),
      ack_policy: AckPolicy.Explicit,
      // A consumer created after events were published still gets them: the inbox makes that safe.
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.options.ackWaitMs),
      max_ack_pending: this.options.consumerConcurrency * 4,
    };
    let existing: ConsumerInfo | null = null;
    try {
      existing = await jsm.consumers.info(this.namespace.stream, durable);
    } catch {
      await jsm.consumers.add(this.namespace.stream, config);
    }
    if (existing) {
      // A handler added to a consumer widens what it must take: the durable consumer a release
      // before created keeps its old filter unless told, and the new handler would never run. It
      // takes the new subjects from where it stands; their events from before stay behind it.
      if (existing.config.filter_subject !== config.filter_subject) {
        this.logger.warn(`consumer ${durable} filtered ${existing.config.filter_subject}; it now takes ${config.filter_subject}, from where it stands`);
      }
      await jsm.consumers.update(this.namespace.stream, durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending, filter_subject: config.filter_subject });
    }
    const consumer = await this.nc.jetstream().consumers.get(this.namespace.stream, durable);
    const messages = await consumer.consume({ max_messages: this.options.consumerConcurrency * 2 });
    const loop = this.loop(group, messages);
    this.running.push({ messages, loop });
  }

  private async loop(group: ConsumerGroup, messages: ConsumerMessages): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    for await (const msg of messages) {
      const work = this.process(group, msg).finally(() => inFlight.delete(work));
      inFlight.add(work);
      if (inFlight.size >= this.options.consumerConcurrency) await Promise.race(inFlight);
      if (this.stopping) break;
    }
    await Promise.allSettled([...inFlight]);
  }

  private decode(registration: Registration, data: Uint8Array): { envelope: EventEnvelope; payload: object } {
    let envelope: EventEnvelope;
    try {
      envelope = decodeJson(data) as EventEnvelope;
    } catch (error) {
      throw new MalformedEvent(`not JSON: ${(error as Error).message}`);
    }
    if (typeof envelope !== 'object' || envelope === null) throw new MalformedEvent('the message is not an event envelope');
    if (typeof envelope.id !== 'string' || !UUID.test(envelope.id)) throw new MalformedEvent('the envelope has no event id');
    if (envelope.aggregate !== undefined && !isAggregate(envelope.aggregate)) {
      const { aggregate: _aggregate, ...rest } = envelope;
      throw new MalformedEvent('the envelope names its aggregate without a type, an id and a positive seq', rest);
    }
    let payload: object;
    try {
      payload = validateMessage(registration.event.payload as new () => object, envelope.payload);
    } catch (error) {
      throw new MalformedEvent(describe(error), envelope);
    }
    const problem = envelope.aggregate && aggregateProblem(envelope.aggregate, registration.event, payload);
    if (problem) throw new MalformedEvent(problem, envelope);
    return { envelope, payload };
  }

  private async process(group: ConsumerGroup, msg: JsMsg): Promise<void> {
    const consumer = group.consumer;
    const subject = this.namespace.name ? msg.subject.slice(this.namespace.name.length + 1) : msg.subject;
    const registration = group.handlers.get(subject);
    if (!registration) {
      // Another event of the aggregate: a shared consumer sees them all and handles some.
      msg.ack();
      return;
    }
    const stop = this.metrics.eventDuration.startTimer({ subject, consumer });
    let envelope: EventEnvelope;
    let payload: object;
    try {
      ({ envelope, payload } = this.decode(registration, msg.data));
    } catch (error) {
      this.logger.error({ err: error, subject, seq: msg.seq }, 'malformed event moved to the dead letters');
      const partial = error instanceof MalformedEvent ? error.envelope : undefined;
      await this.giveUp(msg, { consumer, subject, reason: 'malformed', error: describe(error), attempts: 1, firstFailedAt: new Date(), envelope: partial });
      stop({ outcome: 'malformed' });
      return;
    }
    try {
      const result = await this.apply(group, registration, envelope, payload, msg.headers, msg.info.redeliveryCount);
      if (result.kind === 'ahead') {
        await this.wait(msg, envelope, result, consumer, subject);
        stop({ outcome: 'waiting' });
        return;
      }
      // A failure recorded on an earlier delivery is history now.
      if (msg.info.redeliveryCount > 1) await this.forgetAttempts(consumer, envelope.id);
      soon(() => msg.ack());
      stop({ outcome: result.kind });
    } catch (error) {
      await this.failed(msg, envelope, error, consumer, subject);
      stop({ outcome: 'failed' });
    }
  }

  /**
   * Applies one event in one transaction: its place in the aggregate's order, the inbox row,
   * the handler's effect and the new position commit together or not at all.
   */
  private async apply(
    group: ConsumerGroup,
    registration: Registration,
    envelope: EventEnvelope,
    payload: object,
    headers: MsgHdrs | undefined,
    deliveryCount: number,
    alsoInTransaction?: (tx: Transaction) => Promise<void>,
  ): Promise<Applied> {
    const consumer = group.consumer;
    return RequestContext.run(contextFrom(headers), () =>
      this.unitOfWork.run(async (tx): Promise<Applied> => {
        const aggregate = envelope.aggregate;
        if (aggregate) {
          const taken = await this.take(tx, consumer, envelope.id, registration.event.subject, aggregate, earlierEvent(aggregate, [...group.handlers.keys()]), group.startsMidHistory);
          if (taken.kind !== 'applied') return taken;
        } else {
          const inserted = (await queryOpening(
            tx,
            `INSERT INTO inbox (consumer, event_id, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id`,
            [consumer, envelope.id, registration.event.subject],
          )) as unknown[];
          if (inserted.length === 0) return { kind: 'duplicate' };
        }
        await registration.handle(payload, { event: { ...envelope, payload }, tx, deliveryCount });
        await alsoInTransaction?.(tx);
        return { kind: 'applied' };
      }),
    );
  }

  /**
   * Takes an event of an aggregate for this transaction, in one statement: locks the consumer's
   * position in the aggregate (events of one aggregate wait for each other here, others do not)
   * and, when the event is the next one the consumer must apply, moves the position to it and
   * inserts the inbox row. Both roll back with the handler's effect if it fails. `applied` means
   * the handler must run now; the position is left alone for an event at or behind it
   * (`duplicate`) and for one whose earlier event is not applied yet (`ahead`). With
   * `startsMidHistory`, the first event met of an aggregate the consumer has no position in is
   * applied whatever came before it.
   */
  private async take(
    tx: Transaction,
    consumer: string,
    eventId: string,
    subject: string,
    aggregate: EventAggregate,
    waitingFor: number,
    startsMidHistory: boolean,
  ): Promise<Applied> {
    const manager = tx.manager;
    // ON CONFLICT ... DO UPDATE ... WHERE locks the row even when the WHERE leaves it as it is.
    const [taken] = (await queryOpening(
      tx,
      `WITH position AS (
         INSERT INTO event_position AS p (consumer, aggregate_type, aggregate_id, last_seq)
         VALUES ($1::text, $2::text, $3::text, CASE WHEN $5::bigint <= 0 OR $8::boolean THEN $4::bigint ELSE 0 END)
         ON CONFLICT (consumer, aggregate_type, aggregate_id) DO UPDATE SET last_seq = $4::bigint, updated_at = now()
           WHERE p.last_seq >= $5::bigint AND p.last_seq < $4::bigint
         RETURNING last_seq
       ), inbox AS (
         INSERT INTO inbox (consumer, event_id, subject) SELECT $1::text, $6::uuid, $7::text FROM position WHERE last_seq = $4::bigint
         ON CONFLICT DO NOTHING RETURNING event_id
       )
       SELECT (SELECT last_seq FROM position) AS moved, (SELECT count(*) FROM inbox)::int AS inserted`,
      [consumer, aggregate.type, aggregate.id, aggregate.seq, waitingFor, eventId, subject, startsMidHistory],
    )) as { moved: string | null; inserted: number }[];
    if (taken.moved !== null && Number(taken.moved) === aggregate.seq) {
      // Moved to this event; an inbox row already there says it was applied all the same.
      return taken.inserted > 0 ? { kind: 'applied' } : { kind: 'duplicate' };
    }
    let position = 0;
    if (taken.moved === null) {
      // The position was there and stays: read it (the row is ours until the transaction ends).
      const [row] = (await manager.query(`SELECT last_seq FROM event_position WHERE consumer = $1 AND aggregate_type = $2 AND aggregate_id = $3`, [
        consumer,
        aggregate.type,
        aggregate.id,
      ])) as { last_seq: string }[];
      position = Number(row.last_seq);
    }
    if (aggregate.seq <= position) return { kind: 'duplicate' };
    return { kind: 'ahead', waitingFor, blockedBy: await this.deadLetters.blocking(manager, consumer, aggregate) };
  }

  /** An event ahead of its aggregate's order: deliver it again later, or give up if it cannot ever go. */
  private async wait(msg: JsMsg, envelope: EventEnvelope, ahead: Ahead, consumer: string, subject: string): Promise<void> {
    const aggregate = envelope.aggregate!;
    const deliveries = msg.info.redeliveryCount;
    // Long enough to outlast an earlier event's own retries (up to 30 s apart, EVENT_MAX_ATTEMPTS of them).
    const patience = 6 * this.maxAttempts + 12;
    if (ahead.blockedBy || deliveries >= patience) {
      const error = ahead.blockedBy
        ? `held up by event ${ahead.blockedBy.seq} of ${aggregate.type} ${aggregate.id}, which is dead letter ${ahead.blockedBy.id}`
        : `event ${ahead.waitingFor} of ${aggregate.type} ${aggregate.id} did not arrive after ${deliveries} deliveries of this one`;
      this.logger.error({ subject, eventId: envelope.id, consumer }, `event moved to the dead letters: ${error}`);
      await this.giveUp(msg, { consumer, subject, reason: 'blocked', error, attempts: 0, firstFailedAt: new Date(), envelope });
      return;
    }
    msg.nak(Math.min(5000, 250 * 2 ** Math.min(deliveries - 1, 5)));
  }

  /** A handler failed: retry with back-off, or after EVENT_MAX_ATTEMPTS move the event to the dead letters. */
  private async failed(msg: JsMsg, envelope: EventEnvelope, error: unknown, consumer: string, subject: string): Promise<void> {
    const message = describe(error);
    let attempt: { attempts: number; first_failed_at: Date };
    try {
      [attempt] = (await this.dataSource.query(
          `INSERT INTO event_attempt (consumer, event_id, attempts, last_error, first_failed_at, last_failed_at) VALUES ($1, $2, 1, $3, now(), now())
           ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = event_attempt.attempts + 1, last_error = $3, last_failed_at = now()
           RETURNING attempts, first_failed_at`,
        [consumer, envelope.id, message],
      )) as { attempts: number; first_failed_at: Date }[];
    } catch (recordError) {
      // Not even the failure could be recorded (the database is down): try again later.
      msg.nak(backoff(msg.info.redeliveryCount));
      this.logger.error({ err: recordError, subject, eventId: envelope.id }, 'event failed and its attempt was not recorded; redelivery later');
      return;
    }
    const correlationId = msg.headers?.get(MessageHeaders.correlationId);
    if (attempt.attempts >= this.maxAttempts) {
      this.logger.error({ err: error, subject, eventId: envelope.id, correlationId }, `event handler failed ${attempt.attempts} times; moved to the dead letters`);
      await this.giveUp(msg, { consumer, subject, reason: 'failed', error: message, attempts: attempt.attempts, firstFailedAt: attempt.first_failed_at, envelope }, true);
      return;
    }
    const delay = backoff(attempt.attempts);
    const level = error instanceof ServiceException ? 'warn' : 'error';
    this.logger[level]({ err: error, subject, eventId: envelope.id, correlationId }, `event handler failed (attempt ${attempt.attempts} of ${this.maxAttempts}); redelivery in ${delay} ms`);
    msg.nak(delay);
  }

  /** Records the dead letter, then stops JetStream's deliveries; if recording fails, it is delivered again. */
  private async giveUp(
    msg: JsMsg,
    letter: { consumer: string; subject: string; reason: 'failed' | 'malformed' | 'blocked'; error: string; attempts: number; firstFailedAt: Date; envelope?: EventEnvelope },
    forgetAttempts = false,
  ): Promise<void> {
    try {
      await this.dataSource.transaction(async (manager) => {
        await this.deadLetters.record({ ...letter, body: decoder.decode(msg.data), headers: headersOf(msg.headers), streamSeq: msg.seq }, manager);
        if (forgetAttempts && letter.envelope) {
          await manager.query(`DELETE FROM event_attempt WHERE consumer = $1 AND event_id = $2`, [letter.consumer, letter.envelope.id]);
        }
      });
      msg.term();
    } catch (error) {
      this.logger.error({ err: error, subject: letter.subject, seq: msg.seq }, 'dead letter not recorded; redelivery later');
      msg.nak(backoff(msg.info.redeliveryCount));
    }
  }

  private async forgetAttempts(consumer: string, eventId: string): Promise<void> {
    await this.dataSource
      .query(`DELETE FROM event_attempt WHERE consumer = $1 AND event_id = $2`, [consumer, eventId])
      .catch((error: Error) => this.logger.warn(`attempts of ${eventId} not cleared: ${error.message}`));
  }
}

/**
 * The seq of the latest earlier event of the aggregate on any of `subjects`: this consumer must
 * have applied it first. An envelope without the per-subject list (written by hand) asks for
 * the event just before.
 */
function earlierEvent(aggregate: EventAggregate, subjects: string[]): number {
  if (!aggregate.previous || typeof aggregate.previous !== 'object') return aggregate.seq - 1;
  // A number that is not a whole positive one names no earlier event.
  return Math.max(0, ...subjects.map((s) => aggregate.previous[s]).filter((seq): seq is number => Number.isSafeInteger(seq) && seq > 0));
}

/**
 * Why an envelope's place in its aggregate's history cannot be the producer's, or null. The
 * consumer moves its position in the aggregate to the envelope's `seq`, so an envelope that named
 * another aggregate than its payload's, or a `seq` far ahead of its `previous` events, made every
 * later real event of that aggregate a "duplicate", acknowledged and never applied (a refund
 * whose entitlement stayed active). The outbox numbers an aggregate's events 1, 2, 3… across its
 * subjects, and `previous` holds each subject's latest earlier one, so the event before this one
 * is the largest of them: `seq` is one more (an envelope without `previous` predates it). What
 * this cannot see is an envelope that follows the rules with made-up earlier events on subjects
 * the consumer does not take: only the producer's own NATS user may publish its events.
 */
function aggregateProblem(aggregate: EventAggregate, event: EventSubject<unknown>, payload: object): string | null {
  const type = eventAggregateType(event.subject);
  if (aggregate.type !== type) return `the envelope's aggregate is a ${aggregate.type}, but ${event.subject} is an event of a ${type}`;
  const id = event.aggregate?.(payload);
  if (id !== undefined && aggregate.id !== id) return `the envelope names ${type} ${aggregate.id}, but its payload is about ${id}`;
  if (aggregate.previous === undefined) return null;
  const earlier = Object.entries(aggregate.previous);
  if (earlier.some(([subject, seq]) => !subject.startsWith(`evt.${type}.`) || !Number.isSafeInteger(seq) || seq < 1 || seq >= aggregate.seq)) {
    return `the envelope's previous events are not earlier events of its ${type}`;
  }
  const latest = Math.max(0, ...earlier.map(([, seq]) => seq));
  if (aggregate.seq !== latest + 1) return `the envelope's seq ${aggregate.seq} does not follow its latest earlier event (${latest})`;
  return null;
}

function isAggregate(value: unknown): value is EventAggregate {
  const a = value as EventAggregate;
  return (
    typeof a === 'object' &&
    a !== null &&
    typeof a.type === 'string' &&
    typeof a.id === 'string' &&
    a.id.length > 0 &&
    Number.isSafeInteger(a.seq) &&
    a.seq > 0 &&
    (a.previous === undefined || (typeof a.previous === 'object' && a.previous !== null))
  );
}

/** 0.5 s, 1 s, 2 s… up to 30 s. */
function backoff(attempts: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(Math.max(attempts - 1, 0), 6));
}

function describe(error: unknown): string {
  if (error instanceof ServiceException) {
    const fields = error.errors?.map((e) => `${e.field}: ${e.problems.join(', ')}`).join('; ');
    return fields ? `${error.code}: ${fields}` : `${error.code}: ${error.message}`;
  }
  return error instanceof Error ? error.message || error.name : String(error);
}

function headersOf(headers: MsgHdrs | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  for (const key of headers.keys()) record[key] = headers.get(key);
  return record;
}
