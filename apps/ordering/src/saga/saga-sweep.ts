import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { OrderingConfig } from '../ordering.config';
import { IN_FLIGHT } from '../orders/order-state';
import { OrderRepository } from '../orders/order.repository';

/**
 * Re-drives stuck orders: an order that waited longer than ORDER_REDRIVE_AFTER_MS for
 * billing's or delivery's answer gets the event that asked for it published again (the same
 * event, so consumers that had it drop the repeat). Every order thus reaches a terminal state
 * even if an event was lost on the way.
 */
@Injectable()
export class SagaSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SagaSweep');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly orders: OrderRepository,
    private readonly settings: OrderingConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.settings.ORDER_SWEEP_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.sweep().catch((error: Error) => {
      this.logger.error(`saga sweep failed: ${error.message}`);
      return 0;
    });
    await this.running;
    this.running = undefined;
  }

  /** One pass; answers how many orders it re-drove. */
  sweep(now = new Date()): Promise<number> {
    return this.unitOfWork.run(async () => {
      const stuck = await this.orders.stuck(IN_FLIGHT, new Date(now.getTime() - this.settings.ORDER_REDRIVE_AFTER_MS), 100);
      let redriven = 0;
      for (const order of stuck) {
        if (order.awaitingEventId && (await this.orders.republish(order.awaitingEventId))) redriven += 1;
        else this.logger.error(`order ${order.id} is ${order.status} and its event ${order.awaitingEventId} is gone: it needs an operator`);
        order.redrives += 1;
        order.updatedAt = now;
        await this.orders.save(order);
      }
      if (redriven > 0) this.logger.warn(`re-drove ${redriven} stuck order(s)`);
      return redriven;
    });
  }
}
