import { BillingErrorCode, BillingEvents } from '@trove/contracts';
import { Injectable, Logger } from '@nestjs/common';
import type { CurrencyCode } from '@trove/licensing';
import { UnitOfWork, type Transaction } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { BillingConfig } from '../billing.config';
import { Clock } from '../clock';
import { InvoiceRepository } from '../invoices/invoice.repository';
import { InvoicesService } from '../invoices/invoices.service';
import { splitCharge, type ChargeLine } from '../ledger/charge';
import { LedgerRepository, type EntryKind } from '../ledger/ledger.repository';
import { OrderReversals } from '../ledger/reversals';
import { firstPeriod, SubscriptionRepository } from '../subscriptions/subscription.repository';
import { WriteBatch } from '../write-batch';
import { PaymentRepository, type Payment } from './payment.repository';

/** An order line as billing charges it: the offer's price, and its pricing for subscriptions. */
export interface OrderLineToCharge extends ChargeLine {
  pricing: { model: string; period?: string };
  /** The license's term in months (null: perpetual; absent: not told, as in older events). */
  termMonths?: number | null;
  /** An exclusive line's: when its term began (the order's placement); absent, the first charge. */
  termStartsAt?: string;
}

/** What `order.placed` tells billing. */
export interface OrderToCharge {
  orderId: string;
  buyerOrganizationId: string;
  lines: OrderLineToCharge[];
  placedAt?: string;
}

export type ChargeOutcome = { outcome: 'captured'; paymentId: string } | { outcome: 'declined'; reason: 'INSUFFICIENT_FUNDS' };

/** The result of posting a charge: the entry, or why nothing was posted. */
export type Posted = { entryId: string } | { declined: true };

/**
 * Charges and refunds. A charge is one journal entry: the buyer's wallet is debited the total,
 * each vendor's payable credited its price minus commission, tax payable the VAT and platform
 * revenue the rest. Only the buyer's wallet row is locked; the platform's accounts have no
 * balance row, so purchases of different buyers never wait for each other.
 */
@Injectable()
export class PaymentsService {
  private readonly logger = new Logger('Payments');

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly ledger: LedgerRepository,
    private readonly payments: PaymentRepository,
    private readonly invoices: InvoiceRepository,
    private readonly invoicing: InvoicesService,
    private readonly subscriptions: SubscriptionRepository,
    private readonly orderReversals: OrderReversals,
    private readonly config: BillingConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Charges the order once: a repeated `order.placed` (a redelivery, or ordering's sweep
   * re-driving the order) gets the first answer again, even if the wallet changed meanwhile.
   */
  charge(order: OrderToCharge): Promise<ChargeOutcome> {
    return this.unitOfWork.run(async (tx) => {
      const currency = order.lines[0]?.price.currency ?? null;
      // One statement locks the order's answer, if any, and the buyer's wallet.
      const { payment: known, wallet } = await this.payments.findForUpdateWithWallet(order.orderId, order.buyerOrganizationId, currency);
      if (known) return this.answerAgain(tx, known);
      if (!currency || order.lines.some((l) => l.price.currency !== currency)) {
        throw new Error(`order ${order.orderId} has no lines or mixes currencies; ordering never places such an order`);
      }
      const now = this.clock.now();
      const total = order.lines.reduce((sum, l) => sum + l.price.amount, 0);
      // The entry, its postings, the invoice, the answer and the subscriptions: one more statement.
      const batch = new WriteBatch();
      const lines = order.lines.map((line) => withServicePeriod(line, now));
      const posted = await this.postChargeInto(batch, tx, 'charge', order.orderId, order.buyerOrganizationId, lines, now, wallet);
      if ('declined' in posted) {
        await this.payments.insert({ orderId: order.orderId, buyerOrganizationId: order.buyerOrganizationId, status: 'declined', amount: total, currency, entryId: null }, now);
        await tx.publish(BillingEvents.paymentDeclined, { orderId: order.orderId, reason: 'INSUFFICIENT_FUNDS' });
        return { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' } as const;
      }
      this.payments.insertInto(
        batch,
        { orderId: order.orderId, buyerOrganizationId: order.buyerOrganizationId, status: 'captured', amount: total, currency, entryId: posted.entryId },
        now,
      );
      const subscribed = order.lines.filter((line) => line.pricing.model === 'subscription' && line.pricing.period);
      this.subscriptions.insertInto(
        batch,
        order,
        subscribed.map((line) => ({ ...line, period: line.pricing.period! })),
        now,
      );
      await this.ledger.write(batch);
      await tx.publish(BillingEvents.paymentCaptured, {
        orderId: order.orderId,
        paymentId: posted.entryId,
        amount: { amount: total, currency },
        capturedAt: now.toISOString(),
      });
      return { outcome: 'captured', paymentId: posted.entryId } as const;
    });
  }

  /**
   * Posts a purchase (an order, or a subscription's next period) and issues its invoice, or
   * posts nothing when the wallet cannot cover it. Call inside a unit of work.
   */
  async postCharge(tx: Transaction, kind: Extract<EntryKind, 'charge' | 'renewal'>, orderId: string, buyer: string, lines: ChargeLine[], now: Date): Promise<Posted> {
    const split = splitCharge(lines, this.config.COMMISSION_BP, this.config.VAT_BP);
    const wallet = await this.ledger.lockWalletOf(buyer, split.currency);
    const batch = new WriteBatch();
    const posted = await this.postChargeInto(batch, tx, kind, orderId, buyer, lines, now, wallet);
    if (!('declined' in posted)) await this.ledger.write(batch);
    return posted;
  }

  /**
   * Adds a purchase's entry and invoice to `batch` for the caller to write, or declines when the
   * wallet (its balance row locked by the caller: the one lock a purchase takes, so one buyer's
   * charges queue, nobody else's) cannot cover it. The accounts the entry posts to are known
   * once committed, so a purchase usually sends no statement here.
   */
  private async postChargeInto(
    batch: WriteBatch,
    tx: Transaction,
    kind: Extract<EntryKind, 'charge' | 'renewal'>,
    orderId: string,
    buyer: string,
    lines: ChargeLine[],
    now: Date,
    wallet: { id: string; balance: number } | null,
  ): Promise<Posted> {
    const split = splitCharge(lines, this.config.COMMISSION_BP, this.config.VAT_BP);
    if (!wallet || wallet.balance < split.gross) return { declined: true };
    const vendorPostings = [];
    for (const [vendor, amount] of [...split.vendors].sort(([a], [b]) => a.localeCompare(b))) {
      vendorPostings.push({ accountId: await this.ledger.account('vendor_payable', vendor, split.currency), amount: -amount });
    }
    const taxAccount = await this.ledger.account('tax_payable', null, split.currency);
    const revenueAccount = await this.ledger.account('platform_revenue', null, split.currency);
    const entryId = this.ledger.postInto(batch, {
      kind,
      currency: split.currency,
      amount: split.gross,
      orderId,
      postings: [{ accountId: wallet.id, amount: split.gross }, ...vendorPostings, { accountId: taxAccount, amount: -split.tax }, { accountId: revenueAccount, amount: -split.revenue }],
    });
    this.invoices.insertInto(batch, {
      id: randomUUID(),
      entryId,
      orderId,
      buyerOrganizationId: buyer,
      currency: split.currency,
      net: split.net,
      tax: split.tax,
      gross: split.gross,
      taxRateBp: this.config.VAT_BP,
      lines: split.invoiceLines,
      issuedAt: now,
    });
    tx.afterCommit(() => this.invoicing.kick());
    return { entryId };
  }

  /**
   * Reverses the order's charge with a new entry (the charge is never edited), cancels its
   * subscriptions, and tells ordering. A second request for the same order answers again and
   * posts nothing; an order never charged is ORDER_NOT_PAID.
   */
  async refund(orderId: string): Promise<{ refundId: string }> {
    const refunded = await this.refundIfPaid(orderId);
    if (!refunded) throw new ServiceException(BillingErrorCode.ORDER_NOT_PAID, `Order ${orderId} was never paid; there is nothing to refund.`);
    return refunded;
  }

  /** The refund, or null (and nothing posted) when billing never charged the order. */
  refundIfPaid(orderId: string): Promise<{ refundId: string } | null> {
    return this.unitOfWork.run(async (tx) => {
      const payment = await this.payments.findForUpdate(orderId);
      if (!payment || payment.status === 'declined' || !payment.entryId) return null;
      if (payment.status === 'refunded' && payment.refundEntryId) {
        await tx.publish(BillingEvents.paymentRefunded, { orderId, refundId: payment.refundEntryId });
        return { refundId: payment.refundEntryId };
      }
      const now = this.clock.now();
      // The charge and each renewal reversed, each with its credit note; the subscriptions end.
      const refundId = await this.orderReversals.reverseOrder(tx, orderId, payment.entryId, now);
      await this.payments.markRefunded(orderId, refundId, now);
      await tx.publish(BillingEvents.paymentRefunded, { orderId, refundId });
      return { refundId };
    });
  }

  private async answerAgain(tx: Transaction, payment: Payment): Promise<ChargeOutcome> {
    if (payment.status === 'declined' || !payment.entryId) {
      await tx.publish(BillingEvents.paymentDeclined, { orderId: payment.orderId, reason: 'INSUFFICIENT_FUNDS' });
      return { outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' };
    }
    await tx.publish(BillingEvents.paymentCaptured, {
      orderId: payment.orderId,
      paymentId: payment.entryId,
      amount: { amount: payment.amount, currency: payment.currency as CurrencyCode },
      capturedAt: payment.createdAt.toISOString(),
    });
    return { outcome: 'captured', paymentId: payment.entryId };
  }
}

/**
 * A subscription line's invoice item with the period its first charge pays for (`firstPeriod`,
 * the period the subscription row keeps): a buyer's accounts payable books each invoice against
 * the months it covers, and a renewal's invoice says its own period the same way. Other lines
 * are returned as they are.
 */
function withServicePeriod(line: OrderLineToCharge, chargedAt: Date): OrderLineToCharge {
  const period = line.pricing.period;
  if (line.pricing.model !== 'subscription' || !period || !line.item) return line;
  const first = firstPeriod({ ...line, period }, chargedAt);
  return { ...line, item: { ...line.item, periodStart: first.start.toISOString(), periodEnd: first.end.toISOString() } };
}
