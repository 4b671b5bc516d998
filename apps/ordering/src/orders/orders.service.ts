import {
  CatalogErrorCode,
  CatalogSubjects,
  CommonErrorCode,
  MAX_METERED_QUANTITY,
  ORDER_STATUSES,
  OrderingErrorCode,
  OrderingEvents,
  type LicenseReceiptView,
  type ListOrdersRequest,
  type OfferSnapshot,
  type OrderPage,
  type OrderStatsView,
  type OrderView,
  type PlaceOrderRequest,
  type SalePage,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { readRequestHash, RpcClient, UnitOfWork, type Transaction } from '@trove/messaging';
import { decodeCursor, DEFAULT_PAGE_SIZE, fieldError, RequestContext, ServiceException, toPage, type Caller } from '@trove/platform';
import { chargeFor, MoneyError, type CurrencyCode } from '@trove/licensing';
import { createHash, randomUUID } from 'node:crypto';
import { notFound } from '../access';
import { AccessRequestRepository } from '../access-requests/access-request.repository';
import { OrderingConfig } from '../ordering.config';
import { endExclusive } from './exclusive-end';
import { ExclusiveHolds } from './exclusive-holds';
import { soldLicense, soldOutDetail } from './exclusivity-detail';
import { LicenseReceipt, Order, OrderLine } from './order.entity';
import { OrderRepository } from './order.repository';

/** Applies a command's change in its transaction (the RPC server's `context.command`). */
export type Commit = <T>(work: (tx: Transaction) => Promise<T>) => Promise<T>;

@Injectable()
export class OrdersService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly orders: OrderRepository,
    private readonly accessRequests: AccessRequestRepository,
    private readonly rpc: RpcClient,
    private readonly holds: ExclusiveHolds,
    private readonly settings: OrderingConfig,
  ) {}

  /**
   * Places an order: snapshots each offer as the catalog sells it right now, checks approval,
   * quantities, the total and exclusivity, then writes the order, its lines and its license
   * receipt in the command's transaction (`commit`). The catalog is asked before that
   * transaction opens, so none is held open while the catalog answers.
   *
   * An order with a price publishes `order.placed` for billing, listing its priced lines only.
   * An order of free offers alone has nothing to charge: it is paid at once and publishes
   * `order.paid` for delivery itself, so billing never hears of it (no payment, entry or invoice).
   */
  async place(buyer: Caller, request: PlaceOrderRequest, commit: Commit): Promise<OrderView> {
    const orderId = orderIdFor(buyer, RequestContext.current()?.idempotencyKey, request);
    // Through `commit` all the same: a duplicate that wrote it a moment ago holds the key's record,
    // and its recorded answer is the one to give; with no record, this answer becomes the record.
    if (await this.madeAlready(buyer, orderId)) return commit(() => this.viewOf(orderId));
    const offers = await Promise.all(request.items.map((item) => this.rpc.send(CatalogSubjects.getOffer, { offerId: item.offerId, orderId })));
    // First the buyer's own recent decline: until the catalog has taken its release, the offer
    // still shows that declined order's sale, and "sold until 2028" would be the wrong answer.
    for (const offer of offers) if (offer.exclusive) await this.assertNotDeclinedRecently(buyer, offer.id);
    for (const offer of offers) await this.assertOrderable(buyer, offer);
    const priced = offers.filter((offer) => offer.pricing.model !== 'free');
    // A free offer has no currency of its own: it takes the order's, or the market's own.
    const currency = priced[0]?.pricing.price!.currency ?? FREE_ORDER_CURRENCY;
    if (priced.some((offer) => offer.pricing.price!.currency !== currency)) {
      throw new ServiceException(OrderingErrorCode.CURRENCY_MISMATCH, 'The items are priced in different currencies: place one order per currency.');
    }
    const prices = offers.map((offer, position) => linePrice(offer, request.items[position].quantity, position, currency));
    const total = prices.reduce((sum, price) => sum + price.amount, 0);
    if (!Number.isSafeInteger(total)) {
      const problem = 'the order total is beyond the largest amount Trove handles: place fewer items, or smaller quantities, per order';
      throw fieldError('items', problem);
    }
    // The instant the order is placed at, and an exclusive sale starts at: the license's term runs
    // from it (`termStartsAt` of order.paid), so that it ends with the sale, not later by the
    // time the payment took.
    let placedAt = new Date();
    // Exclusivity after approval, currency and total (the documented steps), and after what the
    // buyer licenses already: the catalog marks an exclusive offer sold out to its own holder too,
    // who was told "sold, with no end" of the offer it holds instead of the order that holds it.
    if (offers.some((offer) => offer.exclusiveSoldOut)) {
      await this.unitOfWork.run(() => this.assertNotLicensedAlready(buyer, offers));
      for (const offer of offers) await this.assertNotSoldOut(buyer, offer, orderId, placedAt);
    }
    // The order's transaction: its datasets' shared locks first (ExclusiveHolds.lockDatasets),
    // then, for an exclusive order, its hold (taken after them: a retry writing the hold again
    // takes the dataset's lock before the hold's row), then the order.
    const write = async (tx: Transaction, takeHold?: () => Promise<void>) => {
      await this.holds.lockDatasets(offers);
      await takeHold?.();
      return this.write(tx, buyer, orderId, offers, prices, currency, total, placedAt);
    };
    const exclusive = offers.filter((offer) => offer.exclusive);
    if (exclusive.length === 0) return commit((tx) => write(tx));
    // Refused before anything is reserved: an order that reserved its first exclusive offer and
    // was then refused the second held the first from every other buyer meanwhile, so a script
    // sending such orders without end kept an exclusive offer from ever being sold, at no cost.
    if (exclusive.length > 1) {
      throw new ServiceException(
        CommonErrorCode.CONFLICT,
        `An order holds one exclusive sale, and this one has ${exclusive.length} exclusive offers (${exclusive.map((offer) => offer.id).join(', ')}): place each in an order of its own.`,
      );
    }

    // What the order's transaction would refuse it for, asked before anything is reserved: an
    // order refused after reserving held the exclusive offer from every other buyer meanwhile,
    // and a script repeating one (with an offer the buyer licenses already) kept it so for free.
    // A transaction of its own, which writes nothing: the checks read under their locks.
    await this.unitOfWork.run(async () => {
      await this.assertNotLicensedAlready(buyer, offers);
      await this.assertNoExclusiveSaleSince(buyer, offers, placedAt);
    });

    // Exclusive sales are recorded by the catalog, idempotently per order: a retry of this
    // command carries the same key and body, so the same order id, and gets the same sale back.
    // The hold, committed first, makes sure a sale whose order is never written is released:
    // here when anything below fails, by the sweep when this process dies (see ExclusiveHolds).
    const token = await this.holds.hold(orderId, buyer.organizationId, { datasetId: exclusive[0].datasetId, terms: exclusive[0].license.terms });
    let wrote = false;
    try {
      const sale = await this.rpc.send(CatalogSubjects.reserveExclusive, { offerId: exclusive[0].id, buyerOrgId: buyer.organizationId, orderId, startsAt: placedAt.toISOString() });
      // A retry of the command finds the sale its first attempt reserved: the order starts with it.
      if (sale?.startsAt) placedAt = new Date(sale.startsAt);
      const view = await commit((tx) => {
        wrote = true;
        return write(tx, () => this.holds.take(orderId, token));
      });
      // A concurrent duplicate of this command wrote the order first, and `commit` answered its
      // reply without writing: the sale is that order's, and only the hold is left to delete.
      if (!wrote) await this.holds.giveBack(orderId, buyer.organizationId);
      return view;
    } catch (error) {
      // Refused by the catalog (a collision with a live sale), by the idempotency record (the
      // key's other request won), by the database or the deadline: no order was written by this
      // attempt, so its sale goes back unless another attempt of the same command wrote the order.
      await this.holds.giveBack(orderId, buyer.organizationId);
      throw error;
    }
  }

  /**
   * Whether this key and body made an order already, when the rpc layer found no record of the
   * key: records are pruned a day after the stream's retention, the order stays, and its id is
   * derived from the key and body, so writing it again failed on its primary key (a 500 for every
   * retry, for ever). The same key and body answer that order as it is now, and nothing is
   * reserved or written again.
   */
  private async madeAlready(buyer: Caller, orderId: string): Promise<boolean> {
    const order = await this.unitOfWork.read(() => this.orders.find(orderId));
    return order?.buyerOrganizationId === buyer.organizationId;
  }

  private async viewOf(orderId: string): Promise<OrderView> {
    const order = (await this.orders.find(orderId))!;
    return order.toView((await this.orders.linesOf([order.id])).get(order.id)!);
  }

  /**
   * Every order of an exclusive offer holds it from all other buyers until billing answers. A
   * buyer whose wallet cannot pay would otherwise hold it again with each new attempt, and a
   * script doing that without end would keep the offer from ever being sold, at no cost: after a
   * decline the same buyer waits EXCLUSIVE_DECLINE_COOLDOWN_MS before ordering that offer again.
   */
  private async assertNotDeclinedRecently(buyer: Caller, offerId: string): Promise<void> {
    const cooldown = this.settings.EXCLUSIVE_DECLINE_COOLDOWN_MS;
    if (cooldown === 0) return;
    const declined = await this.unitOfWork.read(() => this.orders.exclusiveDeclinedSince(buyer.organizationId, offerId, new Date(Date.now() - cooldown)));
    if (!declined) return;
    const retryAt = new Date(declined.getTime() + cooldown).toISOString();
    throw new ServiceException(
      OrderingErrorCode.EXCLUSIVE_ORDER_DECLINED_RECENTLY,
      `Your last order of exclusive offer ${offerId} was declined for want of funds at ${declined.toISOString()}: top up your wallet, then order it again after ${retryAt}.`,
    );
  }

  /** The order, its lines and its receipt, and the event that starts the saga. */
  private async write(
    tx: Transaction,
    buyer: Caller,
    orderId: string,
    offers: OfferSnapshot[],
    prices: { amount: number; quantity: number | null }[],
    currency: CurrencyCode,
    total: number,
    now: Date,
  ): Promise<OrderView> {
    await this.assertNotLicensedAlready(buyer, offers);
    await this.assertNoExclusiveSaleSince(buyer, offers, now);
    const lines = offers.map((offer, position) =>
      Object.assign(new OrderLine(), {
        id: randomUUID(),
        orderId,
        buyerOrganizationId: buyer.organizationId,
        position,
        offerId: offer.id,
        datasetId: offer.datasetId,
        datasetTitle: offer.datasetTitle,
        vendorOrganizationId: offer.vendorOrganizationId,
        priceAmount: prices[position].amount,
        quantity: prices[position].quantity,
        wholeQuantity: prices[position].quantity !== null && offer.pricing.unit !== 'gib' ? (offer.defaultQuantity ?? null) : null,
        currency,
        pricing: offer.pricing,
        licenseTemplate: offer.license.template,
        terms: offer.license.terms,
        termsSha256: offer.termsSha256,
        exclusive: offer.exclusive,
        coversFutureVersions: offer.pricing.model === 'subscription',
        versionIds: offer.releasedVersionIds,
        placedAt: now,
      }),
    );
    const order = Object.assign(new Order(), {
      id: orderId,
      buyerOrganizationId: buyer.organizationId,
      status: 'pending_payment' as const,
      totalAmount: total,
      currency,
      cancellationReason: null,
      refundReason: null,
      paymentId: null,
      entitlementIds: [],
      awaitingEventId: null as string | null,
      redrives: 0,
      placedAt: now,
      paidAt: null,
      fulfilledAt: null,
      closedAt: null,
      updatedAt: now,
    });
    if (total === 0) {
      order.moveTo('paid', now);
      order.awaitingEventId = await tx.publish(OrderingEvents.orderPaid, order.paidEvent(lines));
    } else {
      order.awaitingEventId = await tx.publish(OrderingEvents.orderPlaced, {
        orderId,
        buyerOrganizationId: buyer.organizationId,
        lines: lines
          .filter((line) => line.priceAmount > 0)
          .map((line) => ({
            lineId: line.id,
            offerId: line.offerId,
            datasetId: line.datasetId,
            vendorOrganizationId: line.vendorOrganizationId,
            datasetTitle: line.datasetTitle,
            price: { amount: line.priceAmount, currency },
            pricing: line.eventPricing(),
            licenseTemplate: line.licenseTemplate,
            termsSha256: line.termsSha256,
            termMonths: line.terms.termMonths,
            ...(line.exclusive ? { termStartsAt: line.placedAt.toISOString() } : {}),
          })),
        total: { amount: total, currency },
        placedAt: now.toISOString(),
      });
    }
    const receipt = LicenseReceipt.issue({
      id: randomUUID(),
      orderId,
      acceptedByOrganizationId: buyer.organizationId,
      acceptedByKeyId: buyer.keyId,
      acceptedAt: now,
      lines: lines.map((line) => line.toReceiptLine()),
    });
    await this.orders.insert(order, lines, receipt);
    return order.toView(lines);
  }

  /**
   * What a buyer already holds is not sold to it again: a script that placed its order again (a
   * retry with a new Idempotency-Key, a loop that did not know it had bought) was charged again
   * for nothing it did not have. An item is refused while a live order of the buyer (awaiting
   * payment, paid or fulfilled) holds the same offer under the same terms and still runs:
   * - a perpetual license bought for a price, with every version released now (a version
   *   released since may be bought);
   * - a subscription, until it lapses (one its buyer cancelled runs to its period's end, and
   *   `POST /v1/subscriptions/:id/resume` takes the cancellation back): a second one was billed
   *   every period beside the first, for the same access.
   * A refund or a cancellation makes the offer orderable again. A license with a term may be
   * ordered again: a renewal, whose term runs on from the end of the terms already paid
   * (PurchaseSaga.captured). Metered and free offers may be ordered again as they like. Runs in
   * the order's transaction.
   */
  private async assertNotLicensedAlready(buyer: Caller, offers: OfferSnapshot[]): Promise<void> {
    // Locked in one order (by offer id), so that two orders of the same offers listed in another
    // order cannot each hold the lock the other waits for.
    for (const offer of [...offers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      const subscription = offer.pricing.model === 'subscription';
      const perpetual = offer.pricing.model === 'one_time' && offer.license.terms.termMonths === null;
      if (!subscription && !perpetual) continue;
      // A subscription covers the versions released while it runs: any of its lines holds the offer.
      const held = await this.orders.liveOrdersCovering(buyer.organizationId, offer.id, offer.termsSha256, subscription ? [] : offer.releasedVersionIds);
      const owned = held.find((order) => order.status === 'pending_payment' || order.subscriptionLapsedAt === null);
      if (!owned) continue;
      const state = owned.status === 'pending_payment' ? 'awaits payment' : owned.status === 'paid' ? 'is paid' : 'is fulfilled';
      const what = subscription
        ? `holds a live subscription to offer ${offer.id}: ordering it again would bill you a second time every period for the same access. A cancelled subscription runs to its period's end, and POST /v1/subscriptions/:id/resume takes the cancellation back (GET /v1/subscriptions lists them); order it again once it has lapsed.`
        : `licenses offer ${offer.id} perpetually, with every version of the dataset released so far: ordering it again would charge you for nothing new. Its entitlement is listed by GET /v1/entitlements.`;
      throw new ServiceException(OrderingErrorCode.ALREADY_LICENSED, `Your order ${owned.id} ${state} and ${what}`);
    }
  }

  /**
   * In the order's transaction: the catalog's answer this placement began with said no exclusive
   * sale blocks its offers (assertOrderable), but one may have been reserved since, for another
   * buyer, overlapping a line's territory and term. Ordering records each exclusive sale it
   * reserves (a hold, then the order's line) under its dataset's lock, so this read sees every
   * one the catalog could have sold meanwhile.
   */
  private async assertNoExclusiveSaleSince(buyer: Caller, offers: OfferSnapshot[], at: Date): Promise<void> {
    const lines = offers.map((offer) => ({ offer, datasetId: offer.datasetId, terms: offer.license.terms }));
    const blocked = await this.holds.blocking(buyer.organizationId, lines, at);
    if (!blocked) return;
    const { line, grant } = blocked;
    const license = soldLicense(grant.terms.territories, line.terms.territories);
    throw new ServiceException(
      CatalogErrorCode.EXCLUSIVITY_CONFLICT,
      grant.held
        ? `Offer ${line.offer.id} cannot be bought now: ${license} is being reserved for another buyer at this moment. If that sale is refused, the offer is on sale again: try again in a few seconds.`
        : `Offer ${line.offer.id} cannot be bought now: ${license} was sold to another buyer a moment ago, while this order was being placed.`,
    );
  }

  private async assertOrderable(buyer: Caller, offer: OfferSnapshot): Promise<void> {
    if (!offer.available) {
      throw new ServiceException(CatalogErrorCode.OFFER_NOT_AVAILABLE, `Offer ${offer.id} cannot be bought now: it is withdrawn or expired, or its dataset is not published.`);
    }
    if (offer.pricing.model !== 'free' && !offer.pricing.price) {
      throw new ServiceException(OrderingErrorCode.OFFER_NOT_ORDERABLE, `Offer ${offer.id} is ${offer.pricing.model} but has no price to charge.`);
    }
    if (offer.requiresApproval) {
      const access = await this.accessRequests.live(offer.id, buyer.organizationId);
      if (access?.status !== 'approved') {
        throw new ServiceException(
          OrderingErrorCode.ACCESS_NOT_APPROVED,
          access
            ? `The vendor has not yet approved access request ${access.id} for offer ${offer.id}.`
            : `Offer ${offer.id} needs the vendor's approval: POST /v1/access-requests first.`,
        );
      }
    }
  }

  /**
   * An exclusive license of the dataset is sold in this offer's territory (the catalog's answer
   * says so, and until when): while it runs, no one else is licensed the data there, exclusively
   * or not. The refusal names the sales that meet the offer's territory, as ordering knows them;
   * it named the offer's own territory as the one sold. (An exclusive offer is checked again,
   * under the catalog's lock, when its sale is reserved.)
   */
  private async assertNotSoldOut(buyer: Caller, offer: OfferSnapshot, orderId: string, at: Date): Promise<void> {
    if (!offer.exclusiveSoldOut) return;
    const sales = await this.holds.salesBlocking(buyer.organizationId, { datasetId: offer.datasetId, terms: offer.license.terms }, orderId, at);
    throw new ServiceException(CatalogErrorCode.EXCLUSIVITY_CONFLICT, soldOutDetail(offer.id, offer.license.terms.territories, sales, offer.exclusiveSoldOut.until));
  }

  /** A buyer's own order, or any for an admin; anyone else's is NOT_FOUND. */
  async get(caller: Caller, id: string): Promise<OrderView> {
    const order = await this.visible(caller, id);
    return order.toView((await this.orders.linesOf([order.id])).get(order.id)!);
  }

  async receipt(caller: Caller, orderId: string): Promise<LicenseReceiptView> {
    await this.visible(caller, orderId);
    const receipt = await this.orders.receiptOf(orderId);
    if (!receipt) throw notFound('receipt of order', orderId);
    return receipt.toView();
  }

  async list(caller: Caller, request: ListOrdersRequest): Promise<OrderPage> {
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const buyer = caller.role === 'admin' ? request.buyer : caller.organizationId;
    const scope = `orders|${buyer ?? '*'}|${request.status ?? '*'}`;
    const rows = await this.orders.list({ buyer, status: request.status }, limit + 1, decodeCursor(request.cursor, scope));
    const lines = await this.orders.linesOf(rows.slice(0, limit).map((o) => o.id));
    return toPage(rows, limit, (o) => ({ at: o.placedAt, id: o.id }), (o) => o.toView(lines.get(o.id)!), scope);
  }

  async sales(vendor: Caller, request: { limit?: number; cursor?: string; datasetId?: string; buyerOrganizationId?: string }): Promise<SalePage> {
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const filter = { datasetId: request.datasetId, buyer: request.buyerOrganizationId };
    // The whole list keeps the scope it had before it could be filtered: its cursors stay good.
    const filtered = filter.datasetId !== undefined || filter.buyer !== undefined;
    const scope = filtered ? `sales|${vendor.organizationId}|${filter.datasetId ?? '*'}|${filter.buyer ?? '*'}` : `sales|${vendor.organizationId}`;
    const rows = await this.orders.sales(vendor.organizationId, filter, limit + 1, decodeCursor(request.cursor, scope));
    return toPage(rows, limit, (r) => ({ at: r.line.placedAt, id: r.line.id }), (r) => r.line.toSaleView(r.order), scope);
  }

  /** An operator's refund: only a paid order; billing reverses the charge, then the order is refunded. */
  refund(id: string, reason: string): Promise<OrderView> {
    return this.unitOfWork.run(async (tx) => {
      const locked = await this.orders.findForUpdateWithLines(id);
      if (!locked) throw notFound('order', id);
      const { order, lines } = locked;
      if (order.status !== 'paid' && order.status !== 'fulfilled') {
        const why = order.status === 'refunded' || order.status === 'refund_pending' ? 'it is refunded already, or being refunded' : 'only a paid order can be refunded';
        throw new ServiceException(OrderingErrorCode.ORDER_NOT_REFUNDABLE, `Order ${id} is ${order.status}: ${why}.`);
      }
      order.moveTo('refund_pending');
      order.refundReason = reason;
      if (order.totalAmount === 0) {
        // Nothing was charged, so there is nothing for billing to give back: the refund ends
        // here, and delivery revokes the entitlements as after any refund.
        order.moveTo('refunded');
        order.awaitingEventId = null;
        await tx.publish(OrderingEvents.orderRefunded, { orderId: id });
        await endExclusive(tx, id, lines, 'refunded');
      } else {
        order.awaitingEventId = await tx.publish(OrderingEvents.orderRefundRequested, { orderId: id, reason });
      }
      await this.orders.save(order);
      return order.toView(lines);
    });
  }

  async stats(buyerOrganizationId?: string): Promise<OrderStatsView> {
    const byStatus = Object.fromEntries(ORDER_STATUSES.map((s) => [s, 0])) as OrderStatsView['byStatus'];
    for (const row of await this.orders.countByStatus(buyerOrganizationId)) byStatus[row.status] = row.count;
    return { byStatus, accessRequestsWaiting: await this.accessRequests.waiting(buyerOrganizationId) };
  }

  private async visible(caller: Caller, id: string): Promise<Order> {
    const order = await this.orders.find(id);
    if (!order || (caller.role !== 'admin' && order.buyerOrganizationId !== caller.organizationId)) throw notFound('order', id);
    return order;
  }
}

/** The currency of an order of free offers alone, which name none: the market's own. */
export const FREE_ORDER_CURRENCY: CurrencyCode = 'CNY';

/**
 * What one item costs, and the units it buys: the offer's price; a metered offer's unit price
 * times the item's `quantity` (refused for any other model); nothing for a free offer. A metered
 * item without a quantity buys the whole listing (`{offerId}` alone, as for any other offer): the
 * volume the listing declared of the unit when the offer was made, lowered by any edit that
 * declares less (`defaultQuantity`); per `gib` (counted at download) the quantity is required. An
 * offer in another unit without that figure is OFFER_NOT_ORDERABLE: no share of it can be measured.
 * Bad quantities are VALIDATION_FAILED naming the item's field.
 */
export function linePrice(offer: Pick<OfferSnapshot, 'id' | 'pricing' | 'meteredVolume'> & Partial<Pick<OfferSnapshot, 'defaultQuantity'>>, quantity: number | undefined, position: number, currency: CurrencyCode): { amount: number; quantity: number | null } {
  const field = `items.${position}.quantity`;
  const bad = (problem: string) => fieldError(field, problem);
  if (offer.pricing.model !== 'metered') {
    if (quantity !== undefined) throw bad(`quantity is only for metered offers; offer ${offer.id} is ${offer.pricing.model}`);
    return { amount: chargeFor(offer.pricing, {}, currency).amount, quantity: null };
  }
  // No more than the listing holds: 1,000 hours of a 12.5-hour corpus was charged and delivered
  // the same files as one hour.
  const volume = offer.meteredVolume ?? null;
  const whole = offer.defaultQuantity ?? null;
  // A line is a share of the offer's whole, and delivery measures that share in bytes. With no
  // whole (the listing declares none of the unit, as a speech corpus declares no images), one
  // unit at 5 fen was granted every file. Per GiB is counted at download and needs no whole.
  if (whole === null && offer.pricing.unit !== 'gib') {
    throw new ServiceException(
      OrderingErrorCode.OFFER_NOT_ORDERABLE,
      `Offer ${offer.id} is sold per ${offer.pricing.unit}, but its listing declares no volume in that unit, so no part of it can be measured at download: it cannot be ordered. The vendor declares the volume and makes a new offer, or sells per gib.`,
    );
  }
  if (quantity === undefined) {
    // What the offer fixed when it was made (lowered by any edit since), never more. Per GiB
    // there is none: the item gives its quantity.
    const sold = `offer ${offer.id} is sold per ${offer.pricing.unit}`;
    if (whole === null) throw bad(`quantity is required: ${sold} and states no volume in that unit to buy whole`);
    if (whole > MAX_METERED_QUANTITY) throw bad(`quantity is required: ${sold} and its whole volume is ${whole}, more than the ${MAX_METERED_QUANTITY} one item may buy`);
    quantity = whole;
  }
  if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_METERED_QUANTITY) {
    throw bad(`quantity must be a whole number from 1 to ${MAX_METERED_QUANTITY}`);
  }
  if (volume !== null && quantity > volume) {
    throw bad(`quantity must be at most ${volume}: the listing's declared volume in units of ${offer.pricing.unit}, rounded up to whole units (offer ${offer.id})`);
  }
  // Nor more than the whole the offer sells, of which the line is a share (`whole_quantity`):
  // once the listing had declared 5 hours and then 10 again, 6 hours of an offer whose whole is
  // 5 were charged as 6 and delivered what 5 buy.
  if (whole !== null && quantity > whole) {
    throw bad(`quantity must be at most ${whole}: the whole volume offer ${offer.id} sells (its defaultQuantity), lowered by an edit of the listing since the offer was made; a new offer sells what the listing declares now`);
  }
  try {
    return { amount: chargeFor(offer.pricing, { units: quantity }, currency).amount, quantity };
  } catch (error) {
    if (error instanceof MoneyError) throw bad(`${quantity} ${offer.pricing.unit} at this unit price is beyond the largest amount Trove handles`);
    throw error;
  }
}

/**
 * The order's id, from the buyer, the command's idempotency key and the request: a retry of a
 * command that did not commit makes the same order, so what it asked other services for (an
 * exclusive sale) is found again instead of left behind; another request under the same key
 * (refused once the first commits) makes another order id, so what it reserves and gives back
 * is its own.
 */
export function orderIdFor(buyer: Caller, idempotencyKey: string | undefined, request: PlaceOrderRequest): string {
  if (!idempotencyKey) return randomUUID();
  return nameBasedUuid(ORDER_ID_NAMESPACE, `ordering.order.place|${buyer.organizationId}|${idempotencyKey}|${readRequestHash(request, request)}`);
}

/** The namespace of order ids made from a command (RFC 9562 name-based UUIDs). */
const ORDER_ID_NAMESPACE = '99008072-6013-4089-83dd-6dafd8c25da9';

/**
 * A version 5 UUID (RFC 9562, 5.5: SHA-1 of the namespace's bytes and the name): a version
 * every UUID validator knows, where a version 8 one was refused by clients' older validators.
 */
export function nameBasedUuid(namespace: string, name: string): string {
  const bytes = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
