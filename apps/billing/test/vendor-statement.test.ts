import 'reflect-metadata';
import { BillingSubjects, CommonErrorCode, type VendorStatementView } from '@trove/contracts';
import { splitCommission } from '@trove/licensing';
import { RpcClient } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { BillingHarness, buyer, line, LISTINGS, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const monthly = { model: 'subscription', period: 'month' } as const;
const CNY = (amount: number) => ({ amount, currency: 'CNY' });
const commissionOf = (gross: number) => splitCommission({ amount: gross, currency: 'CNY' }, 2000).commission.amount;
const shareOf = (gross: number) => gross - commissionOf(gross);

/**
 * The vendor's account statement (对账单) on the real database, asked over billing's NATS subject:
 * two months of one vendor's charges, a renewal, a refund and payouts, beside another vendor's
 * sales (one order holds lines of both). A journal entry is dated by the database's clock when
 * it is written, so the months are the moments the test reads from that clock between them.
 */
describe('billing: a vendor’s account statement ties its balance to what moved it', () => {
  let billing: BillingHarness;
  let rpc: RpcClient;
  const 数据堂 = vendor();
  const 海天瑞声 = vendor();
  const 商汤 = buyer();
  const at: Date[] = [];

  const dbNow = async (): Promise<Date> => {
    const rows = await billing.sql.query<{ now: Date }>(`SELECT clock_timestamp() AS now`);
    return new Date(rows.rows[0].now);
  };
  const statement = (caller: Caller, from: Date, to: Date): Promise<VendorStatementView> =>
    billing.as(caller, () => rpc.send(BillingSubjects.getVendorStatement, { from: from.toISOString(), to: to.toISOString(), currency: 'CNY' }));
  /** The identity every statement holds to. */
  const reconciles = (s: VendorStatementView) =>
    Number(s.opening.amount) + Number(s.sales.amount) - Number(s.commission.amount) - Number(s.refunds.amount) - Number(s.payouts.amount) === Number(s.closing.amount);

  const [corpus, cantonese, , legal, preference] = LISTINGS.map((l) => l.price);
  const renewal = 100_000;
  let payout1 = 0;
  let payout2 = 0;

  beforeAll(async () => {
    billing = await BillingHarness.start();
    rpc = billing.app.get(RpcClient);
    await billing.fund(商汤, 5_000_000);
    billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));
    at.push(await dbNow());

    // Month 1: an order of both vendors' lines, a subscription, a small order later refunded, a payout.
    await billing.payments.charge(order(商汤.organizationId, [line(数据堂.organizationId, corpus), line(海天瑞声.organizationId, cantonese)]));
    const subscription = order(商汤.organizationId, [line(数据堂.organizationId, renewal, 'CNY', monthly)]);
    await billing.payments.charge(subscription);
    const refunded = order(商汤.organizationId, [line(数据堂.organizationId, legal)]);
    await billing.payments.charge(refunded);
    payout1 = 500_000;
    await billing.wallets.approvePayout((await billing.wallets.requestPayout(数据堂, { amount: { amount: payout1, currency: 'CNY' } })).id);
    at.push(await dbNow());

    // Month 2: the subscription renews, the month-1 order is refunded, a 99-fen sale, another payout; the other vendor sells again.
    billing.clock.set(new Date('2026-04-15T02:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 1, lapsed: 0 });
    await billing.payments.refund(refunded.orderId);
    await billing.payments.charge(order(商汤.organizationId, [line(数据堂.organizationId, preference)]));
    await billing.payments.charge(order(商汤.organizationId, [line(海天瑞声.organizationId, corpus)]));
    payout2 = 300_000;
    await billing.wallets.approvePayout((await billing.wallets.requestPayout(数据堂, { amount: { amount: payout2, currency: 'CNY' } })).id);
    at.push(await dbNow());
  });

  afterAll(async () => {
    await billing?.stop();
  });

  it('shows month 1: three charges and a payout, the gross of its own lines only and the commission withheld on them', async () => {
    const s = await statement(数据堂, at[0], at[1]);
    const gross = corpus + renewal + legal;
    expect(s).toEqual({
      currency: 'CNY',
      from: at[0].toISOString(),
      to: at[1].toISOString(),
      opening: CNY(0),
      sales: CNY(gross),
      commission: CNY(commissionOf(corpus) + commissionOf(renewal) + commissionOf(legal)),
      refunds: CNY(0),
      payouts: CNY(payout1),
      closing: CNY(shareOf(corpus) + shareOf(renewal) + shareOf(legal) - payout1),
      entries: 4,
    });
    expect(reconciles(s)).toBe(true);
  });

  it('opens month 2 where month 1 closed: the renewal, the refund of a month-1 order, a 99-fen sale and a payout', async () => {
    const [first, second] = [await statement(数据堂, at[0], at[1]), await statement(数据堂, at[1], at[2])];
    expect(second.opening).toEqual(first.closing);
    expect(second).toMatchObject({
      sales: CNY(renewal + preference),
      commission: CNY(commissionOf(renewal) + commissionOf(preference)),
      refunds: CNY(shareOf(legal)),
      payouts: CNY(payout2),
      entries: 4,
    });
    expect(reconciles(second)).toBe(true);
  });

  it('adds the two months up over the whole period, and closes at what GET /v1/balance answers', async () => {
    const [first, second, whole] = [await statement(数据堂, at[0], at[1]), await statement(数据堂, at[1], at[2]), await statement(数据堂, at[0], at[2])];
    const sum = (field: 'sales' | 'commission' | 'refunds' | 'payouts') => Number(first[field].amount) + Number(second[field].amount);
    expect(whole).toMatchObject({
      opening: first.opening,
      sales: CNY(sum('sales')),
      commission: CNY(sum('commission')),
      refunds: CNY(sum('refunds')),
      payouts: CNY(sum('payouts')),
      closing: second.closing,
      entries: first.entries + second.entries,
    });
    expect(reconciles(whole)).toBe(true);
    const balance = await billing.as(数据堂, () => rpc.send(BillingSubjects.getVendorBalance, { currency: 'CNY' }));
    expect(whole.closing).toEqual(balance.balance);
    expect(whole.closing).toEqual(CNY(await billing.payable(数据堂.organizationId)));
    // Nothing happened before the first month or after the second.
    const before = await statement(数据堂, new Date(at[0].getTime() - 86_400_000), at[0]);
    expect(before).toMatchObject({ opening: CNY(0), sales: CNY(0), commission: CNY(0), refunds: CNY(0), payouts: CNY(0), closing: CNY(0), entries: 0 });
    const after = await statement(数据堂, at[2], new Date(at[2].getTime() + 86_400_000));
    expect(after).toMatchObject({ opening: whole.closing, closing: whole.closing, sales: CNY(0), entries: 0 });
  });

  it("never shows another vendor's postings, even of an order both sold in", async () => {
    const own = await statement(海天瑞声, at[0], at[2]);
    expect(own).toMatchObject({
      opening: CNY(0),
      sales: CNY(cantonese + corpus),
      commission: CNY(commissionOf(cantonese) + commissionOf(corpus)),
      refunds: CNY(0),
      payouts: CNY(0),
      closing: CNY(shareOf(cantonese) + shareOf(corpus)),
      entries: 2,
    });
    expect(own.closing).toEqual((await billing.as(海天瑞声, () => rpc.send(BillingSubjects.getVendorBalance, {}))).balance);
    // A vendor that sold nothing sees an empty statement, and a buyer is refused.
    expect(await statement(vendor(), at[0], at[2])).toMatchObject({ opening: CNY(0), sales: CNY(0), closing: CNY(0), entries: 0 });
    await expect(statement(商汤, at[0], at[2])).rejects.toMatchObject({ code: CommonErrorCode.FORBIDDEN });
    expect(await billing.violations()).toEqual([]);
  });

  it('gives an operator the statement of the vendor it names, the very one the vendor reads; a vendor never reads another', async () => {
    const operator: Caller = { organizationId: '00000000-0000-4000-8000-000000000001', role: 'admin', keyId: 'operator-key' };
    const ask = (caller: Caller, vendorOrganizationId?: string) =>
      billing.as(caller, () => rpc.send(BillingSubjects.getVendorStatement, { from: at[0].toISOString(), to: at[2].toISOString(), currency: 'CNY', ...(vendorOrganizationId ? { vendorOrganizationId } : {}) }));
    expect(await ask(operator, 数据堂.organizationId)).toEqual(await statement(数据堂, at[0], at[2]));
    expect(await ask(operator, 海天瑞声.organizationId)).toEqual(await statement(海天瑞声, at[0], at[2]));
    // An operator names the vendor; a vendor may name itself, never another.
    await expect(ask(operator)).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, errors: [{ field: 'vendorOrganizationId' }] });
    expect(await ask(数据堂, 数据堂.organizationId)).toEqual(await statement(数据堂, at[0], at[2]));
    await expect(ask(数据堂, 海天瑞声.organizationId)).rejects.toMatchObject({ code: CommonErrorCode.FORBIDDEN });
    await expect(ask(商汤, 数据堂.organizationId)).rejects.toMatchObject({ code: CommonErrorCode.FORBIDDEN });
  });

  it('refuses a period the wrong way round, longer than 366 days or without an offset over NATS too, naming the fields', async () => {
    const send = (request: Record<string, unknown>) => billing.as(数据堂, () => rpc.send(BillingSubjects.getVendorStatement, request as never));
    await expect(send({ from: at[1].toISOString(), to: at[0].toISOString() })).rejects.toMatchObject({
      code: CommonErrorCode.VALIDATION_FAILED,
      errors: [
        { field: 'from', problems: ['from must be before to'] },
        { field: 'to', problems: ['from must be before to'] },
      ],
    });
    await expect(send({ from: '2026-01-01T00:00:00Z', to: '2027-01-03T00:00:00Z' })).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED });
    await expect(send({ from: '2026-01-01T00:00:00', to: '2026-02-01T00:00:00Z' })).rejects.toMatchObject({
      code: CommonErrorCode.VALIDATION_FAILED,
      errors: [{ field: 'from', problems: [expect.stringContaining('with its offset')] }],
    });
  });
});

/**
 * An entry is dated by the start of the transaction that writes it. A payout whose transaction
 * began just before a period's end and commits after it belongs to that period: the statement of
 * the period, read meanwhile, waits for it rather than leave it out and gain it later.
 */
describe('billing: the statement of a period that has just ended is final', () => {
  let billing: BillingHarness;
  let rpc: RpcClient;
  let late: Client;
  const 标贝 = vendor();
  const 商汤 = buyer();

  const statement = (from: Date, to: Date): Promise<VendorStatementView> =>
    billing.as(标贝, () => rpc.send(BillingSubjects.getVendorStatement, { from: from.toISOString(), to: to.toISOString(), currency: 'CNY' }));

  /** Opens a transaction that will post a payout of `amount` to 标贝, dated by its start; returns that start. */
  const beginPayout = async (amount: number): Promise<{ began: Date; commit: () => Promise<void> }> => {
    await late.query('BEGIN');
    const began = new Date((await late.query<{ now: Date }>('SELECT now()')).rows[0].now);
    const commit = async () => {
      const accounts = await late.query<{ id: string; type: string }>(
        `SELECT id, type FROM account WHERE currency = 'CNY' AND ((type = 'vendor_payable' AND organization_id = $1) OR (type = 'bank_clearing' AND organization_id IS NULL))`,
        [标贝.organizationId],
      );
      const id = (type: string) => accounts.rows.find((a) => a.type === type)!.id;
      const entryId = randomUUID();
      await late.query(`INSERT INTO journal_entry (id, kind, currency, amount, source_id, memo) VALUES ($1, 'payout', 'CNY', $2, $3, '标贝 月结打款 / monthly payout')`, [entryId, amount, randomUUID()]);
      await late.query(`INSERT INTO posting (entry_id, account_id, currency, amount) VALUES ($1, $2, 'CNY', $3), ($1, $4, 'CNY', $5)`, [entryId, id('vendor_payable'), amount, id('bank_clearing'), -amount]);
      await late.query('COMMIT');
    };
    return { began, commit };
  };

  beforeAll(async () => {
    billing = await BillingHarness.start();
    rpc = billing.app.get(RpcClient);
    await billing.fund(商汤, 5_000_000);
    await billing.payments.charge(order(商汤.organizationId, [line(标贝.organizationId, LISTINGS[0].price)]));
    // The bank has paid a vendor before, so its clearing account exists.
    await billing.wallets.approvePayout((await billing.wallets.requestPayout(标贝, { amount: { amount: 1_000, currency: 'CNY' } })).id);
    late = new Client({ connectionString: billing.db.url });
    await late.connect();
  });

  afterAll(async () => {
    await late?.end();
    await billing?.stop();
  });

  it('waits for a payout begun before the end and committed after it, and counts it', async () => {
    const from = new Date(Date.now() - 3_600_000);
    const payout = await beginPayout(20_000);
    const end = new Date(payout.began.getTime() + 1);
    await sleep(50);
    const reading = statement(from, end);
    await sleep(400);
    await payout.commit();
    const read = await reading;
    expect(read).toMatchObject({ payouts: CNY(1_000 + 20_000), entries: 3 });
    // Read again afterwards, the period says the same.
    expect(await statement(from, end)).toEqual(read);
  });

  it('answers 503 when such a transaction is still open after 2 seconds, and a period not yet ended at once', async () => {
    const from = new Date(Date.now() - 3_600_000);
    const payout = await beginPayout(30_000);
    try {
      const end = new Date(payout.began.getTime() + 1);
      await sleep(50);
      await expect(statement(from, end)).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE });
      // Today's statement is read as it stands: the period has not ended.
      expect(await statement(from, new Date(Date.now() + 3_600_000))).toMatchObject({ payouts: CNY(21_000) });
    } finally {
      await payout.commit();
    }
  });
});
