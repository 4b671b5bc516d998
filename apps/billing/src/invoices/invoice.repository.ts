import type { InvoiceLineView, InvoiceView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { CurrencyCode } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import { amountOf } from '../ledger/ledger.repository';

export interface NewInvoice {
  id: string;
  entryId: string;
  orderId: string;
  buyerOrganizationId: string;
  currency: CurrencyCode;
  net: number;
  tax: number;
  gross: number;
  taxRateBp: number;
  lines: InvoiceLineView[];
  issuedAt: Date;
}

interface InvoiceRow {
  id: string;
  order_id: string;
  buyer_organization_id: string;
  currency: CurrencyCode;
  net: string;
  tax: string;
  gross: string;
  tax_rate_bp: number;
  lines: InvoiceLineView[];
  issued_at: Date;
  year: number;
  number: number | null;
}

/** Invoice numbers are `<year>-<six digits>`; the year is the calendar year in China (UTC+8). */
export function invoiceNumber(year: number, number: number): string {
  return `${year}-${String(number).padStart(6, '0')}`;
}

function toView(row: InvoiceRow): InvoiceView {
  const money = (amount: string) => ({ amount: amountOf(amount), currency: row.currency });
  return {
    id: row.id,
    number: row.number === null ? null : invoiceNumber(row.year, row.number),
    orderId: row.order_id,
    buyerOrganizationId: row.buyer_organization_id,
    lines: row.lines,
    net: money(row.net),
    tax: money(row.tax),
    gross: money(row.gross),
    taxRateBp: row.tax_rate_bp,
    issuedAt: new Date(row.issued_at).toISOString(),
  };
}

const COLUMNS = `id, order_id, buyer_organization_id, currency, net, tax, gross, tax_rate_bp, lines, issued_at, year, number`;

@Injectable()
export class InvoiceRepository extends TransactionalRepository {
  async insert(invoice: NewInvoice): Promise<void> {
    await this.transaction.query(
      `INSERT INTO invoice (id, entry_id, order_id, buyer_organization_id, currency, net, tax, gross, tax_rate_bp, lines, issued_at, year)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, extract(year FROM $11::timestamptz AT TIME ZONE 'Asia/Shanghai'))`,
      [
        invoice.id,
        invoice.entryId,
        invoice.orderId,
        invoice.buyerOrganizationId,
        invoice.currency,
        invoice.net,
        invoice.tax,
        invoice.gross,
        invoice.taxRateBp,
        JSON.stringify(invoice.lines),
        invoice.issuedAt,
      ],
    );
  }

  /**
   * Numbers every invoice that has none, in the order they were written, gapless per year. One
   * numbering at a time (a transaction advisory lock), off the purchase path: a charge only
   * inserts its invoice, it never waits for the counter.
   */
  async numberPending(limit = 1000): Promise<number> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtext('billing.invoice-numbering'))`);
    const pending = (await this.transaction.query(`SELECT id, year FROM invoice WHERE number IS NULL ORDER BY seq LIMIT $1`, [limit])) as { id: string; year: number }[];
    const byYear = new Map<number, string[]>();
    for (const row of pending) byYear.set(row.year, [...(byYear.get(row.year) ?? []), row.id]);
    for (const [year, ids] of byYear) {
      const counter = (await this.transaction.query(
        `INSERT INTO invoice_counter (year, last) VALUES ($1, $2) ON CONFLICT (year) DO UPDATE SET last = invoice_counter.last + $2 RETURNING last`,
        [year, ids.length],
      )) as { last: number }[];
      const first = counter[0].last - ids.length + 1;
      await this.transaction.query(
        `UPDATE invoice i SET number = $2 + n.ord - 1 FROM unnest($1::uuid[]) WITH ORDINALITY AS n(id, ord) WHERE i.id = n.id`,
        [ids, first],
      );
    }
    return pending.length;
  }

  async findById(id: string): Promise<InvoiceView | null> {
    const rows = (await this.manager.query(`SELECT ${COLUMNS} FROM invoice WHERE id = $1`, [id])) as InvoiceRow[];
    return rows[0] ? toView(rows[0]) : null;
  }

  async findByOrder(orderId: string): Promise<InvoiceView[]> {
    const rows = (await this.manager.query(`SELECT ${COLUMNS} FROM invoice WHERE order_id = $1 ORDER BY seq`, [orderId])) as InvoiceRow[];
    return rows.map(toView);
  }

  /** Newest first; `buyer` null for operators (every invoice). */
  async list(buyer: string | null, limit: number, after?: { at: Date; id: string }): Promise<InvoiceView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (buyer) {
      params.push(buyer);
      where.push(`buyer_organization_id = $${params.length}`);
    }
    if (after) {
      params.push(after.at, after.id);
      where.push(`(issued_at, id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    const rows = (await this.manager.query(
      `SELECT ${COLUMNS} FROM invoice ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY issued_at DESC, id DESC LIMIT $${params.length}`,
      params,
    )) as InvoiceRow[];
    return rows.map(toView);
  }

  async countUnnumbered(): Promise<number> {
    const rows = (await this.manager.query(`SELECT count(*) AS n FROM invoice WHERE number IS NULL`)) as { n: string }[];
    return Number(rows[0].n);
  }
}
