import type { AccountType } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { CurrencyCode } from '@trove/licensing';
import { TransactionalRepository } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { WriteBatch } from '../write-batch';

export type EntryKind = 'top_up' | 'charge' | 'refund' | 'payout' | 'renewal';

/** One leg of a journal entry: debit positive, credit negative. */
export interface PostingLine {
  accountId: string;
  amount: number;
}

export interface NewEntry {
  kind: EntryKind;
  currency: CurrencyCode;
  /** The money the entry moves: the sum of its debits. */
  amount: number;
  orderId?: string | null;
  sourceId?: string | null;
  reversesEntryId?: string | null;
  memo?: string | null;
  postings: PostingLine[];
}

export interface StoredPosting {
  accountId: string;
  type: AccountType;
  organizationId: string | null;
  amount: number;
}

/**
 * One amount read back (a top-up's, a payout's, a posting's, an invoice's): always a safe integer
 * in this ledger, since every amount is checked on the way in. Sums are read with `sumOf`.
 */
export function amountOf(value: string | number | null): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new Error(`ledger amount ${String(value)} is beyond the safe integer range`);
  return n;
}

/**
 * A sum read back exactly: PostgreSQL sums `bigint` as `numeric`, which the driver answers as its
 * digits. Balances and totals are held below `LEDGER_LIMIT`, turnover is not (and a ledger
 * written before the limit may hold anything), so a sum is never made a number unchecked.
 */
export function sumOf(value: string | number | null | undefined): bigint {
  return BigInt(value ?? 0);
}

/**
 * The wallet's balance as a charge compares it with a price: its balance, or 2^53 - 1 when it
 * holds more (only a ledger written before `LEDGER_LIMIT` can), which covers any price. In SQL,
 * so that such a wallet still buys instead of failing every charge of its buyer for good.
 */
export const WALLET_BALANCE_TO_SPEND = `LEAST(w.balance, ${Number.MAX_SAFE_INTEGER})`;

/** A row of the trial balance: every account of one type in one currency. */
export interface TrialBalanceSums {
  type: AccountType;
  currency: CurrencyCode;
  debit: bigint;
  credit: bigint;
}

/** What went through an account: the sum of its debits and of its credits (both positive). */
export interface Turnover {
  debits: bigint;
  credits: bigint;
}

/** A vendor's payable over a period, as `vendorStatement` reads it: credits positive (owed to the vendor). */
export interface StatementSums {
  opening: bigint;
  /** The gross of the vendor's lines charged in the period. */
  gross: bigint;
  /** What those charges credited to the payable: the gross less the commission. */
  netSales: bigint;
  refunds: bigint;
  payouts: bigint;
  closing: bigint;
  entries: number;
}

/**
 * Accounts, journal entries and postings. Plain SQL: the rules (entries balance, postings are
 * append-only, wallets never go negative) live in the database, see the CreateLedger migration.
 */
@Injectable()
export class LedgerRepository extends TransactionalRepository {
  /** Account ids never change once made: kept for the life of the process. */
  private readonly accountIds = new Map<string, string>();

  /** The account, created on first use (a wallet with its balance row). */
  async account(type: AccountType, organizationId: string | null, currency: CurrencyCode): Promise<string> {
    const key = `${type}|${organizationId ?? ''}|${currency}`;
    const known = this.accountIds.get(key);
    if (known) return known;
    let id = await this.findAccount(type, organizationId, currency);
    // Found committed: `findAccount` has remembered it already.
    if (id && this.accountIds.get(key) === id) return id;
    if (!id) {
      const rows = (await this.transaction.query(
        `INSERT INTO account (id, type, organization_id, currency) VALUES ($1, $2, $3, $4)
         ON CONFLICT ON CONSTRAINT account_key DO NOTHING RETURNING id`,
        [randomUUID(), type, organizationId, currency],
      )) as { id: string }[];
      if (rows[0] && type === 'wallet') {
        await this.transaction.query(`INSERT INTO wallet_balance (account_id, balance) VALUES ($1, 0)`, [rows[0].id]);
      }
      id = rows[0]?.id ?? (await this.findAccount(type, organizationId, currency));
    }
    if (!id) throw new Error(`account ${key} could not be created`);
    // Only ids of committed accounts may be remembered: a rollback would leave a dangling one.
    if (!(await this.isCommittedLater(id))) this.accountIds.set(key, id);
    return id;
  }

  /** The account if it exists (remembered once committed: a purchase then skips the lookup). */
  async findAccount(type: AccountType, organizationId: string | null, currency: CurrencyCode): Promise<string | null> {
    const key = `${type}|${organizationId ?? ''}|${currency}`;
    const known = this.accountIds.get(key);
    if (known) return known;
    const rows = (await this.manager.query(
      `SELECT id, xmin = pg_current_xact_id_if_assigned()::xid AS mine FROM account WHERE type = $1 AND organization_id IS NOT DISTINCT FROM $2 AND currency = $3`,
      [type, organizationId, currency],
    )) as { id: string; mine: boolean | null }[];
    if (rows[0] && rows[0].mine !== true) this.accountIds.set(key, rows[0].id);
    return rows[0]?.id ?? null;
  }

  /** True when the account row was written by the transaction in progress (not yet committed). */
  private async isCommittedLater(id: string): Promise<boolean> {
    const rows = (await this.manager.query(`SELECT xmin = pg_current_xact_id_if_assigned()::xid AS mine FROM account WHERE id = $1`, [id])) as {
      mine: boolean | null;
    }[];
    return rows[0]?.mine === true;
  }

  /**
   * Finds the organization's wallet, locks its balance row and reads it, in one statement; null
   * when the organization has no wallet in that currency.
   */
  async lockWalletOf(organizationId: string, currency: CurrencyCode): Promise<{ id: string; balance: number } | null> {
    const rows = (await this.transaction.query(
      `SELECT w.account_id, ${WALLET_BALANCE_TO_SPEND} AS balance FROM account a JOIN wallet_balance w ON w.account_id = a.id
        WHERE a.type = 'wallet' AND a.organization_id = $1 AND a.currency = $2
          FOR UPDATE OF w`,
      [organizationId, currency],
    )) as { account_id: string; balance: string }[];
    return rows[0] ? { id: rows[0].account_id, balance: amountOf(rows[0].balance) } : null;
  }

  /** Locks the wallet's balance row (charges of one buyer queue here, nobody else's do) and reads it. */
  async lockWallet(accountId: string): Promise<number> {
    const rows = (await this.transaction.query(`SELECT ${WALLET_BALANCE_TO_SPEND} AS balance FROM wallet_balance w WHERE account_id = $1 FOR UPDATE`, [accountId])) as { balance: string }[];
    return amountOf(rows[0]?.balance ?? 0);
  }

  /** Locks an account row: payouts and refunds of one vendor queue here; purchases never take it. */
  async lockAccount(accountId: string): Promise<void> {
    await this.transaction.query(`SELECT id FROM account WHERE id = $1 FOR UPDATE`, [accountId]);
  }

  async walletBalances(organizationId: string): Promise<{ currency: CurrencyCode; balance: bigint }[]> {
    const rows = (await this.manager.query(
      `SELECT a.currency, b.balance FROM account a JOIN wallet_balance b ON b.account_id = a.id
        WHERE a.type = 'wallet' AND a.organization_id = $1 ORDER BY a.currency`,
      [organizationId],
    )) as { currency: CurrencyCode; balance: string }[];
    return rows.map((r) => ({ currency: r.currency, balance: sumOf(r.balance) }));
  }

  /** What a credit-normal account holds: minus the sum of its postings. */
  async creditBalance(accountId: string): Promise<bigint> {
    const rows = (await this.manager.query(`SELECT coalesce(sum(amount), 0) AS total FROM posting WHERE account_id = $1`, [accountId])) as { total: string }[];
    return -sumOf(rows[0].total);
  }

  /**
   * The sums of the account's debits and of its credits. For bank clearing: every top-up ever
   * confirmed and every payout ever paid, in its currency (`posting_account_idx` covers it).
   */
  async turnover(accountId: string): Promise<Turnover> {
    const rows = (await this.manager.query(
      `SELECT coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS debits, coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS credits FROM posting WHERE account_id = $1`,
      [accountId],
    )) as { debits: string; credits: string }[];
    return { debits: sumOf(rows[0].debits), credits: sumOf(rows[0].credits) };
  }

  async payableBalances(organizationId: string): Promise<{ currency: CurrencyCode; balance: bigint }[]> {
    const rows = (await this.manager.query(
      `SELECT a.currency, -coalesce(sum(p.amount), 0) AS balance FROM account a LEFT JOIN posting p ON p.account_id = a.id
        WHERE a.type = 'vendor_payable' AND a.organization_id = $1 GROUP BY a.currency ORDER BY a.currency`,
      [organizationId],
    )) as { currency: CurrencyCode; balance: string }[];
    return rows.map((r) => ({ currency: r.currency, balance: sumOf(r.balance) }));
  }

  /**
   * Whether the ledger before `to` is final: `to` has passed, and no other transaction on this
   * database that began before it is still running. An entry is dated by the start of the
   * transaction that writes it (`journal_entry.created_at` defaults to now()), so a charge that
   * began before a period's end and commits after it would otherwise join a statement already
   * read. `pg_stat_activity` shows every session's transaction start, also before it writes;
   * only clients' sessions count (a long autovacuum writes no entry). Each call is its own
   * snapshot of that view: it is read outside any transaction.
   */
  async settledBefore(to: string): Promise<{ ended: boolean; running: number }> {
    const rows = (await this.manager.query(
      `SELECT $1::timestamptz <= clock_timestamp() AS ended,
              (SELECT count(*)::int FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start < $1::timestamptz) AS running`,
      [to],
    )) as { ended: boolean; running: number }[];
    return rows[0];
  }

  /**
   * A vendor's statement for `[from, to)`, from its payable's postings in one statement. An entry
   * belongs to the moment it was made (`journal_entry.created_at`). The payable holds only the net
   * of a charge (price minus commission, all the vendor's lines of the entry in one posting), so
   * the gross is the sum of the vendor's lines on the entry's invoice (every charge and renewal has
   * exactly one); the commission is the gross less the net. Reads only the vendor's postings
   * (`posting_account_idx`), each entry by its key, and the invoices of the period's charges.
   */
  async vendorStatement(organizationId: string, currency: CurrencyCode, from: string, to: string): Promise<StatementSums> {
    const rows = (await this.manager.query(
      `WITH moves AS MATERIALIZED (
         SELECT p.entry_id, p.amount, e.kind, e.created_at >= $3::timestamptz AS in_period
           FROM account a
           JOIN posting p ON p.account_id = a.id
           JOIN journal_entry e ON e.id = p.entry_id
          WHERE a.type = 'vendor_payable' AND a.organization_id = $1 AND a.currency = $2 AND e.created_at < $4::timestamptz)
       SELECT coalesce(-sum(amount) FILTER (WHERE NOT in_period), 0) AS opening,
              coalesce(-sum(amount) FILTER (WHERE in_period AND kind IN ('charge', 'renewal')), 0) AS net_sales,
              coalesce(sum(amount) FILTER (WHERE in_period AND kind = 'refund'), 0) AS refunds,
              coalesce(sum(amount) FILTER (WHERE in_period AND kind = 'payout'), 0) AS payouts,
              coalesce(-sum(amount), 0) AS closing,
              count(DISTINCT entry_id) FILTER (WHERE in_period) AS entries,
              (SELECT coalesce(sum((l.line -> 'gross' ->> 'amount')::bigint), 0)
                 FROM moves m
                 JOIN invoice i ON i.entry_id = m.entry_id
                 CROSS JOIN LATERAL jsonb_array_elements(i.lines) AS l(line)
                WHERE m.in_period AND m.kind IN ('charge', 'renewal') AND l.line ->> 'vendorOrganizationId' = $1::text) AS gross
         FROM moves`,
      [organizationId, currency, from, to],
    )) as { opening: string; net_sales: string; refunds: string; payouts: string; closing: string; entries: string; gross: string }[];
    const r = rows[0];
    return {
      opening: sumOf(r.opening),
      gross: sumOf(r.gross),
      netSales: sumOf(r.net_sales),
      refunds: sumOf(r.refunds),
      payouts: sumOf(r.payouts),
      closing: sumOf(r.closing),
      entries: Number(r.entries),
    };
  }

  /** Writes the entry and all its postings in one statement, which the database checks balances. */
  async post(entry: NewEntry): Promise<string> {
    const batch = new WriteBatch();
    const id = this.postInto(batch, entry);
    await this.write(batch);
    return id;
  }

  /**
   * Adds the entry and its postings to a batch (one INSERT each): the balance trigger runs once,
   * at the end of the batch's statement, over all the entry's postings. Returns the entry's id.
   */
  postInto(batch: WriteBatch, entry: NewEntry): string {
    const id = randomUUID();
    const [entryId, currency] = [batch.param(id), batch.param(entry.currency)];
    batch.add(
      `INSERT INTO journal_entry (id, kind, currency, amount, order_id, source_id, reverses_entry_id, memo)
       VALUES (${entryId}, ${batch.param(entry.kind)}, ${currency}, ${batch.param(entry.amount)}, ${batch.param(entry.orderId ?? null)}, ${batch.param(entry.sourceId ?? null)}, ${batch.param(entry.reversesEntryId ?? null)}, ${batch.param(entry.memo ?? null)})`,
    );
    const values = entry.postings
      .filter((p) => p.amount !== 0)
      .map((p) => `(${entryId}::uuid, ${batch.param(p.accountId)}::uuid, ${currency}, ${batch.param(p.amount)}::bigint)`);
    batch.add(`INSERT INTO posting (entry_id, account_id, currency, amount) VALUES ${values.join(', ')}`);
    return id;
  }

  /** Sends a batch of writes as one statement, in the unit of work's transaction. */
  async write(batch: WriteBatch): Promise<void> {
    await this.transaction.query(batch.sql, batch.parameters);
  }

  async postingsOf(entryId: string): Promise<StoredPosting[]> {
    const rows = (await this.manager.query(
      `SELECT p.account_id, a.type, a.organization_id, p.amount FROM posting p JOIN account a ON a.id = p.account_id WHERE p.entry_id = $1 ORDER BY p.id`,
      [entryId],
    )) as { account_id: string; type: AccountType; organization_id: string | null; amount: string }[];
    return rows.map((r) => ({ accountId: r.account_id, type: r.type, organizationId: r.organization_id, amount: amountOf(r.amount) }));
  }

  async trialBalance(): Promise<TrialBalanceSums[]> {
    const rows = (await this.manager.query(
      `SELECT a.type, p.currency,
              coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0) AS debit,
              coalesce(-sum(p.amount) FILTER (WHERE p.amount < 0), 0) AS credit
         FROM posting p JOIN account a ON a.id = p.account_id
        GROUP BY a.type, p.currency ORDER BY p.currency, a.type`,
    )) as { type: AccountType; currency: CurrencyCode; debit: string; credit: string }[];
    return rows.map((r) => ({ type: r.type, currency: r.currency, debit: sumOf(r.debit), credit: sumOf(r.credit) }));
  }

  async sales(): Promise<{ currency: CurrencyCode; gross: bigint; refunded: bigint; payments: number; refunds: number }[]> {
    const rows = (await this.manager.query(
      `SELECT currency,
              coalesce(sum(amount) FILTER (WHERE kind IN ('charge', 'renewal')), 0) AS gross,
              coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0) AS refunded,
              count(*) FILTER (WHERE kind IN ('charge', 'renewal')) AS payments,
              count(*) FILTER (WHERE kind = 'refund') AS refunds
         FROM journal_entry WHERE kind IN ('charge', 'renewal', 'refund') GROUP BY currency ORDER BY currency`,
    )) as { currency: CurrencyCode; gross: string; refunded: string; payments: string; refunds: string }[];
    return rows.map((r) => ({ currency: r.currency, gross: sumOf(r.gross), refunded: sumOf(r.refunded), payments: Number(r.payments), refunds: Number(r.refunds) }));
  }
}
