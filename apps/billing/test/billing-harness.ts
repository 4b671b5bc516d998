import type { Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { CurrencyCode } from '@trove/licensing';
import { RequestContext, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { Clock } from '../src/clock';
import { InvoicesService } from '../src/invoices/invoices.service';
import { PaymentsService, type OrderLineToCharge, type OrderToCharge } from '../src/payments/payments.service';
import { Standing } from '../src/standing';
import { SubscriptionsService } from '../src/subscriptions/subscriptions.service';
import { WalletsService } from '../src/wallets/wallets.service';
import { connectNats, deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { createAppDatabase, type TestDatabase } from '../../../test/support/postgres';
import { withEnv } from '../../../test/support/env';
import { waitFor } from '../../../test/support/processes';

/** Billing's time in a test: it moves only when the test says so. */
export class MovableClock extends Clock {
  private at = new Date('2026-03-15T02:00:00.000Z');
  private stepMs = 0;

  /** The time set; with a step, each reading is `stepMs` later than the one before, as real time runs on during work. */
  override now(): Date {
    const now = new Date(this.at);
    this.at = new Date(this.at.getTime() + this.stepMs);
    return now;
  }

  set(at: Date, stepMs = 0): void {
    this.at = new Date(at);
    this.stepMs = stepMs;
  }
}

export const buyer = (): Caller => ({ organizationId: randomUUID(), role: 'buyer', keyId: randomUUID() });
export const vendor = (): Caller => ({ organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() });
export const OPERATOR: Caller = { organizationId: '00000000-0000-4000-8000-000000000001', role: 'admin', keyId: 'operator' };

/** Listings as they sell on the market: title, then a price in fen. */
export const LISTINGS = [
  { title: '普通话朗读语音 200 小时 / Mandarin read speech 200 h', price: 1_280_000 },
  { title: '粤语客服对话录音 80 小时 / Cantonese call-centre audio', price: 459_900 },
  { title: '自动驾驶路测视频 3D 框标注 / driving video with 3D boxes', price: 12_800_000 },
  { title: '中文法律文书 SFT 5 万条 / legal SFT pairs', price: 129_900 },
  { title: '中英偏好对 RLHF 3 万对 / zh-en preference pairs', price: 99 },
] as const;

export function line(vendorOrganizationId: string, price: number, currency: CurrencyCode = 'CNY', pricing: OrderLineToCharge['pricing'] = { model: 'one_time' }): OrderLineToCharge {
  return { lineId: randomUUID(), offerId: randomUUID(), datasetId: randomUUID(), vendorOrganizationId, price: { amount: price, currency }, pricing };
}

export function order(buyerOrganizationId: string, lines: OrderLineToCharge[]): OrderToCharge {
  return { orderId: randomUUID(), buyerOrganizationId, lines, placedAt: new Date().toISOString() };
}

/**
 * The billing app in this process on a database and NATS namespace of its own, with a clock
 * the test moves; `providers` replace the app's (a broken refund, say).
 */
export class BillingHarness {
  readonly namespace = newNamespace();
  readonly clock = new MovableClock();
  db!: TestDatabase;
  app!: TestingModule;
  sql!: Client;

  static async start(overrides: { provide: Type<unknown>; useValue: unknown }[] = [], env: Record<string, string> = {}): Promise<BillingHarness> {
    const harness = new BillingHarness();
    harness.db = await createAppDatabase('billing', 'ledger');
    harness.app = await harness.boot(overrides, env);
    await harness.caughtUp();
    harness.sql = new Client({ connectionString: harness.db.url });
    await harness.sql.connect();
    return harness;
  }

  /**
   * Billing stopped, `whileDown` run (events published meanwhile wait in the stream), and billing
   * started again on the same database and stream; resolves once it has caught up with them,
   * or at once with `{ caughtUp: false }`.
   */
  async restart(whileDown: () => Promise<void> = async () => undefined, options: { caughtUp?: boolean } = {}): Promise<void> {
    await this.app.close();
    await whileDown();
    this.app = await this.boot(this.overrides, this.env);
    if (options.caughtUp !== false) await this.caughtUp();
  }

  /** Resolves once billing has applied what waited for it at its start (payouts and renewals wait for that). */
  async caughtUp(): Promise<void> {
    await waitFor('billing to catch up since its start', async () => this.app.get(Standing).caughtUp, 15_000);
  }

  private overrides: { provide: Type<unknown>; useValue: unknown }[] = [];
  private env: Record<string, string> = {};

  private boot(overrides: { provide: Type<unknown>; useValue: unknown }[], env: Record<string, string>): Promise<TestingModule> {
    [this.overrides, this.env] = [overrides, env];
    return withEnv({ DATABASE_URL: this.db.url, NATS_URL, TROVE_NAMESPACE: this.namespace, LOG_LEVEL: 'silent', ...env }, async () => {
      let builder = Test.createTestingModule({ imports: [AppModule] })
        .overrideProvider(Clock)
        .useValue(this.clock);
      for (const o of overrides) builder = builder.overrideProvider(o.provide).useValue(o.useValue);
      const app = await builder.setLogger({ log() {}, warn() {}, error: (...args: unknown[]) => process.env.TROVE_TEST_VERBOSE && console.error(...args) }).compile();
      await app.init();
      return app;
    });
  }

  get payments(): PaymentsService {
    return this.app.get(PaymentsService);
  }

  get wallets(): WalletsService {
    return this.app.get(WalletsService);
  }

  get invoices(): InvoicesService {
    return this.app.get(InvoicesService);
  }

  get subscriptions(): SubscriptionsService {
    return this.app.get(SubscriptionsService);
  }

  /** Work as the gateway would send it: `caller` in the request context. */
  as<T>(caller: Caller, work: () => Promise<T>): Promise<T> {
    return RequestContext.run({ correlationId: randomUUID(), caller }, work);
  }

  /** A bank transfer announced and confirmed: the wallet holds `amount` more. */
  async fund(caller: Caller, amount: number, currency: CurrencyCode = 'CNY'): Promise<string> {
    const topUp = await this.wallets.recordTopUp(caller, { amount: { amount, currency }, reference: `招商银行 CMB-${randomUUID().slice(0, 8)}` });
    await this.wallets.confirmTopUp(topUp.id);
    return topUp.id;
  }

  async walletBalance(organizationId: string, currency: CurrencyCode = 'CNY'): Promise<number> {
    const rows = await this.sql.query<{ balance: string }>(
      `SELECT b.balance FROM wallet_balance b JOIN account a ON a.id = b.account_id WHERE a.type = 'wallet' AND a.organization_id = $1 AND a.currency = $2`,
      [organizationId, currency],
    );
    return Number(rows.rows[0]?.balance ?? 0);
  }

  async payable(organizationId: string, currency: CurrencyCode = 'CNY'): Promise<number> {
    const rows = await this.sql.query<{ total: string }>(
      `SELECT -coalesce(sum(p.amount), 0) AS total FROM posting p JOIN account a ON a.id = p.account_id WHERE a.type = 'vendor_payable' AND a.organization_id = $1 AND a.currency = $2`,
      [organizationId, currency],
    );
    return Number(rows.rows[0].total);
  }

  /** Every broken rule of the ledger, in words: empty when all hold. */
  async violations(): Promise<string[]> {
    const found: string[] = [];
    const q = async (label: string, text: string) => {
      const rows = (await this.sql.query(text)).rows as Record<string, unknown>[];
      for (const row of rows) found.push(`${label}: ${JSON.stringify(row)}`);
    };
    await q('entry does not sum to zero', `SELECT entry_id, currency, sum(amount)::text AS total FROM posting GROUP BY entry_id, currency HAVING sum(amount) <> 0`);
    await q('entry without postings', `SELECT e.id FROM journal_entry e WHERE NOT EXISTS (SELECT 1 FROM posting p WHERE p.entry_id = e.id)`);
    await q(
      'wallet balance differs from its postings',
      `SELECT b.account_id, b.balance::text, (-coalesce(sum(p.amount), 0))::text AS postings FROM wallet_balance b LEFT JOIN posting p ON p.account_id = b.account_id
        GROUP BY b.account_id, b.balance HAVING b.balance <> -coalesce(sum(p.amount), 0)`,
    );
    await q('wallet below zero', `SELECT account_id, balance::text FROM wallet_balance WHERE balance < 0`);
    await q(
      'captured order without exactly one charge',
      `SELECT p.order_id, count(e.id) AS charges FROM payment p LEFT JOIN journal_entry e ON e.order_id = p.order_id AND e.kind = 'charge'
        WHERE p.status IN ('captured', 'refunded') GROUP BY p.order_id HAVING count(e.id) <> 1`,
    );
    await q(
      'declined order with a charge',
      `SELECT p.order_id FROM payment p JOIN journal_entry e ON e.order_id = p.order_id AND e.kind = 'charge' WHERE p.status = 'declined'`,
    );
    await q(
      'refunded order without a reversal',
      `SELECT p.order_id FROM payment p WHERE p.status = 'refunded'
          AND NOT EXISTS (SELECT 1 FROM journal_entry r WHERE r.kind = 'refund' AND r.reverses_entry_id = p.entry_id)`,
    );
    // A reversal turns every posting of its charge around on the same account: per account, the two sum to zero.
    await q(
      'reversal does not mirror its charge',
      `SELECT r.id AS refund, x.account_id, x.total::text FROM journal_entry r
         JOIN LATERAL (SELECT account_id, sum(amount) AS total FROM posting WHERE entry_id IN (r.id, r.reverses_entry_id) GROUP BY account_id HAVING sum(amount) <> 0) x ON true
        WHERE r.kind = 'refund'`,
    );
    await q('invoice net + tax is not gross', `SELECT id FROM invoice WHERE net + tax <> gross`);
    await q(
      'charge without an invoice',
      `SELECT e.id FROM journal_entry e WHERE e.kind IN ('charge', 'renewal') AND NOT EXISTS (SELECT 1 FROM invoice i WHERE i.entry_id = e.id)`,
    );
    await q('trial balance is not zero', `SELECT currency, sum(amount)::text AS total FROM posting GROUP BY currency HAVING sum(amount) <> 0`);
    return found;
  }

  async stop(): Promise<void> {
    await this.sql?.end();
    await this.app?.close();
    await this.db?.drop();
    await deleteStream(this.namespace);
  }
}

/**
 * Billing and a NATS connection of the test's own for the enclosing `describe`: started before
 * its tests, stopped after them. Read them inside the tests (`running.billing`, `running.nc`).
 */
export function billingAndNats(): { readonly billing: BillingHarness; readonly nc: NatsConnection } {
  const running = {} as { billing: BillingHarness; nc: NatsConnection };
  beforeAll(async () => {
    running.billing = await BillingHarness.start();
    running.nc = await connectNats();
  });
  afterAll(async () => {
    await running.nc?.close();
    await running.billing?.stop();
  });
  return running;
}
