import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger and what hangs off it: accounts, journal entries and their postings,
 * wallet balances, top-ups, payments, payouts, invoices and subscriptions.
 *
 * The database itself holds the rules that must never break:
 * - every journal entry's postings sum to zero per currency, checked after every INSERT
 *   statement into `posting` (an entry's postings go in one statement);
 * - postings and journal entries are append-only: UPDATE, DELETE and TRUNCATE raise;
 * - a wallet's balance row is kept by the same trigger, in the same statement, and its CHECK
 *   refuses a negative balance;
 * - the platform's revenue, tax and bank accounts have no balance row: their balances are sums
 *   of postings, so purchases never queue on a shared row. `posting.account_id` has no foreign
 *   key for the same reason (a foreign key check locks the account row FOR KEY SHARE).
 */
export class CreateLedger1764600000000 implements MigrationInterface {
  name = 'CreateLedger1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE account (
        id uuid PRIMARY KEY,
        type text NOT NULL CONSTRAINT account_type_check
          CHECK (type IN ('wallet', 'vendor_payable', 'platform_revenue', 'tax_payable', 'bank_clearing')),
        organization_id uuid NULL,
        currency char(3) NOT NULL CONSTRAINT account_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT account_owner_check CHECK ((type IN ('wallet', 'vendor_payable')) = (organization_id IS NOT NULL)),
        CONSTRAINT account_key UNIQUE NULLS NOT DISTINCT (type, organization_id, currency)
      )`);
    await queryRunner.query(`
      CREATE TABLE wallet_balance (
        account_id uuid PRIMARY KEY CONSTRAINT wallet_balance_account_fk REFERENCES account (id),
        balance bigint NOT NULL DEFAULT 0 CONSTRAINT wallet_balance_never_negative CHECK (balance >= 0)
      )`);
    await queryRunner.query(`
      CREATE TABLE journal_entry (
        id uuid PRIMARY KEY,
        kind text NOT NULL CONSTRAINT journal_entry_kind_check CHECK (kind IN ('top_up', 'charge', 'refund', 'payout', 'renewal')),
        currency char(3) NOT NULL,
        amount bigint NOT NULL CONSTRAINT journal_entry_amount_check CHECK (amount > 0),
        order_id uuid NULL,
        source_id uuid NULL,
        reverses_entry_id uuid NULL CONSTRAINT journal_entry_reverses_fk REFERENCES journal_entry (id)
          CONSTRAINT journal_entry_reversed_once UNIQUE,
        memo text NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT journal_entry_refund_reverses CHECK ((kind = 'refund') = (reverses_entry_id IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX journal_entry_one_charge_per_order ON journal_entry (order_id) WHERE kind = 'charge'`);
    await queryRunner.query(`CREATE UNIQUE INDEX journal_entry_source_once ON journal_entry (kind, source_id) WHERE kind IN ('top_up', 'payout')`);
    await queryRunner.query(`CREATE INDEX journal_entry_order_idx ON journal_entry (order_id) WHERE order_id IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE posting (
        id bigserial PRIMARY KEY,
        entry_id uuid NOT NULL CONSTRAINT posting_entry_fk REFERENCES journal_entry (id),
        account_id uuid NOT NULL,
        currency char(3) NOT NULL,
        amount bigint NOT NULL CONSTRAINT posting_amount_nonzero CHECK (amount <> 0)
      )`);
    await queryRunner.query(`CREATE INDEX posting_entry_idx ON posting (entry_id)`);
    await queryRunner.query(`CREATE INDEX posting_account_idx ON posting (account_id) INCLUDE (amount)`);

    // Debits are positive, credits negative: an entry balances when its postings sum to zero.
    await queryRunner.query(`
      CREATE FUNCTION posting_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        bad record;
      BEGIN
        SELECT p.entry_id, p.currency, sum(p.amount) AS total INTO bad
          FROM posting p
         WHERE p.entry_id IN (SELECT DISTINCT entry_id FROM new_postings)
         GROUP BY p.entry_id, p.currency
        HAVING sum(p.amount) <> 0
         LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'journal entry % does not balance: its % postings sum to %', bad.entry_id, bad.currency, bad.total
            USING ERRCODE = 'check_violation', CONSTRAINT = 'posting_entry_balanced';
        END IF;
        SELECT n.entry_id INTO bad FROM new_postings n
          LEFT JOIN account a ON a.id = n.account_id
          JOIN journal_entry e ON e.id = n.entry_id
         WHERE a.id IS NULL OR a.currency <> n.currency OR e.currency <> n.currency
         LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'journal entry % posts to an unknown account or in another currency than its account', bad.entry_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'posting_account_currency';
        END IF;
        -- A wallet is owed to the buyer: a credit (negative) raises its balance.
        UPDATE wallet_balance w SET balance = w.balance - d.delta
          FROM (SELECT account_id, sum(amount) AS delta FROM new_postings GROUP BY account_id ORDER BY account_id) d
         WHERE w.account_id = d.account_id;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER posting_balanced AFTER INSERT ON posting
        REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION posting_after_insert()`);
    await queryRunner.query(`
      CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only (% refused): correct it with a reversing entry', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['posting', 'journal_entry']) {
      await queryRunner.query(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_append_only()`);
      await queryRunner.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()`);
      await queryRunner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON ${table} FROM PUBLIC`);
    }

    await queryRunner.query(`
      CREATE TABLE top_up (
        id uuid PRIMARY KEY,
        organization_id uuid NOT NULL,
        amount bigint NOT NULL CONSTRAINT top_up_amount_check CHECK (amount > 0),
        currency char(3) NOT NULL,
        reference text NOT NULL,
        status text NOT NULL CONSTRAINT top_up_status_check CHECK (status IN ('pending', 'confirmed')),
        entry_id uuid NULL CONSTRAINT top_up_entry_fk REFERENCES journal_entry (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        confirmed_at timestamptz NULL,
        CONSTRAINT top_up_confirmed_check CHECK ((status = 'confirmed') = (entry_id IS NOT NULL))
      )`);
    await queryRunner.query(`
      CREATE TABLE payment (
        order_id uuid PRIMARY KEY,
        buyer_organization_id uuid NOT NULL,
        status text NOT NULL CONSTRAINT payment_status_check CHECK (status IN ('captured', 'declined', 'refunded')),
        amount bigint NOT NULL,
        currency char(3) NOT NULL,
        entry_id uuid NULL CONSTRAINT payment_entry_fk REFERENCES journal_entry (id),
        refund_entry_id uuid NULL CONSTRAINT payment_refund_entry_fk REFERENCES journal_entry (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        refunded_at timestamptz NULL,
        CONSTRAINT payment_entries_check CHECK (
          (status = 'declined' AND entry_id IS NULL AND refund_entry_id IS NULL)
          OR (status = 'captured' AND entry_id IS NOT NULL AND refund_entry_id IS NULL)
          OR (status = 'refunded' AND entry_id IS NOT NULL AND refund_entry_id IS NOT NULL))
      )`);
    await queryRunner.query(`
      CREATE TABLE payout (
        id uuid PRIMARY KEY,
        vendor_organization_id uuid NOT NULL,
        amount bigint NOT NULL CONSTRAINT payout_amount_check CHECK (amount > 0),
        currency char(3) NOT NULL,
        status text NOT NULL CONSTRAINT payout_status_check CHECK (status IN ('pending', 'paid')),
        entry_id uuid NULL CONSTRAINT payout_entry_fk REFERENCES journal_entry (id),
        requested_at timestamptz NOT NULL DEFAULT now(),
        paid_at timestamptz NULL,
        CONSTRAINT payout_paid_check CHECK ((status = 'paid') = (entry_id IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE INDEX payout_vendor_idx ON payout (vendor_organization_id, currency) WHERE status = 'pending'`);
    await queryRunner.query(`
      CREATE TABLE invoice (
        id uuid PRIMARY KEY,
        seq bigserial NOT NULL CONSTRAINT invoice_seq_key UNIQUE,
        entry_id uuid NOT NULL CONSTRAINT invoice_entry_fk REFERENCES journal_entry (id) CONSTRAINT invoice_entry_key UNIQUE,
        order_id uuid NOT NULL,
        buyer_organization_id uuid NOT NULL,
        currency char(3) NOT NULL,
        net bigint NOT NULL,
        tax bigint NOT NULL,
        gross bigint NOT NULL,
        tax_rate_bp integer NOT NULL,
        lines jsonb NOT NULL,
        issued_at timestamptz NOT NULL,
        year integer NOT NULL,
        number integer NULL,
        CONSTRAINT invoice_sum_check CHECK (net + tax = gross AND gross > 0 AND tax >= 0),
        CONSTRAINT invoice_number_key UNIQUE (year, number)
      )`);
    await queryRunner.query(`CREATE INDEX invoice_buyer_idx ON invoice (buyer_organization_id, issued_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX invoice_unnumbered_idx ON invoice (seq) WHERE number IS NULL`);
    await queryRunner.query(`
      CREATE TABLE invoice_counter (
        year integer PRIMARY KEY,
        last integer NOT NULL CONSTRAINT invoice_counter_last_check CHECK (last >= 0)
      )`);
    await queryRunner.query(`
      CREATE TABLE subscription (
        id uuid PRIMARY KEY,
        order_id uuid NOT NULL,
        line_id text NOT NULL,
        buyer_organization_id uuid NOT NULL,
        vendor_organization_id uuid NOT NULL,
        offer_id uuid NOT NULL,
        dataset_id uuid NOT NULL,
        amount bigint NOT NULL CONSTRAINT subscription_amount_check CHECK (amount > 0),
        currency char(3) NOT NULL,
        period text NOT NULL CONSTRAINT subscription_period_check CHECK (period IN ('month', 'quarter', 'year')),
        period_end timestamptz NOT NULL,
        status text NOT NULL CONSTRAINT subscription_status_check CHECK (status IN ('active', 'lapsed', 'cancelled')),
        renewals integer NOT NULL DEFAULT 0,
        CONSTRAINT subscription_line_key UNIQUE (order_id, line_id)
      )`);
    await queryRunner.query(`CREATE INDEX subscription_due_idx ON subscription (period_end) WHERE status = 'active'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['subscription', 'invoice_counter', 'invoice', 'payout', 'payment', 'top_up', 'posting', 'journal_entry', 'wallet_balance', 'account']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION ledger_append_only()`);
    await queryRunner.query(`DROP FUNCTION posting_after_insert()`);
  }
}
