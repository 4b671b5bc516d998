import { MessageHeaders, type EventSubject } from '@trove/contracts';
import { Inject, Injectable, Logger, SetMetadata, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { AckPolicy, DeliverPolicy, nanos, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import { MetricsService, RequestContext, SERVICE_IDENTITY, ServiceException, validateMessage, type ServiceIdentity } from '@trove/platform';
import { decodeJson } from './codec';
import type { EventEnvelope } from './event-envelope';
import { ensureEventStream } from './jetstream';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options';
import { Namespace } from './namespace';
import { InjectNats } from './nats.provider';
import { decoratedMethods } from './decorated-methods';
import { contextFrom } from './message-context';
import { UnitOfWork, type Transaction } from './unit-of-work';

const EVENT_HANDLER = Symbol('EVENT_HANDLER');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface EventHandlerOptions {
  /** Names the durable consumer, `<service>_<consumer>`: keep it stable across releases. */
  consumer: string;
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
  options: EventHandlerOptions;
  handle: EventHandlerFn<unknown>;
}

/**
 * Runs this service's event handlers on durable JetStream consumers. Each event's effect is
 * applied in one transaction with an inbox row keyed by (consumer, event id): a redelivery
 * finds the row and is acknowledged without doing anything twice. A handler that throws has
 * its transaction rolled back and the event delivered again later, with back-off.
 */
@Injectable()
export class EventConsumers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EventConsumers');
  private readonly registrations: Registration[] = [];
  private readonly running: { messages: ConsumerMessages; loop: Promise<void> }[] = [];
  private stopping = false;

  constructor(
    @InjectNats() private readonly nc: NatsConnection,
    private readonly unitOfWork: UnitOfWork,
    private readonly namespace: Namespace,
    private readonly metrics: MetricsService,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  /** Registers a handler in code; decorated methods are found on their own. */
  register<P>(event: EventSubject<P>, options: EventHandlerOptions, handle: EventHandlerFn<P>): void {
    if (!/^[a-z0-9-]+$/.test(options.consumer)) throw new Error(`consumer name "${options.consumer}" must be kebab-case`);
    if (this.registrations.some((r) => r.options.consumer === options.consumer)) {
      throw new Error(`two event handlers named ${options.consumer}`);
    }
    this.registrations.push({ event: event as EventSubject<unknown>, options, handle: handle as EventHandlerFn<unknown> });
  }

  async onApplicationBootstrap(): Promise<void> {
    type Meta = { event: EventSubject<unknown>; options: EventHandlerOptions };
    for (const { metadata, method } of decoratedMethods<Meta>(this.discovery, this.scanner, EVENT_HANDLER)) {
      this.register(metadata.event, metadata.options, method as EventHandlerFn<unknown>);
    }
    if (this.registrations.length === 0) return;
    const jsm = await this.nc.jetstreamManager();
    await ensureEventStream(jsm, this.namespace);
    for (const registration of this.registrations) await this.start(registration);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const { messages } of this.running) messages.stop();
    await Promise.allSettled(this.running.map((r) => r.loop));
  }

  durableName(consumer: string): string {
    return `${this.identity.service}_${consumer}`;
  }

  private async start(registration: Registration): Promise<void> {
    const durable = this.durableName(registration.options.consumer);
    const jsm = await this.nc.jetstreamManager();
    const config = {
      durable_name: durable,
      filter_subject: this.namespace.subject(registration.event.subject),
      ack_policy: AckPolicy.Explicit,
      // A consumer created after events were published still gets them: the inbox makes that safe.
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(this.options.ackWaitMs),
      max_ack_pending: this.options.consumerConcurrency * 4,
    };
    try {
      await jsm.consumers.info(this.namespace.stream, durable);
      await jsm.consumers.update(this.namespace.stream, durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    } catch {
      await jsm.consumers.add(this.namespace.stream, config);
    }
    const consumer = await this.nc.jetstream().consumers.get(this.namespace.stream, durable);
    const messages = await consumer.consume({ max_messages: this.options.consumerConcurrency * 2 });
    const loop = this.loop(registration, messages);
    this.running.push({ messages, loop });
  }

  private async loop(registration: Registration, messages: ConsumerMessages): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    for await (const msg of messages) {
      const work = this.process(registration, msg).finally(() => inFlight.delete(work));
      inFlight.add(work);
      if (inFlight.size >= this.options.consumerConcurrency) await Promise.race(inFlight);
      if (this.stopping) break;
    }
    await Promise.allSettled([...inFlight]);
  }

  private async process(registration: Registration, msg: JsMsg): Promise<void> {
    const consumer = registration.options.consumer;
    const subject = registration.event.subject;
    const stop = this.metrics.eventDuration.startTimer({ subject, consumer });
    let envelope: EventEnvelope;
    let payload: object;
    try {
      envelope = decodeJson(msg.data) as EventEnvelope;
      if (typeof envelope?.id !== 'string' || !UUID.test(envelope.id)) throw new Error('the envelope has no event id');
      payload = validateMessage(registration.event.payload as new () => object, envelope.payload);
    } catch (error) {
      // A malformed event will never succeed: stop redelivering it, and say so loudly.
      this.logger.error({ err: error, subject, seq: msg.seq }, 'malformed event terminated');
      msg.term();
      stop({ outcome: 'malformed' });
      return;
    }
    const context = contextFrom(msg.headers);
    try {
      const applied = await RequestContext.run(context, () =>
        this.unitOfWork.run(async (tx) => {
          const inserted = (await tx.manager.query(
            `INSERT INTO inbox (consumer, event_id, subject) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING event_id`,
            [consumer, envelope.id, subject],
          )) as unknown[];
          if (inserted.length === 0) return false;
          await registration.handle(payload, { event: { ...envelope, payload }, tx, deliveryCount: msg.info.redeliveryCount });
          return true;
        }),
      );
      msg.ack();
      stop({ outcome: applied ? 'applied' : 'duplicate' });
    } catch (error) {
      const delay = Math.min(30_000, 500 * 2 ** Math.min(msg.info.redeliveryCount, 6));
      const level = error instanceof ServiceException ? 'warn' : 'error';
      this.logger[level]({ err: error, subject, eventId: envelope.id, correlationId: msg.headers?.get(MessageHeaders.correlationId) }, `event handler failed; redelivery in ${delay} ms`);
      msg.nak(delay);
      stop({ outcome: 'failed' });
    }
  }
}
