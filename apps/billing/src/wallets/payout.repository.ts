import type { PayoutDestinationValue, PayoutStatus, PayoutView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { readAsSql } from '@trove/dataset';
import type { CurrencyCode } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import { amountOf, sumOf } from '../ledger/ledger.repository';

export interface Payout {
  id: string;
  vendorOrganizationId: string;
  amount: number;
  currency: CurrencyCode;
  status: PayoutStatus;
  entryId: string | null;
  requestedAt: Date;
  paidAt: Date | null;
  cancelledAt: Date | null;
  rejectedAt: Date | null;
  rejectionReason: string | null;
  destination: PayoutDestinationValue | null;
  /** Whether an earlier payout of the vendor was paid to the same account (payee, bank, number, SWIFT); null without a destination. */
  destinationPaidBefore: boolean | null;
}

/** A payee's or bank's name as a reader tells two apart (`readAsSql`: NFKC, nothing invisible, white space collapsed, case-folded). */
const NAME_READ = (json: string, field: string) => readAsSql(`(${json}->>'${field}')`);
/** A SWIFT code as the office it names: `HSBCHKHHXXX` is the primary office `HSBCHKHH`; none is ''. */
const SWIFT_READ = (json: string) => `regexp_replace(coalesce(${json}->>'swift', ''), 'XXX$', '')`;

/**
 * The `destination_paid_before` column of every read of a payout: one expression over the row
 * named `payout`, so that a SELECT and an INSERT's or UPDATE's RETURNING read it alike. A payout
 * to an account the vendor was never paid to is what a stolen vendor key would ask for. The
 * whole account must have been paid before: payee, bank, number and SWIFT code. Account numbers
 * are unique within one bank only, and every number the vendor was paid to is in its payout
 * list, so a leaked key that matched the number alone ("Mallory Trading Ltd" at an offshore
 * bank, with the vendor's own number) was vouched for as an account paid before.
 */
const PAID_BEFORE = `CASE WHEN payout.destination IS NULL THEN NULL ELSE EXISTS (
    SELECT 1 FROM payout earlier
     WHERE earlier.vendor_organization_id = payout.vendor_organization_id AND earlier.status = 'paid' AND earlier.id <> payout.id
       AND earlier.destination->>'accountNumber' = payout.destination->>'accountNumber'
       AND ${SWIFT_READ('earlier.destination')} = ${SWIFT_READ('payout.destination')}
       AND ${NAME_READ('earlier.destination', 'accountName')} = ${NAME_READ('payout.destination', 'accountName')}
       AND ${NAME_READ('earlier.destination', 'bankName')} = ${NAME_READ('payout.destination', 'bankName')}) END AS destination_paid_before`;

interface PayoutRow {
  id: string;
  vendor_organization_id: string;
  amount: string;
  currency: CurrencyCode;
  status: PayoutStatus;
  entry_id: string | null;
  requested_at: Date;
  paid_at: Date | null;
  cancelled_at: Date | null;
  rejected_at: Date | null;
  rejection_reason: string | null;
  destination: PayoutDestinationValue | null;
  destination_paid_before: boolean | null;
}

const dateOrNull = (at: Date | null) => (at ? new Date(at) : null);
const isoOrNull = (at: Date | null) => (at ? at.toISOString() : null);

function toPayout(r: PayoutRow): Payout {
  return {
    id: r.id,
    vendorOrganizationId: r.vendor_organization_id,
    amount: amountOf(r.amount),
    currency: r.currency,
    status: r.status,
    entryId: r.entry_id,
    requestedAt: new Date(r.requested_at),
    paidAt: dateOrNull(r.paid_at),
    cancelledAt: dateOrNull(r.cancelled_at),
    rejectedAt: dateOrNull(r.rejected_at),
    rejectionReason: r.rejection_reason,
    destination: r.destination,
    destinationPaidBefore: r.destination_paid_before,
  };
}

export function payoutView(p: Payout): PayoutView {
  return {
    id: p.id,
    vendorOrganizationId: p.vendorOrganizationId,
    status: p.status,
    amount: { amount: p.amount, currency: p.currency },
    requestedAt: p.requestedAt.toISOString(),
    paidAt: isoOrNull(p.paidAt),
    cancelledAt: isoOrNull(p.cancelledAt),
    rejectedAt: isoOrNull(p.rejectedAt),
    rejectionReason: p.rejectionReason,
    destination: p.destination,
    destinationPaidBefore: p.destinationPaidBefore,
  };
}

@Injectable()
export class PayoutRepository extends TransactionalRepository {
  async insert(payout: Pick<Payout, 'id' | 'vendorOrganizationId' | 'amount' | 'currency' | 'requestedAt' | 'destination'>): Promise<Payout> {
    const rows = (await this.transaction.query(
      `INSERT INTO payout (id, vendor_organization_id, amount, currency, status, requested_at, destination) VALUES ($1, $2, $3, $4, 'pending', $5, $6) RETURNING *, ${PAID_BEFORE}`,
      [payout.id, payout.vendorOrganizationId, payout.amount, payout.currency, payout.requestedAt, payout.destination === null ? null : JSON.stringify(payout.destination)],
    )) as PayoutRow[];
    return toPayout(rows[0]);
  }

  /**
   * Whether the gateway reported the organization suspended, as its latest standing. The row is
   * read with a share lock: a suspension event taken in meanwhile waits for this transaction,
   * and one that committed first is seen.
   */
  async isSuspended(organizationId: string): Promise<boolean> {
    const rows = (await this.transaction.query(`SELECT status FROM organization_standing WHERE organization_id = $1 FOR SHARE`, [organizationId])) as { status: string }[];
    return rows[0]?.status === 'suspended';
  }

  async findForUpdate(id: string): Promise<Payout | null> {
    const rows = (await this.transaction.query(`SELECT *, ${PAID_BEFORE} FROM payout WHERE id = $1 FOR UPDATE`, [id])) as PayoutRow[];
    return rows[0] ? toPayout(rows[0]) : null;
  }

  async find(id: string): Promise<Payout | null> {
    const rows = (await this.manager.query(`SELECT *, ${PAID_BEFORE} FROM payout WHERE id = $1`, [id])) as PayoutRow[];
    return rows[0] ? toPayout(rows[0]) : null;
  }

  /**
   * Payouts in the order they were asked for, `newest` or `oldest` first, after the keyset
   * position `after`. Served by `payout_vendor_requested_idx` for one vendor,
   * `payout_status_requested_idx` for one status, `payout_requested_idx` otherwise
   * (MoneyListIndexes1764880000000), so a page reads its own rows and sorts nothing.
   */
  async list(
    filter: { vendorOrganizationId?: string; status?: PayoutStatus },
    order: 'newest' | 'oldest',
    limit: number,
    after?: { at: Date; id: string },
  ): Promise<Payout[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.vendorOrganizationId) {
      params.push(filter.vendorOrganizationId);
      where.push(`vendor_organization_id = $${params.length}`);
    }
    if (filter.status) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (after) {
      params.push(after.at, after.id);
      where.push(`(requested_at, id) ${order === 'newest' ? '<' : '>'} ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    const direction = order === 'newest' ? 'DESC' : 'ASC';
    const rows = (await this.manager.query(
      `SELECT *, ${PAID_BEFORE} FROM payout ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY requested_at ${direction}, id ${direction} LIMIT $${params.length}`,
      params,
    )) as PayoutRow[];
    return rows.map(toPayout);
  }

  /** Money asked for and not paid yet: it is spoken for. Cancelled and rejected payouts ask for nothing. */
  async pendingTotal(vendorOrganizationId: string, currency: CurrencyCode, except?: string): Promise<bigint> {
    const rows = (await this.manager.query(
      `SELECT coalesce(sum(amount), 0) AS total FROM payout WHERE vendor_organization_id = $1 AND currency = $2 AND status = 'pending' AND id IS DISTINCT FROM $3`,
      [vendorOrganizationId, currency, except ?? null],
    )) as { total: string }[];
    return sumOf(rows[0].total);
  }

  async markPaid(id: string, entryId: string, at: Date): Promise<Payout> {
    const rows = (await this.transaction.query(`UPDATE payout SET status = 'paid', entry_id = $2, paid_at = $3 WHERE id = $1 RETURNING *, ${PAID_BEFORE}`, [id, entryId, at])) as [PayoutRow[], number];
    // An UPDATE through TypeORM answers [rows, affected].
    return toPayout(rows[0][0]);
  }

  async markCancelled(id: string, at: Date): Promise<Payout> {
    const rows = (await this.transaction.query(`UPDATE payout SET status = 'cancelled', cancelled_at = $2 WHERE id = $1 RETURNING *, ${PAID_BEFORE}`, [id, at])) as [PayoutRow[], number];
    return toPayout(rows[0][0]);
  }

  async markRejected(id: string, reason: string, at: Date): Promise<Payout> {
    const rows = (await this.transaction.query(`UPDATE payout SET status = 'rejected', rejection_reason = $2, rejected_at = $3 WHERE id = $1 RETURNING *, ${PAID_BEFORE}`, [id, reason, at])) as [
      PayoutRow[],
      number,
    ];
    return toPayout(rows[0][0]);
  }
}
