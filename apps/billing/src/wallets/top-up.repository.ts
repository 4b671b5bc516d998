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
  status: TopUpStatus;
  entryId: string | null;
  createdAt: Date;
  confirmedAt: Date | null;
}

interface TopUpRow {
  id: string;
  organization_id: string;
  amount: string;
  currency: CurrencyCode;
  reference: string;
  status: TopUpStatus;
  entry_id: string | null;
  created_at: Date;
  confirmed_at: Date | null;
}

function toTopUp(r: TopUpRow): TopUp {
  return {
    id: r.id,
    organizationId: r.organization_id,
    amount: amountOf(r.amount),
    currency: r.currency,
    reference: r.reference,
    status: r.status,
    entryId: r.entry_id,
    createdAt: new Date(r.created_at),
    confirmedAt: r.confirmed_at ? new Date(r.confirmed_at) : null,
  };
}

export function topUpView(t: TopUp): TopUpView {
  return {
    id: t.id,
    status: t.status,
    amount: { amount: t.amount, currency: t.currency },
    reference: t.reference,
    createdAt: t.createdAt.toISOString(),
    confirmedAt: t.confirmedAt ? t.confirmedAt.toISOString() : null,
  };
}

@Injectable()
export class TopUpRepository extends TransactionalRepository {
  async insert(topUp: Pick<TopUp, 'id' | 'organizationId' | 'amount' | 'currency' | 'reference' | 'createdAt'>): Promise<TopUp> {
    const rows = (await this.transaction.query(
      `INSERT INTO top_up (id, organization_id, amount, currency, reference, status, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING *`,
      [topUp.id, topUp.organizationId, topUp.amount, topUp.currency, topUp.reference, topUp.createdAt],
    )) as TopUpRow[];
    return toTopUp(rows[0]);
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
}
