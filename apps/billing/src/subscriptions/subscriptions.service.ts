import {
  BillingEvents,
  CatalogEvents,
  type DatasetPublished,
  type DatasetSuspended,
  GatewayEvents,
  type OfferChanged,
  type OrganizationStatusChangedV1,
  type RenewalRunView,
} from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventHandler, UnitOfWork, type EventContext, type Transaction } from '@trove/messaging';
import { BillingConfig } from '../billing.config';
import { Clock } from '../clock';
import { PaymentsService } from '../payments/payments.service';
import { periodEnd, SubscriptionRepository, type LapseReason, type Subscription } from './subscription.repository';

/**
 * Renews subscriptions when their paid period ends, by the billing clock: each due one is
 * charged for the next period (a journal entry and an invoice, like a purchase) and extended,
 * or lapses without a charge: when the wallet cannot cover it, and when the catalog no longer
 * sells that period (the dataset or its vendor's organization suspended by an operator, or the
 * offer withdrawn by its vendor).
 * Delivery ends the entitlement on `lapsed`. Each subscription renews in a transaction of its
 * own, so one buyer's empty wallet holds up nobody.
 *
 * What the catalog sells, billing learns from the catalog's events only (`dataset.suspended`,
 * `dataset.published`, `offer.changed`), and from the gateway's `organization.status-changed`
 * (the catalog hides a suspended vendor's listings on the same event), each taken in through
 * the inbox with its effect.
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
      // A renewal sells the next period: not while the catalog does not sell it. The period paid
      // for ran in full (delivery serves an entitlement until it lapses), so nothing is owed back.
      if (subscription.unsold) return this.lapse(tx, subscription, subscription.unsold);
      const line = {
        lineId: subscription.lineId,
        offerId: subscription.offerId,
        datasetId: subscription.datasetId,
        vendorOrganizationId: subscription.vendorOrganizationId,
        price: { amount: subscription.amount, currency: subscription.currency },
      };
      const posted = await this.payments.postCharge(tx, 'renewal', subscription.orderId, subscription.buyerOrganizationId, [line], now);
      if ('declined' in posted) return this.lapse(tx, subscription, 'insufficient_funds');
      const end = periodEnd(subscription.periodEnd, subscription.period);
      await this.subscriptions.extend(subscription.id, end);
      await tx.publish(BillingEvents.subscriptionRenewed, { orderId: subscription.orderId, lineId: subscription.lineId, periodEnd: end.toISOString() });
      return 'renewed' as const;
    });
  }

  private async lapse(tx: Transaction, subscription: Subscription, reason: LapseReason): Promise<'lapsed'> {
    await this.subscriptions.lapse(subscription.id, reason);
    await tx.publish(BillingEvents.subscriptionLapsed, { orderId: subscription.orderId, lineId: subscription.lineId });
    return 'lapsed';
  }

  // ---- what the catalog sells, from its events ----
  //
  // The times are the envelope's, the catalog's commit time of the change: the payload of
  // `dataset.published` carries the listing's first publication, also when it reinstates one.

  @EventHandler(CatalogEvents.datasetSuspended, { consumer: 'catalog-datasets' })
  async datasetSuspended(suspension: DatasetSuspended, { event }: EventContext<DatasetSuspended>): Promise<void> {
    await this.subscriptions.recordDatasetStanding(suspension.datasetId, 'suspended', catalogTime(event.occurredAt));
  }

  @EventHandler(CatalogEvents.datasetPublished, { consumer: 'catalog-datasets' })
  async datasetPublished(publication: DatasetPublished, { event }: EventContext<DatasetPublished>): Promise<void> {
    await this.subscriptions.recordDatasetStanding(publication.datasetId, 'published', catalogTime(event.occurredAt));
  }

  @EventHandler(CatalogEvents.offerChanged, { consumer: 'catalog-offers' })
  async offerChanged(change: OfferChanged, { event }: EventContext<OfferChanged>): Promise<void> {
    if (change.change !== 'withdrawn') return;
    await this.subscriptions.recordOfferWithdrawn(change.offerId, change.datasetId, catalogTime(event.occurredAt));
  }

  // ---- vendors' standing, from the gateway's events ----
  //
  // An operator's suspension of an organization takes all its listings off sale. The consumer
  // applies one organization's changes in the order the gateway numbered them; `changedAt`
  // decides besides, as in the catalog, so a late or repeated change never brings an older
  // status back. Reinstatement revives no subscription that lapsed meanwhile. For the same
  // reason an organization's history may be joined midway (startsMidHistory).
  @EventHandler(GatewayEvents.organizationStatusChanged, { consumer: 'organization-statuses', startsMidHistory: true })
  async organizationStatusChanged(change: OrganizationStatusChangedV1): Promise<void> {
    const recorded = await this.subscriptions.recordOrganizationStatus(change.organizationId, change.status, new Date(change.changedAt));
    if (!recorded) this.logger.log(`status ${change.status} of organization ${change.organizationId} at ${change.changedAt} is not newer than the one recorded: ignored`);
  }
}

/** An envelope's time; one that is not a time fails the event (retried, then a dead letter), never guessed. */
function catalogTime(occurredAt: string): Date {
  const at = new Date(occurredAt);
  if (Number.isNaN(at.getTime())) throw new Error(`the event's occurredAt ${JSON.stringify(occurredAt)} is not a time`);
  return at;
}
