import { Injectable } from '@nestjs/common';
import type { CurrencyCode } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import { amountOf } from '../ledger/ledger.repository';

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
    const rows = (await this.transaction.query(`SELECT * FROM payment WHERE order_id = $1 FOR UPDATE`, [orderId])) as PaymentRow[];
    return rows[0] ? toPayment(rows[0]) : null;
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
