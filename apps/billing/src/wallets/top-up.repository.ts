import type { TopUpStatus, TopUpView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { CurrencyCode } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import { amountOf } from '../ledger/ledger.repository';

export interface TopUp {
  id: string;
  organizationId: string;
  amount: number;
  currency: CurrencyCode;
  reference: string;
  /** The reference as its transfer is recognised by (`bankReferenceKey`). */
  referenceKey: string;
  /** Each transfer the reference names (`bankTransferKeys`): one, or several in a top-up filed before filing refused them. */
  transferKeys: string[];
  status: TopUpStatus;
  entryId: string | null;
  createdAt: Date;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  rejectedAt: Date | null;
  rejectionReason: string | null;
}

interface TopUpRow {
  id: string;
  organization_id: string;
  amount: string;
  currency: CurrencyCode;
  reference: string;
  reference_key: string;
  transfer_keys: string[];
  status: TopUpStatus;
  entry_id: string | null;
  created_at: Date;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
  rejected_at: Date | null;
  rejection_reason: string | null;
}

const dateOrNull = (at: Date | null) => (at ? new Date(at) : null);
const isoOrNull = (at: Date | null) => (at ? at.toISOString() : null);

function toTopUp(r: TopUpRow): TopUp {
  return {
    id: r.id,
    organizationId: r.organization_id,
    amount: amountOf(r.amount),
    currency: r.currency,
    reference: r.reference,
    referenceKey: r.reference_key,
    transferKeys: r.transfer_keys,
    status: r.status,
    entryId: r.entry_id,
    createdAt: new Date(r.created_at),
    confirmedAt: dateOrNull(r.confirmed_at),
    cancelledAt: dateOrNull(r.cancelled_at),
    rejectedAt: dateOrNull(r.rejected_at),
    rejectionReason: r.rejection_reason,
  };
}

export function topUpView(t: TopUp): TopUpView {
  return {
    id: t.id,
    organizationId: t.organizationId,
    status: t.status,
    amount: { amount: t.amount, currency: t.currency },
    reference: t.reference,
    createdAt: t.createdAt.toISOString(),
    confirmedAt: isoOrNull(t.confirmedAt),
    cancelledAt: isoOrNull(t.cancelledAt),
    rejectedAt: isoOrNull(t.rejectedAt),
    rejectionReason: t.rejectionReason,
  };
}

@Injectable()
export class TopUpRepository extends TransactionalRepository {
  /** A pending top-up; its `reference_key` is its transfer keys joined, as `bankReferenceKey` writes it. */
  async insert(topUp: Pick<TopUp, 'id' | 'organizationId' | 'amount' | 'currency' | 'reference' | 'transferKeys' | 'createdAt'>): Promise<TopUp> {
    const rows = (await this.transaction.query(
      `INSERT INTO top_up (id, organization_id, amount, currency, reference, reference_key, transfer_keys, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) RETURNING *`,
      [topUp.id, topUp.organizationId, topUp.amount, topUp.currency, topUp.reference, topUp.transferKeys.join(', '), topUp.transferKeys, topUp.createdAt],
    )) as TopUpRow[];
    return toTopUp(rows[0]);
  }

  /**
   * Takes the turn of each transfer (`transferKeys`, in order, so two takers never wait for each
   * other crosswise) until the transaction ends: filings and confirmations of one transfer run one
   * after another, so each sees what the one before it committed. A bank serial is one transfer
   * whatever its currency, so the turn is the transfer key's alone. (The database keeps the rule
   * even without it: `top_up_transfer_credited_once`, and the trigger of the same name, which
   * takes the same turns.)
   */
  async lockTransfers(transferKeys: readonly string[]): Promise<void> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended('billing.top-up-transfer:' || k, 0)) FROM unnest($1::text[]) AS k ORDER BY k`, [transferKeys]);
  }

  /**
   * A confirmed top-up that credited one of these transfers, if one did, in whichever currency:
   * one that holds it first, else one marked as a double credit (which may have credited a
   * serial beside the one it repeats: `A；B` confirmed after `A` credited B too).
   */
  async findCrediting(transferKeys: readonly string[]): Promise<TopUp | null> {
    const rows = (await this.manager.query(`SELECT * FROM top_up WHERE transfer_keys && $1::text[] AND status = 'confirmed' ORDER BY double_credit_of IS NOT NULL, confirmed_at, id LIMIT 1`, [
      transferKeys,
    ])) as TopUpRow[];
    return rows[0] ? toTopUp(rows[0]) : null;
  }

  /** The organization's own top-ups of any of these transfers, in every currency, oldest first. */
  async findFiledBy(organizationId: string, transferKeys: readonly string[]): Promise<TopUp[]> {
    const rows = (await this.manager.query(`SELECT * FROM top_up WHERE organization_id = $1 AND transfer_keys && $2::text[] ORDER BY created_at, id`, [
      organizationId,
      transferKeys,
    ])) as TopUpRow[];
    return rows.map(toTopUp);
  }

  async find(id: string): Promise<TopUp | null> {
    const rows = (await this.manager.query(`SELECT * FROM top_up WHERE id = $1`, [id])) as TopUpRow[];
    return rows[0] ? toTopUp(rows[0]) : null;
  }

  /**
   * Top-ups in filing order, `newest` or `oldest` first, after the keyset position `after` (the
   * last one of the page before). Served by `top_up_organization_created_idx` for one
   * organization, `top_up_status_created_idx` for one status, `top_up_created_idx` otherwise
   * (MoneyListIndexes1764880000000), so a page reads its own rows and sorts nothing.
   */
  async list(
    filter: { organizationId?: string; status?: TopUpStatus },
    order: 'newest' | 'oldest',
    limit: number,
    after?: { at: Date; id: string },
  ): Promise<TopUp[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.organizationId) {
      params.push(filter.organizationId);
      where.push(`organization_id = $${params.length}`);
    }
    if (filter.status) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (after) {
      params.push(after.at, after.id);
      where.push(`(created_at, id) ${order === 'newest' ? '<' : '>'} ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    const direction = order === 'newest' ? 'DESC' : 'ASC';
    const rows = (await this.manager.query(
      `SELECT * FROM top_up ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at ${direction}, id ${direction} LIMIT $${params.length}`,
      params,
    )) as TopUpRow[];
    return rows.map(toTopUp);
  }

  async findForUpdate(id: string): Promise<TopUp | null> {
    const rows = (await this.transaction.query(`SELECT * FROM top_up WHERE id = $1 FOR UPDATE`, [id])) as TopUpRow[];
    return rows[0] ? toTopUp(rows[0]) : null;
  }

  async markConfirmed(id: string, entryId: string, at: Date): Promise<TopUp> {
    const rows = (await this.transaction.query(`UPDATE top_up SET status = 'confirmed', entry_id = $2, confirmed_at = $3 WHERE id = $1 RETURNING *`, [
      id,
      entryId,
      at,
    ])) as [TopUpRow[], number];
    // An UPDATE through TypeORM answers [rows, affected].
    return toTopUp(rows[0][0]);
  }

  async markCancelled(id: string, at: Date): Promise<TopUp> {
    const rows = (await this.transaction.query(`UPDATE top_up SET status = 'cancelled', cancelled_at = $2 WHERE id = $1 RETURNING *`, [id, at])) as [TopUpRow[], number];
    return toTopUp(rows[0][0]);
  }

  async markRejected(id: string, reason: string, at: Date): Promise<TopUp> {
    const rows = (await this.transaction.query(`UPDATE top_up SET status = 'rejected', rejection_reason = $2, rejected_at = $3 WHERE id = $1 RETURNING *`, [id, reason, at])) as [
      TopUpRow[],
      number,
    ];
    return toTopUp(rows[0][0]);
  }
}
