import type { InvoiceKind, InvoiceLineView, InvoiceView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { CurrencyCode } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import { amountOf } from '../ledger/ledger.repository';
import type { WriteBatch } from '../write-batch';

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

/** A credit note to write: the mirror of `invoiceId`, issued with the refund entry `entryId`. */
export interface NewCreditNote extends NewInvoice {
  invoiceId: string;
}

/** An invoice of an order that no credit note cancels yet, with the journal entry it documents. */
export interface CreditableInvoice extends Omit<NewInvoice, 'issuedAt'> {
  /** The entry's amount: the money a refund gives back for it. */
  entryAmount: number;
}

interface DocumentRow {
  kind: InvoiceKind;
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
  credits_invoice_id: string | null;
  credits_year: number | null;
  credits_number: number | null;
  credit_note_id: string | null;
}

/** Invoice numbers are `<year>-<six digits>`; the year is the calendar year in China (UTC+8). */
export function invoiceNumber(year: number, number: number): string {
  return `${year}-${String(number).padStart(6, '0')}`;
}

/** Credit notes have a series of their own: `CN-<year>-<six digits>`, gapless per year. */
export function creditNoteNumber(year: number, number: number): string {
  return `CN-${invoiceNumber(year, number)}`;
}

function toView(row: DocumentRow): InvoiceView {
  const money = (amount: string) => ({ amount: amountOf(amount), currency: row.currency });
  const numbered = row.kind === 'invoice' ? invoiceNumber : creditNoteNumber;
  return {
    id: row.id,
    kind: row.kind,
    number: row.number === null ? null : numbered(row.year, row.number),
    orderId: row.order_id,
    buyerOrganizationId: row.buyer_organization_id,
    lines: row.lines,
    net: money(row.net),
    tax: money(row.tax),
    gross: money(row.gross),
    taxRateBp: row.tax_rate_bp,
    issuedAt: new Date(row.issued_at).toISOString(),
    creditsInvoice: row.credits_year === null || row.credits_number === null ? null : invoiceNumber(row.credits_year, row.credits_number),
    creditsInvoiceId: row.credits_invoice_id,
    creditNoteId: row.credit_note_id,
  };
}

/** Invoices and credit notes as one list of documents, each credit note with the invoice it cancels. */
const DOCUMENTS = `(
  SELECT 'invoice' AS kind, i.id, i.order_id, i.buyer_organization_id, i.currency, i.net, i.tax, i.gross, i.tax_rate_bp, i.lines, i.issued_at,
         i.year, i.number, NULL::uuid AS credits_invoice_id, NULL::integer AS credits_year, NULL::integer AS credits_number, c.id AS credit_note_id
    FROM invoice i LEFT JOIN credit_note c ON c.invoice_id = i.id
  UNION ALL
  SELECT 'credit_note', c.id, c.order_id, c.buyer_organization_id, c.currency, c.net, c.tax, c.gross, c.tax_rate_bp, c.lines, c.issued_at,
         c.year, c.number, i.id, i.year, i.number, NULL::uuid
    FROM credit_note c JOIN invoice i ON i.id = c.invoice_id
) d`;

/** Each series: its table and its counter. */
const SERIES = [
  { table: 'invoice', counter: 'invoice_counter' },
  { table: 'credit_note', counter: 'credit_note_counter' },
] as const;

@Injectable()
export class InvoiceRepository extends TransactionalRepository {
  /** Adds the invoice to a batch written with its journal entry (see `WriteBatch`). */
  insertInto(batch: WriteBatch, invoice: NewInvoice): void {
    const issuedAt = batch.param(invoice.issuedAt);
    batch.add(
      `INSERT INTO invoice (id, entry_id, order_id, buyer_organization_id, currency, net, tax, gross, tax_rate_bp, lines, issued_at, year)
       VALUES (${[
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
       ]
         .map((value) => batch.param(value))
         .join(', ')}, ${issuedAt}::timestamptz, extract(year FROM ${issuedAt}::timestamptz AT TIME ZONE 'Asia/Shanghai'))`,
    );
  }

  /** The credit note of a refunded invoice (the database checks that it mirrors the invoice). */
  async insertCreditNote(note: NewCreditNote): Promise<void> {
    await this.transaction.query(
      `INSERT INTO credit_note (id, entry_id, invoice_id, order_id, buyer_organization_id, currency, net, tax, gross, tax_rate_bp, lines, issued_at, year)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, extract(year FROM $12::timestamptz AT TIME ZONE 'Asia/Shanghai'))`,
      [
        note.id,
        note.entryId,
        note.invoiceId,
        note.orderId,
        note.buyerOrganizationId,
        note.currency,
        note.net,
        note.tax,
        note.gross,
        note.taxRateBp,
        JSON.stringify(note.lines),
        note.issuedAt,
      ],
    );
  }

  /** The order's invoices that no credit note cancels yet, oldest first (the charge, then each renewal). */
  async creditable(orderId: string): Promise<CreditableInvoice[]> {
    const rows = (await this.transaction.query(
      `SELECT i.id, i.entry_id, e.amount AS entry_amount, i.order_id, i.buyer_organization_id, i.currency, i.net, i.tax, i.gross, i.tax_rate_bp, i.lines
         FROM invoice i JOIN journal_entry e ON e.id = i.entry_id
        WHERE i.order_id = $1 AND NOT EXISTS (SELECT 1 FROM credit_note c WHERE c.invoice_id = i.id)
        ORDER BY i.seq`,
      [orderId],
    )) as {
      id: string;
      entry_id: string;
      entry_amount: string;
      order_id: string;
      buyer_organization_id: string;
      currency: CurrencyCode;
      net: string;
      tax: string;
      gross: string;
      tax_rate_bp: number;
      lines: InvoiceLineView[];
    }[];
    return rows.map((r) => ({
      id: r.id,
      entryId: r.entry_id,
      entryAmount: amountOf(r.entry_amount),
      orderId: r.order_id,
      buyerOrganizationId: r.buyer_organization_id,
      currency: r.currency,
      net: amountOf(r.net),
      tax: amountOf(r.tax),
      gross: amountOf(r.gross),
      taxRateBp: r.tax_rate_bp,
      lines: r.lines,
    }));
  }

  /**
   * Numbers every invoice and credit note that has none, in the order they were written, gapless
   * per year and series. One numbering at a time (a transaction advisory lock, taken in a
   * statement of its own so that the numbering statement's snapshot sees the previous pass's
   * numbers), off the purchase and refund paths: a charge or a refund only inserts its document,
   * it never waits for a counter. Both series, every year, in one statement: each year's counter
   * is advanced by its count of pending documents and they take the numbers in between, in `seq`
   * order. Returns the larger of the two series' counts (at most `limit` each).
   */
  async numberPending(limit = 1000): Promise<number> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtext('billing.invoice-numbering'))`);
    const parts = SERIES.map(
      ({ table, counter }) => `
      ${table}_pending AS (
        SELECT id, year, row_number() OVER (PARTITION BY year ORDER BY seq) AS n, count(*) OVER (PARTITION BY year) AS c
          FROM (SELECT id, year, seq FROM ${table} WHERE number IS NULL ORDER BY seq LIMIT $1) p
      ), ${table}_counts AS (
        SELECT year, count(*)::integer AS c FROM ${table}_pending GROUP BY year
      ), ${table}_advanced AS (
        INSERT INTO ${counter} (year, last) SELECT year, c FROM ${table}_counts
        ON CONFLICT (year) DO UPDATE SET last = ${counter}.last + EXCLUDED.last RETURNING year, last
      ), ${table}_numbered AS (
        UPDATE ${table} t SET number = a.last - p.c + p.n
          FROM ${table}_pending p JOIN ${table}_advanced a ON a.year = p.year
         WHERE t.id = p.id RETURNING 1
      )`,
    );
    const rows = (await this.transaction.query(
      `WITH ${parts.join(',')}
       SELECT ${SERIES.map(({ table }) => `(SELECT count(*) FROM ${table}_numbered) AS ${table}`).join(', ')}`,
      [limit],
    )) as Record<string, string>[];
    return Math.max(...Object.values(rows[0]).map(Number));
  }

  async findById(id: string): Promise<InvoiceView | null> {
    const rows = (await this.manager.query(`SELECT * FROM ${DOCUMENTS} WHERE d.id = $1`, [id])) as DocumentRow[];
    return rows[0] ? toView(rows[0]) : null;
  }

  /** The order's documents: its invoices, then its credit notes, each in the order written. */
  async findByOrder(orderId: string): Promise<InvoiceView[]> {
    const rows = (await this.manager.query(`SELECT * FROM ${DOCUMENTS} WHERE d.order_id = $1 ORDER BY d.kind DESC, d.issued_at, d.id`, [orderId])) as DocumentRow[];
    return rows.map(toView);
  }

  /** Newest first; `buyer` null for operators (every document); `kind` null for both kinds. */
  async list(buyer: string | null, limit: number, after?: { at: Date; id: string }, kind?: InvoiceKind | null): Promise<InvoiceView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (buyer) {
      params.push(buyer);
      where.push(`d.buyer_organization_id = $${params.length}`);
    }
    if (kind) {
      params.push(kind);
      where.push(`d.kind = $${params.length}`);
    }
    if (after) {
      params.push(after.at, after.id);
      where.push(`(d.issued_at, d.id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    const rows = (await this.manager.query(
      `SELECT * FROM ${DOCUMENTS} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.issued_at DESC, d.id DESC LIMIT $${params.length}`,
      params,
    )) as DocumentRow[];
    return rows.map(toView);
  }

  async countUnnumbered(): Promise<number> {
    const rows = (await this.manager.query(
      `SELECT (SELECT count(*) FROM invoice WHERE number IS NULL) + (SELECT count(*) FROM credit_note WHERE number IS NULL) AS n`,
    )) as { n: string }[];
    return Number(rows[0].n);
  }
}
