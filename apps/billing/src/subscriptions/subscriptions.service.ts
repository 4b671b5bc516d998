import {
  BillingEvents,
  BillingSubjects,
  CancelSubscriptionRequest,
  CatalogEvents,
  CommonErrorCode,
  GetSubscriptionRequest,
  ListSubscriptionsRequest,
  ResumeSubscriptionRequest,
  type DatasetPublished,
  type DatasetSuspended,
  GatewayEvents,
  type OfferChanged,
  type OrganizationStatusChangedV1,
  type RenewalRunView,
  type SubscriptionPage,
  type SubscriptionView,
} from '@trove/contracts';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EventHandler, occurredAt, RpcHandler, UnitOfWork, type EventContext, type RpcContext, type Transaction } from '@trove/messaging';
import { decodeCursor, isDatabaseUnavailable, PeriodicJob, ServiceException, toPage, type Caller } from '@trove/platform';
import { callerAs } from '../access';
import { BillingConfig } from '../billing.config';
import { Clock } from '../clock';
import { PaymentsService } from '../payments/payments.service';
import { Standing } from '../standing';
import { subscriptionStates } from './subscription-state';
import { nextPeriod, SubscriptionRepository, subscriptionView, type LapseReason, type Subscription } from './subscription.repository';

/**
 * Renews subscriptions when their paid period ends, by the billing clock: each due one is
 * charged for the next period (a journal entry and an invoice, like a purchase) and extended,
 * or lapses without a charge: when its license's term is over, when the wallet cannot cover it,
 * when the catalog no longer sells that period (the dataset or its vendor's organization
 * suspended by an operator, or the offer withdrawn by its vendor), and when an operator
 * suspended its buyer's organization.
 * Delivery ends the entitlement on `lapsed`. Each subscription renews in a transaction of its
 * own, so one buyer's empty wallet holds up nobody.
 *
 * A buyer may cancel its subscription: the period paid runs to its end, and the renewal then
 * charges nothing and lets it lapse (`cancelled_by_buyer`), like any other lapse. Until that
 * period ends the buyer may take the cancellation back (resume).
 *
 * What the catalog sells, billing learns from the catalog's events only (`dataset.suspended`,
 * `dataset.published`, `offer.changed`), and from the gateway's `organization.status-changed`
 * (the catalog hides a suspended vendor's listings on the same event), each taken in through
 * the inbox with its effect.
 */
@Injectable()
export class SubscriptionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Subscriptions');
  private readonly job: PeriodicJob<RenewalRunView> = new PeriodicJob(this.logger, 'subscription renewal pass failed; the next one retries', async () => {
    // Not while suspensions published when billing was down still wait to be applied: the pass
    // would charge periods the catalog no longer sells. The next tick asks again.
    if (!this.standing.caughtUp) {
      this.logger.warn('renewal pass put off: billing is still applying the status changes published while it was down');
      return { renewed: 0, lapsed: 0 };
    }
    // A shutdown ends the pass after the renewal in hand: each is a transaction of its own, and
    // the next process's pass takes up the rest, so it need not outlast SHUTDOWN_TIMEOUT_MS.
    return this.renewDue(undefined, () => this.job.stopping);
  });

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly subscriptions: SubscriptionRepository,
    private readonly payments: PaymentsService,
    private readonly config: BillingConfig,
    private readonly clock: Clock,
    private readonly standing: Standing,
  ) {}

  onApplicationBootstrap(): void {
    this.job.start(this.config.SUBSCRIPTION_SWEEP_MS);
  }

  /** One renewal pass now, as the periodic job runs it: put off while billing has not caught up. */
  renewalPass(): Promise<RenewalRunView> {
    return this.job.run();
  }

  /**
   * An operator's pass (`billing.subscription.renew-due`, of one order with `orderId`): refused
   * as unavailable (503) while billing is still applying what was published while it was down,
   * rather than charge against stale standing.
   */
  async renewDueForOperator(orderId?: string): Promise<RenewalRunView> {
    this.standing.assertCaughtUp('A renewal pass');
    return this.renewDue(orderId);
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  /**
   * Renews (or lets lapse) every subscription due at the clock's now, period after period; with
   * `stop`, ends early between two renewals once it answers true.
   */
  async renewDue(orderId?: string, stop?: () => boolean): Promise<RenewalRunView> {
    const result = { renewed: 0, lapsed: 0 };
    // Due subscriptions this pass could not renew: each stays due for the next pass, and the
    // pass goes on without it. Before, the first such one (the oldest due) ended every pass, and
    // every subscription due after it was served on without being charged.
    const failed: string[] = [];
    for (;;) {
      const now = this.clock.now();
      const due = await this.unitOfWork.read(() => this.subscriptions.dueIds(now, 200, orderId, failed));
      if (due.length === 0) return result;
      let progressed = false;
      for (const id of due) {
        if (stop?.()) return result;
        let outcome: 'renewed' | 'lapsed' | null;
        try {
          outcome = await this.renewOne(id);
        } catch (error) {
          // Without its database the pass cannot renew any: the next pass retries them all.
          if (isDatabaseUnavailable(error)) throw error;
          this.logger.error({ err: error, subscriptionId: id }, 'subscription not renewed; it stays due, and the next pass tries it again');
          failed.push(id);
          continue;
        }
        if (outcome) result[outcome]++;
        progressed ||= outcome !== null;
      }
      // Everything left is being renewed by another replica right now.
      if (!progressed) return result;
    }
  }

  /**
   * One due subscription, in a transaction of its own, at the clock's time when it is renewed:
   * its invoice is dated (and numbered in the year of) that moment, not the pass's start, which a
   * long pass across the turn of the year would number in the year before.
   */
  private renewOne(id: string): Promise<'renewed' | 'lapsed' | null> {
    return this.unitOfWork.run(async (tx) => {
      const now = this.clock.now();
      const subscription = await this.subscriptions.lockDue(id, now);
      if (!subscription) return null;
      // A change of its parties or listing billing could not apply: its standing here may be
      // stale. It stays due (the pass logs it) until an operator replays the dead letter.
      const unapplied =
        (await this.standing.unappliedStatusOf([subscription.vendorOrganizationId, subscription.buyerOrganizationId])) ??
        (await this.standing.unappliedListingChangeOf(subscription.datasetId, subscription.offerId));
      if (unapplied) throw new Error(`${unapplied.subject} of its vendor, buyer or listing is dead letter ${unapplied.id}: replay it first`);
      // Its buyer asked for no more periods; the lock makes this the cancellation's last word.
      if (subscription.cancelAtPeriodEnd) return this.lapse(tx, subscription, 'cancelled_by_buyer');
      // The license ends here: delivery's entitlement expires with it, so a period after it would
      // be paid for and never served.
      const next = nextPeriod(subscription);
      if (!next) return this.lapse(tx, subscription, 'term_ended');
      // A renewal sells the next period: not while the catalog does not sell it, nor to a buyer
      // that may not use it. The period paid for ran in full (delivery serves an entitlement
      // until it lapses), so nothing is owed back.
      if (subscription.unsold) return this.lapse(tx, subscription, subscription.unsold);
      const line = {
        lineId: subscription.lineId,
        offerId: subscription.offerId,
        datasetId: subscription.datasetId,
        vendorOrganizationId: subscription.vendorOrganizationId,
        price: { amount: next.amount, currency: subscription.currency },
        item: {
          ...(subscription.datasetTitle ? { datasetTitle: subscription.datasetTitle } : {}),
          ...(subscription.licenseTemplate ? { licenseTemplate: subscription.licenseTemplate } : {}),
          pricingModel: 'subscription',
          period: subscription.period,
          periodStart: next.start.toISOString(),
          periodEnd: next.end.toISOString(),
          quantity: 1,
          unitPrice: { amount: next.amount, currency: subscription.currency },
        },
      };
      const posted = await this.payments.postCharge(tx, 'renewal', subscription.orderId, subscription.buyerOrganizationId, [line], now);
      if ('declined' in posted) return this.lapse(tx, subscription, 'insufficient_funds');
      await this.subscriptions.extend(subscription.id, next.end);
      await tx.publish(BillingEvents.subscriptionRenewed, { orderId: subscription.orderId, lineId: subscription.lineId, periodEnd: next.end.toISOString(), amount: { amount: next.amount, currency: subscription.currency } });
      return 'renewed' as const;
    });
  }

  private async lapse(tx: Transaction, subscription: Subscription, reason: LapseReason): Promise<'lapsed'> {
    subscriptionStates.assert(subscription.status, 'lapsed');
    await this.subscriptions.lapse(subscription.id, reason);
    await tx.publish(BillingEvents.subscriptionLapsed, { orderId: subscription.orderId, lineId: subscription.lineId });
    return 'lapsed';
  }

  // ---- the buyer's view and commands ----
  //
  // Billing's request subjects for subscriptions are answered here, each checking the caller's
  // role again and scoping to its organization, as the other billing requests do.

  @RpcHandler(BillingSubjects.listSubscriptions)
  listRequested(request: ListSubscriptionsRequest, context: RpcContext): Promise<SubscriptionPage> {
    return this.list(callerAs(context, 'buyer', 'admin'), request);
  }

  @RpcHandler(BillingSubjects.getSubscription)
  getRequested(request: GetSubscriptionRequest, context: RpcContext): Promise<SubscriptionView> {
    return this.get(callerAs(context, 'buyer', 'admin'), request.subscriptionId);
  }

  @RpcHandler(BillingSubjects.cancelSubscription)
  cancelRequested(request: CancelSubscriptionRequest, context: RpcContext): Promise<SubscriptionView> {
    return this.cancel(callerAs(context, 'buyer'), request.subscriptionId);
  }

  @RpcHandler(BillingSubjects.resumeSubscription)
  resumeRequested(request: ResumeSubscriptionRequest, context: RpcContext): Promise<SubscriptionView> {
    return this.resume(callerAs(context, 'buyer'), request.subscriptionId);
  }

  /** A buyer's own subscriptions, newest first; an operator sees every one (one organization's with `organizationId`). */
  async list(caller: Caller, request: ListSubscriptionsRequest): Promise<SubscriptionPage> {
    const limit = request.limit ?? 20;
    const buyer = caller.role === 'admin' ? (request.organizationId ?? null) : caller.organizationId;
    const scope = `subscriptions|${buyer ?? '*'}|${request.status ?? '*'}`;
    const after = decodeCursor(request.cursor, scope);
    const rows = await this.unitOfWork.read(() => this.subscriptions.list(buyer, request.status, limit + 1, after));
    return toPage(rows, limit, (s) => ({ at: s.subscribedAt, id: s.id }), subscriptionView, scope);
  }

  /** One subscription: its buyer's own, or any for an operator; another organization's is NOT_FOUND. */
  async get(caller: Caller, id: string): Promise<SubscriptionView> {
    const subscription = await this.unitOfWork.read(() => this.subscriptions.find(id));
    if (!subscription || (caller.role !== 'admin' && subscription.buyerOrganizationId !== caller.organizationId)) throw notFound(id);
    return subscriptionView(subscription);
  }

  /**
   * The buyer stops renewal at the end of the period it paid for: nothing more is charged, and
   * the subscription lapses at that end, its entitlement with it. The row is locked first: a
   * renewal in flight finishes before (its period was due, and is charged and served), and a
   * renewal that comes while the cancellation holds the row skips it, and later finds it
   * cancelled. Cancelling again answers the same; one that lapsed otherwise, or was refunded, is
   * INVALID_STATE.
   */
  cancel(caller: Caller, id: string): Promise<SubscriptionView> {
    return this.unitOfWork.run(async () => {
      const subscription = await this.ownForUpdate(caller, id);
      // Cancelled already: the same answer, also once it has lapsed for it (a retry of the same
      // cancellation); not once it was refunded, which ended it whatever the buyer had asked.
      const endedByTheCancel = subscription.status === 'active' || (subscription.status === 'lapsed' && subscription.lapseReason === 'cancelled_by_buyer');
      if (subscription.cancelAtPeriodEnd && endedByTheCancel) return subscriptionView(subscription);
      assertRenews(subscription, 'cancel');
      return subscriptionView(await this.subscriptions.markCancelAtPeriodEnd(subscription.id, this.clock.now()));
    });
  }

  /**
   * The buyer takes its cancellation back while the period paid runs: renewals go on as before.
   * Once that period has ended (by billing's clock) it is too late, also when the renewal pass
   * has not come by yet: the subscription lapses, and the buyer orders the offer again.
   */
  resume(caller: Caller, id: string): Promise<SubscriptionView> {
    return this.unitOfWork.run(async () => {
      const subscription = await this.ownForUpdate(caller, id);
      assertRenews(subscription, 'resume');
      if (!subscription.cancelAtPeriodEnd) return subscriptionView(subscription);
      if (this.clock.now() >= subscription.periodEnd) {
        throw new ServiceException(
          CommonErrorCode.INVALID_STATE,
          `Subscription ${id} was cancelled and its paid period ended at ${subscription.periodEnd.toISOString()}: it lapses without a charge. Order the offer again to subscribe anew.`,
        );
      }
      return subscriptionView(await this.subscriptions.markResumed(subscription.id));
    });
  }

  private async ownForUpdate(caller: Caller, id: string): Promise<Subscription> {
    const subscription = await this.subscriptions.findForUpdate(id);
    if (!subscription || subscription.buyerOrganizationId !== caller.organizationId) throw notFound(id);
    return subscription;
  }

  // ---- what the catalog sells, from its events ----
  //
  // The times are the envelope's, the catalog's commit time of the change: the payload of
  // `dataset.published` carries the listing's first publication, also when it reinstates one.

  @EventHandler(CatalogEvents.datasetSuspended, { consumer: 'catalog-datasets' })
  async datasetSuspended(suspension: DatasetSuspended, { event }: EventContext<DatasetSuspended>): Promise<void> {
    await this.subscriptions.recordDatasetStanding(suspension.datasetId, suspension.byVendor ? 'withdrawn' : 'suspended', occurredAt(event));
  }

  @EventHandler(CatalogEvents.datasetPublished, { consumer: 'catalog-datasets' })
  async datasetPublished(publication: DatasetPublished, { event }: EventContext<DatasetPublished>): Promise<void> {
    await this.subscriptions.recordDatasetStanding(publication.datasetId, 'published', occurredAt(event));
  }

  @EventHandler(CatalogEvents.offerChanged, { consumer: 'catalog-offers' })
  async offerChanged(change: OfferChanged, { event }: EventContext<OfferChanged>): Promise<void> {
    if (change.change !== 'withdrawn') return;
    await this.subscriptions.recordOfferWithdrawn(change.offerId, change.datasetId, occurredAt(event));
  }

  // ---- organizations' standing, from the gateway's events ----
  //
  // Every organization's, vendors and buyers alike: an operator's suspension of a vendor takes
  // all its listings off sale, and a suspended buyer is sold no further period. The consumer
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

function notFound(id: string): ServiceException {
  return new ServiceException(CommonErrorCode.NOT_FOUND, `No subscription ${id}.`);
}

/** A buyer's command on a subscription that ended already: nothing renews, so there is nothing to stop or go on with. */
function assertRenews(subscription: Subscription, command: 'cancel' | 'resume'): void {
  if (subscriptionStates.can(subscription.status, 'lapsed')) return;
  const why =
    subscription.status === 'lapsed'
      ? `lapsed at ${subscription.periodEnd.toISOString()} (${subscription.lapseReason})`
      : 'ended when its order was refunded';
  throw new ServiceException(CommonErrorCode.INVALID_STATE, `Subscription ${subscription.id} ${why}: there is nothing to ${command}.`);
}
