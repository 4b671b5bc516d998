import { Injectable } from '@nestjs/common';
import type { CurrencyCode } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import { amountOf, WALLET_BALANCE_TO_SPEND } from '../ledger/ledger.repository';
import type { WriteBatch } from '../write-batch';

export type PaymentStatus = 'captured' | 'declined' | 'refunded';

export interface Payment {
  orderId: string;
  buyerOrganizationId: string;
  status: PaymentStatus;
  amount: number;
  currency: CurrencyCode;
  entryId: string | null;
  refundEntryId: string | null;
  createdAt: Date;
}

interface PaymentRow {
  order_id: string;
  buyer_organization_id: string;
  status: PaymentStatus;
  amount: string;
  currency: CurrencyCode;
  entry_id: string | null;
  refund_entry_id: string | null;
  created_at: Date;
}

/** What a payment row holds, named: a statement listing its columns is prepared once per connection (`PreparingClient`). */
const PAYMENT_COLUMNS = 'order_id, buyer_organization_id, status, amount, currency, entry_id, refund_entry_id, created_at';

function toPayment(row: PaymentRow): Payment {
  return {
    orderId: row.order_id,
    buyerOrganizationId: row.buyer_organization_id,
    status: row.status,
    amount: amountOf(row.amount),
    currency: row.currency,
    entryId: row.entry_id,
    refundEntryId: row.refund_entry_id,
    createdAt: new Date(row.created_at),
  };
}

/** Billing's answer per order, kept so that a repeated `order.placed` gets the same answer again. */
@Injectable()
export class PaymentRepository extends TransactionalRepository {
  async findForUpdate(orderId: string): Promise<Payment | null> {
    const rows = (await this.transaction.query(`SELECT ${PAYMENT_COLUMNS} FROM payment WHERE order_id = $1 FOR UPDATE`, [orderId])) as PaymentRow[];
    return rows[0] ? toPayment(rows[0]) : null;
  }

  /**
   * The purchase's first statement: locks the order's answer if there is one and the buyer's
   * wallet balance row (null when the buyer has no wallet in `currency`), and reads both. The
   * payment row is locked before the wallet's, as a refund does.
   */
  async findForUpdateWithWallet(
    orderId: string,
    buyerOrganizationId: string,
    currency: string | null,
  ): Promise<{ payment: Payment | null; wallet: { id: string; balance: number } | null }> {
    const rows = (await this.transaction.query(
      `WITH known AS (
         SELECT ${PAYMENT_COLUMNS} FROM payment WHERE order_id = $1 FOR UPDATE
       ), wallet AS (
         SELECT w.account_id, ${WALLET_BALANCE_TO_SPEND} AS balance FROM account a JOIN wallet_balance w ON w.account_id = a.id
          WHERE a.type = 'wallet' AND a.organization_id = $2 AND a.currency = $3
            FOR UPDATE OF w
       )
       SELECT (SELECT to_jsonb(known) FROM known) AS payment, wallet.account_id AS wallet_id, wallet.balance AS wallet_balance
         FROM (VALUES (1)) one LEFT JOIN wallet ON true`,
      [orderId, buyerOrganizationId, currency],
    )) as { payment: (Omit<PaymentRow, 'created_at' | 'amount'> & { created_at: string; amount: string | number }) | null; wallet_id: string | null; wallet_balance: string | null }[];
    const row = rows[0];
    return {
      payment: row?.payment ? toPayment({ ...row.payment, amount: String(row.payment.amount), created_at: new Date(row.payment.created_at) }) : null,
      wallet: row?.wallet_id ? { id: row.wallet_id, balance: amountOf(row.wallet_balance) } : null,
    };
  }

  /** Adds the order's answer to a batch written with the charge's entry (see `WriteBatch`). */
  insertInto(batch: WriteBatch, payment: Omit<Payment, 'createdAt' | 'refundEntryId'>, at: Date): void {
    const values = [payment.orderId, payment.buyerOrganizationId, payment.status, payment.amount, payment.currency, payment.entryId, at].map((v) => batch.param(v));
    batch.add(`INSERT INTO payment (order_id, buyer_organization_id, status, amount, currency, entry_id, created_at) VALUES (${values.join(', ')})`);
  }

  async insert(payment: Omit<Payment, 'createdAt' | 'refundEntryId'>, at: Date): Promise<void> {
    await this.transaction.query(
      `INSERT INTO payment (order_id, buyer_organization_id, status, amount, currency, entry_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [payment.orderId, payment.buyerOrganizationId, payment.status, payment.amount, payment.currency, payment.entryId, at],
    );
  }

  async markRefunded(orderId: string, refundEntryId: string, at: Date): Promise<void> {
    await this.transaction.query(`UPDATE payment SET status = 'refunded', refund_entry_id = $2, refunded_at = $3 WHERE order_id = $1`, [orderId, refundEntryId, at]);
  }
}
