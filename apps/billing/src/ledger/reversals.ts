import { Injectable } from '@nestjs/common';
import type { InvoiceLineView } from '@trove/contracts';
import type { Transaction } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { InvoiceRepository, type CreditableInvoice } from '../invoices/invoice.repository';
import { InvoicesService } from '../invoices/invoices.service';
import { SubscriptionRepository } from '../subscriptions/subscription.repository';
import { LedgerRepository, type PostingLine, type StoredPosting } from './ledger.repository';

/**
 * The rules of a refund, without I/O: what a refund gives back and how a charge is turned around.
 * (Injectable so that the ledger's property test can show that a wrong reversal is caught.)
 */
@Injectable()
export class Reversals {
  /**
   * The reversing entry of a charge: every posting again with its sign turned, on the same
   * accounts, so each account is back where it was and the charge itself is never edited.
   */
  reverse(postings: readonly StoredPosting[]): PostingLine[] {
    return postings.map((p) => ({ accountId: p.accountId, amount: -p.amount }));
  }

  /**
   * What a refund of an order gives back: every charge billed on the order that no credit note
   * cancels yet (the purchase, and each renewal of its subscriptions). A refund ends the order:
   * the entitlement is revoked and the subscription stops, so the buyer keeps paying for nothing.
   */
  toGiveBack(invoices: readonly CreditableInvoice[]): CreditableInvoice[] {
    return [...invoices];
  }

  /** A credit note's lines: the invoice's lines (what they sold, `item`, as it was), every amount turned around. */
  creditLines(lines: readonly InvoiceLineView[]): InvoiceLineView[] {
    const turned = (m: InvoiceLineView['net']) => ({ amount: -m.amount, currency: m.currency });
    return lines.map((l) => ({ ...l, net: turned(l.net), tax: turned(l.tax), gross: turned(l.gross) }));
  }
}

/**
 * The refund of an order in the ledger: for each charge billed on it (the purchase and each
 * renewal), a reversing entry and, with it, a credit note (红字发票) that cancels the charge's
 * invoice; the order's subscriptions end. All in the caller's transaction, so the money, the
 * credit notes and the refund's event commit together or not at all; the database allows one
 * reversal per entry and one credit note per invoice, so nothing is given back twice.
 */
@Injectable()
export class OrderReversals {
  constructor(
    private readonly ledger: LedgerRepository,
    private readonly invoices: InvoiceRepository,
    private readonly invoicing: InvoicesService,
    private readonly subscriptions: SubscriptionRepository,
    private readonly reversals: Reversals,
  ) {}

  /**
   * Reverses everything billed on the order and ends its subscriptions; returns the id of the
   * entry that reverses `chargeEntryId` (the order's purchase). Call inside a unit of work,
   * holding the order's payment row.
   */
  async reverseOrder(tx: Transaction, orderId: string, chargeEntryId: string, now: Date): Promise<string> {
    // A renewal in flight holds its subscription's row: waiting for it here means its charge is
    // seen below and given back too; a renewal that comes after finds the subscription ended.
    await this.subscriptions.lockOrder(orderId);
    const charges = this.reversals.toGiveBack(await this.invoices.creditable(orderId));
    const postings = new Map<string, StoredPosting[]>();
    for (const charge of charges) postings.set(charge.entryId, await this.ledger.postingsOf(charge.entryId));
    // Refunds and payouts of a vendor queue on its payable account (in one order, so two refunds never deadlock).
    const vendors = new Set([...postings.values()].flat().filter((p) => p.type === 'vendor_payable').map((p) => p.accountId));
    for (const accountId of [...vendors].sort()) await this.ledger.lockAccount(accountId);

    let chargeRefundId: string | null = null;
    for (const charge of charges) {
      const refundId = await this.ledger.post({
        kind: 'refund',
        currency: charge.currency,
        amount: charge.entryAmount,
        orderId,
        reversesEntryId: charge.entryId,
        postings: this.reversals.reverse(postings.get(charge.entryId) ?? []),
      });
      await this.invoices.insertCreditNote({
        id: randomUUID(),
        entryId: refundId,
        invoiceId: charge.id,
        orderId,
        buyerOrganizationId: charge.buyerOrganizationId,
        currency: charge.currency,
        net: -charge.net,
        tax: -charge.tax,
        gross: -charge.gross,
        taxRateBp: charge.taxRateBp,
        lines: this.reversals.creditLines(charge.lines),
        issuedAt: now,
      });
      if (charge.entryId === chargeEntryId) chargeRefundId = refundId;
    }
    if (!chargeRefundId) throw new Error(`order ${orderId}: its charge ${chargeEntryId} has no invoice left to credit; nothing was reversed`);
    await this.subscriptions.cancelOrder(orderId);
    tx.afterCommit(() => this.invoicing.kick());
    return chargeRefundId;
  }
}
