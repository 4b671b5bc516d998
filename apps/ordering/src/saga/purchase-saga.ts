import {
  BillingEvents,
  DeliveryEvents,
  OrderingEvents,
  type EntitlementGrantedV1,
  type PaymentCapturedV1,
  type PaymentDeclinedV1,
  type PaymentRefundedV1,
  type SubscriptionLapsedV1,
  type SubscriptionRenewedV1,
} from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import { EventHandler, occurredAt, type EventContext } from '@trove/messaging';
import { endExclusive } from '../orders/exclusive-end';
import type { Order, OrderLine, Renewal } from '../orders/order.entity';
import { OrderRepository } from '../orders/order.repository';

/**
 * The purchase saga's ordering steps: billing's answer moves a placed order to paid (and asks
 * delivery for the entitlements) or to cancelled; delivery's grant fulfils it; billing's
 * reversal ends a refund; a subscription's lapse frees the exclusive sale it held. Each step is
 * one transaction with its inbox row, so a redelivered event changes nothing; an event that does
 * not fit the order's state is logged and dropped.
 *
 * No step asks another service anything: what the catalog must do (release an exclusive sale)
 * goes out as an event written in the step's own transaction (`order.exclusive-ended`), so a
 * step commits whether or not the catalog is up, and the release reaches it when it is.
 */
@Injectable()
export class PurchaseSaga {
  private readonly logger = new Logger('PurchaseSaga');

  constructor(private readonly orders: OrderRepository) {}

  @EventHandler(BillingEvents.paymentCaptured, { consumer: 'order-payments' })
  async captured(payment: PaymentCapturedV1, { tx }: EventContext<PaymentCapturedV1>): Promise<void> {
    const locked = await this.lockWithLines(payment.orderId);
    if (!locked || !this.expect(locked.order, 'pending_payment', 'payment.captured')) return;
    const { order, lines } = locked;
    order.moveTo('paid');
    order.paymentId = payment.paymentId;
    const renewals = await this.renewals(order, lines);
    order.awaitingEventId = await tx.publish(OrderingEvents.orderPaid, order.paidEvent(lines, renewals));
    await this.orders.save(order);
    await this.orders.recordRenewals(order.id, renewals);
    // The first period of each subscription line runs from this charge (the vendor's sales say until when).
    const ends = new Map<string, Date>();
    for (const line of lines) {
      const end = line.firstPeriodEnd(new Date(payment.capturedAt));
      if (end) ends.set(line.id, end);
    }
    await this.orders.recordFirstPeriods(order.id, ends);
  }

  @EventHandler(BillingEvents.paymentDeclined, { consumer: 'order-payments' })
  async declined(decline: PaymentDeclinedV1, { tx }: EventContext<PaymentDeclinedV1>): Promise<void> {
    const locked = await this.lockWithLines(decline.orderId);
    if (!locked || !this.expect(locked.order, 'pending_payment', 'payment.declined')) return;
    const { order, lines } = locked;
    order.moveTo('cancelled');
    order.cancellationReason = decline.reason;
    order.awaitingEventId = null;
    await tx.publish(OrderingEvents.orderCancelled, { orderId: order.id, reason: decline.reason });
    await endExclusive(tx, order.id, lines, 'cancelled');
    await this.orders.save(order);
  }

  @EventHandler(BillingEvents.paymentRefunded, { consumer: 'order-payments' })
  async refunded(refund: PaymentRefundedV1, { tx }: EventContext<PaymentRefundedV1>): Promise<void> {
    const locked = await this.lockWithLines(refund.orderId);
    if (!locked || !this.expect(locked.order, 'refund_pending', 'payment.refunded')) return;
    const { order, lines } = locked;
    order.moveTo('refunded');
    order.awaitingEventId = null;
    await tx.publish(OrderingEvents.orderRefunded, { orderId: order.id });
    await endExclusive(tx, order.id, lines, 'refunded');
    await this.orders.save(order);
  }

  @EventHandler(DeliveryEvents.entitlementGranted, { consumer: 'order-deliveries' })
  async granted(grant: EntitlementGrantedV1): Promise<void> {
    const order = await this.lock(grant.orderId);
    if (!order) return;
    order.entitlementIds = [...new Set([...order.entitlementIds, ...grant.entitlementIds])];
    if (order.status === 'paid') {
      order.moveTo('fulfilled');
      order.awaitingEventId = null;
    } else {
      // A refund overtook the grant: the ids are kept, delivery revokes them on order.refunded.
      this.logger.warn(`entitlements granted for order ${order.id}, which is ${order.status}: recorded, status unchanged`);
    }
    await this.orders.save(order);
  }

  /**
   * A subscription that lapsed (its buyer cancelled it, the wallet could not pay the next period,
   * its listing or a party was suspended) holds no license from then on: an exclusive one stops
   * blocking other buyers of its territory, as a cancelled or refunded order's does. Without
   * this, one month paid held a 24-month exclusive for the whole term. The order keeps its
   * status: it was fulfilled, and the months paid were delivered.
   */
  @EventHandler(BillingEvents.subscriptionLapsed, { consumer: 'subscription-lapses' })
  async lapsed(lapse: SubscriptionLapsedV1, { tx, event }: EventContext<SubscriptionLapsedV1>): Promise<void> {
    const locked = await this.lockWithLines(lapse.orderId);
    if (!locked) return;
    // The vendor's sale shows it lapsed, and since when (billing's commit of the lapse).
    if (!(await this.orders.recordLapse(lapse.orderId, lapse.lineId, occurredAt(event)))) {
      this.logger.warn(`subscription.lapsed for line ${lapse.lineId} of order ${lapse.orderId}, which has no such subscription line: ignored`);
      return;
    }
    const line = locked.lines.find((l) => l.id === lapse.lineId && l.exclusive);
    if (!line) return;
    await endExclusive(tx, lapse.orderId, [line], 'lapsed');
    this.logger.log(`subscription of order ${lapse.orderId} lapsed: its exclusive sale goes back to the catalog`);
  }

  /**
   * Billing charged a subscription line's next period: the vendor's sale counts it, adds what it
   * charged, and is paid up to its end. On the lapses' consumer, so one order's renewals and its
   * lapse are applied once each and in billing's order; an end older than the one recorded moves
   * nothing back. A renewal published before billing named its amount counts the line's price.
   */
  @EventHandler(BillingEvents.subscriptionRenewed, { consumer: 'subscription-lapses' })
  async renewed(renewal: SubscriptionRenewedV1): Promise<void> {
    const applied = await this.orders.recordRenewal(renewal.orderId, renewal.lineId, new Date(renewal.periodEnd), renewal.amount?.amount ?? null);
    if (!applied) this.logger.warn(`subscription.renewed for line ${renewal.lineId} of order ${renewal.orderId}, which has no such subscription line: ignored`);
  }

  private async lock(orderId: string): Promise<Order | null> {
    const order = await this.orders.findForUpdate(orderId);
    if (!order) this.logger.warn(`event for unknown order ${orderId}: ignored`);
    return order;
  }

  /**
   * A license with a term that its buyer has paid for already, and whose terms run on past this
   * payment, is renewed: the new term starts when the last of them ends, so it adds its months
   * after them instead of running alongside and adding none. Each offer is locked for the buyer
   * (by offer id, as placements lock them), so two payments of one license take turns and the
   * second starts where the first ends. Each renewal ends at its run's start plus the run's months
   * (Renewal). Returns the term of each renewed line.
   */
  private async renewals(order: Order, lines: OrderLine[]): Promise<Map<string, Renewal>> {
    const renewals = new Map<string, Renewal>();
    const renewing = lines.filter((line) => line.renews).sort((a, b) => (a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0));
    for (const line of renewing) {
      await this.orders.lockHolding(order.buyerOrganizationId, line.offerId);
      const paid = await this.orders.latestPaidTerm(order.buyerOrganizationId, line.offerId, line.termsSha256, order.id);
      if (paid && paid.endsAt > order.paidAt!) {
        renewals.set(line.id, { startsAt: paid.endsAt, anchorAt: paid.anchorAt, anchorMonths: paid.anchorMonths + line.terms.termMonths! });
      }
    }
    return renewals;
  }

  /** Locks the order and reads its lines in the same statement. */
  private async lockWithLines(orderId: string): Promise<{ order: Order; lines: OrderLine[] } | null> {
    const locked = await this.orders.findForUpdateWithLines(orderId);
    if (!locked) this.logger.warn(`event for unknown order ${orderId}: ignored`);
    return locked;
  }

  private expect(order: Order, status: Order['status'], what: string): boolean {
    if (order.status === status) return true;
    this.logger.warn(`${what} for order ${order.id}, which is ${order.status}: ignored`);
    return false;
  }
}
