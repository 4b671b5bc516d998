import { BillingEvents, type RenewalRunView } from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { BillingConfig } from '../billing.config';
import { Clock } from '../clock';
import { PaymentsService } from '../payments/payments.service';
import { periodEnd, SubscriptionRepository } from './subscription.repository';

/**
 * Renews subscriptions when their paid period ends, by the billing clock: each due one is
 * charged for the next period (a journal entry and an invoice, like a purchase) and extended,
 * or, when the wallet cannot cover it, lapses; delivery ends the entitlement on `lapsed`. Each
 * subscription renews in a transaction of its own, so one buyer's empty wallet holds up nobody.
 */
@Injectable()
export class SubscriptionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Subscriptions');
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly subscriptions: SubscriptionRepository,
    private readonly payments: PaymentsService,
    private readonly config: BillingConfig,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = true;
      this.renewDue()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'subscription renewal pass failed; the next one retries'))
        .finally(() => (this.running = false));
    }, this.config.SUBSCRIPTION_SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Renews (or lets lapse) every subscription due at the clock's now, period after period. */
  async renewDue(orderId?: string): Promise<RenewalRunView> {
    const result = { renewed: 0, lapsed: 0 };
    for (;;) {
      const now = this.clock.now();
      const due = await this.unitOfWork.read(() => this.subscriptions.dueIds(now, 200, orderId));
      if (due.length === 0) return result;
      let progressed = false;
      for (const id of due) {
        const outcome = await this.renewOne(id, now);
        if (outcome) result[outcome]++;
        progressed ||= outcome !== null;
      }
      // Everything left is being renewed by another replica right now.
      if (!progressed) return result;
    }
  }

  private renewOne(id: string, now: Date): Promise<'renewed' | 'lapsed' | null> {
    return this.unitOfWork.run(async (tx) => {
      const subscription = await this.subscriptions.lockDue(id, now);
      if (!subscription) return null;
      const line = {
        lineId: subscription.lineId,
        offerId: subscription.offerId,
        datasetId: subscription.datasetId,
        vendorOrganizationId: subscription.vendorOrganizationId,
        price: { amount: subscription.amount, currency: subscription.currency },
      };
      const posted = await this.payments.postCharge(tx, 'renewal', subscription.orderId, subscription.buyerOrganizationId, [line], now);
      if ('declined' in posted) {
        await this.subscriptions.lapse(subscription.id);
        await tx.publish(BillingEvents.subscriptionLapsed, { orderId: subscription.orderId, lineId: subscription.lineId });
        return 'lapsed' as const;
      }
      const end = periodEnd(subscription.periodEnd, subscription.period);
      await this.subscriptions.extend(subscription.id, end);
      await tx.publish(BillingEvents.subscriptionRenewed, { orderId: subscription.orderId, lineId: subscription.lineId, periodEnd: end.toISOString() });
      return 'renewed' as const;
    });
  }
}
