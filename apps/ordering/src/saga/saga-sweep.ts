import { MessageHeaders } from '@trove/contracts';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { encodeJson, InjectNats, Namespace, toNatsHeaders, UnitOfWork, type EventEnvelope } from '@trove/messaging';
import { PeriodicJob, SERVICE_IDENTITY, type ServiceIdentity } from '@trove/platform';
import type { NatsConnection } from 'nats';
import { OrderingConfig } from '../ordering.config';
import { ExclusiveHolds } from '../orders/exclusive-holds';
import { IN_FLIGHT } from '../orders/order-state';
import { OrderRepository, type StoredEvent } from '../orders/order.repository';

/**
 * Re-drives stuck orders: an order that waited longer than ORDER_REDRIVE_AFTER_MS for
 * billing's or delivery's answer gets the event that asked for it published again: the same
 * event (same id, payload and place in the order's history), under a new JetStream message id,
 * since JetStream drops a repeated message id for 10 minutes even when the first copy is gone.
 * Consumers that had the event drop the repeat through their inbox. Every order thus reaches a
 * terminal state even if an event was lost on the way.
 *
 * It also gives back the exclusive holds older than ORDER_REDRIVE_AFTER_MS: a placement that
 * died between reserving an exclusive sale and writing its order leaves one, and its sale is
 * released unless an order holds it (see ExclusiveHolds).
 */
@Injectable()
export class SagaSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SagaSweep');
  // Each part catches its own failure, so a failed sweep still gives holds back.
  private readonly job = new PeriodicJob(this.logger, 'saga sweep failed', async () => {
    await this.sweep().catch((error: Error) => this.logger.error(`saga sweep failed: ${error.message}`));
    await this.releaseAbandoned().catch((error: Error) => this.logger.error(`exclusive hold sweep failed: ${error.message}`));
  });

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly orders: OrderRepository,
    private readonly holds: ExclusiveHolds,
    private readonly settings: OrderingConfig,
    @InjectNats() private readonly nc: NatsConnection,
    private readonly namespace: Namespace,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(this.settings.ORDER_SWEEP_MS);
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /** One pass; answers how many events it published again. */
  async sweep(now = new Date()): Promise<number> {
    const due = await this.unitOfWork.run(async () => {
      const stuck = await this.orders.stuck(IN_FLIGHT, new Date(now.getTime() - this.settings.ORDER_REDRIVE_AFTER_MS), 100);
      const events: { event: StoredEvent; attempt: number }[] = [];
      for (const order of stuck) {
        const event = order.awaitingEventId ? await this.orders.storedEvent(order.awaitingEventId) : null;
        if (event) events.push({ event, attempt: order.redrives + 1 });
        else this.logger.error(`order ${order.id} is ${order.status} and its event ${order.awaitingEventId} is no longer in the outbox: it needs an operator`);
        // The wait starts again, so a slow answer is not asked for on every pass.
        order.redrives += 1;
        order.updatedAt = now;
        await this.orders.save(order);
      }
      return events;
    });
    let published = 0;
    for (const { event, attempt } of due) {
      try {
        await this.publish(event, attempt);
        published += 1;
      } catch (error) {
        this.logger.warn(`event ${event.id} not published again (${(error as Error).message}); the next pass retries`);
      }
    }
    if (published > 0) this.logger.warn(`re-drove ${published} stuck order(s)`);
    return published;
  }

  /**
   * One pass over the exclusive holds last written more than ORDER_REDRIVE_AFTER_MS before
   * `now`; answers how many it gave back. By then the placement that wrote one has ended (its
   * deadline is the gateway's RPC_TIMEOUT_MS) or can no longer write its order without it.
   */
  releaseAbandoned(now = new Date()): Promise<number> {
    return this.holds.giveBackOlderThan(new Date(now.getTime() - this.settings.ORDER_REDRIVE_AFTER_MS));
  }

  private async publish(event: StoredEvent, attempt: number): Promise<void> {
    const envelope: EventEnvelope = {
      id: event.id,
      subject: event.subject,
      occurredAt: event.occurredAt.toISOString(),
      producer: this.identity.service,
      payload: event.payload,
    };
    if (event.aggregate) envelope.aggregate = event.aggregate;
    await this.nc.jetstream().publish(this.namespace.subject(event.subject), encodeJson(envelope), {
      msgID: `${event.id}.redrive-${attempt}`,
      headers: toNatsHeaders({ ...event.headers, [MessageHeaders.eventId]: `${event.id}.redrive-${attempt}` }),
      timeout: 5000,
    });
  }
}
