import 'reflect-metadata';
import { BillingErrorCode, BillingSubjects, CommonErrorCode } from '@trove/contracts';
import { RpcClient } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { splitCommission, splitTaxIncluded } from '@trove/licensing';
import { ServiceException } from '@trove/platform';
import { BillingHarness, buyer, line, LISTINGS, OPERATOR, order, vendor } from './billing-harness';

jest.setTimeout(60_000);

describe('billing: the charge path on the real database', () => {
  let billing: BillingHarness;

  beforeAll(async () => {
    billing = await BillingHarness.start();
  });

  afterAll(async () => {
    await billing?.stop();
  });

  afterEach(async () => {
    expect(await billing.violations()).toEqual([]);
  });

  it('debits the wallet by the price, credits the vendor the price minus 20 % and issues an invoice whose net + tax is the gross', async () => {
    const 国网 = buyer();
    const 数据堂 = vendor();
    await billing.fund(国网, 2_000_000);
    const price = LISTINGS[0].price; // 12,800.00 yuan
    const purchase = order(国网.organizationId, [line(数据堂.organizationId, price)]);

    const outcome = await billing.payments.charge(purchase);

    expect(outcome).toMatchObject({ outcome: 'captured' });
    expect(await billing.walletBalance(国网.organizationId)).toBe(2_000_000 - price);
    expect(await billing.payable(数据堂.organizationId)).toBe(price - splitCommission({ amount: price, currency: 'CNY' }, 2000).commission.amount);
    expect(await billing.payable(数据堂.organizationId)).toBe(1_024_000);
    expect(await billing.as(国网, () => billing.wallets.wallet(国网))).toMatchObject({ balance: { amount: 2_000_000 - price, currency: 'CNY' } });
    expect(await billing.wallets.vendorBalance(数据堂)).toMatchObject({ balance: { amount: 1_024_000, currency: 'CNY' } });

    const page = await billing.invoices.list(国网, {});
    expect(page.items).toHaveLength(1);
    const invoice = await billing.invoices.get(国网, page.items[0].id);
    const split = splitTaxIncluded({ amount: price, currency: 'CNY' }, 600);
    expect(invoice).toMatchObject({ orderId: purchase.orderId, gross: { amount: price, currency: 'CNY' }, tax: split.tax, net: split.net, taxRateBp: 600 });
    expect(invoice.net.amount + invoice.tax.amount).toBe(invoice.gross.amount);
    expect(invoice.number).toMatch(/^2026-\d{6}$/);
    expect(invoice.lines).toEqual([expect.objectContaining({ lineId: purchase.lines[0].lineId, gross: { amount: price, currency: 'CNY' } })]);
  });

  it('splits a two-vendor order line by line: each vendor its own share, the platform and the tax office the rest, to the fen', async () => {
    const 商汤 = buyer();
    const [a, b] = [vendor(), vendor()];
    await billing.fund(商汤, 500_000);
    const purchase = order(商汤.organizationId, [line(a.organizationId, LISTINGS[3].price), line(b.organizationId, LISTINGS[4].price), line(a.organizationId, 1)]);
    const before = await billing.wallets.trialBalance();

    await billing.payments.charge(purchase);

    expect(await billing.walletBalance(商汤.organizationId)).toBe(500_000 - 129_900 - 99 - 1);
    expect(await billing.payable(a.organizationId)).toBe(103_920 + 1); // 20 % of 0.01 rounds to nothing
    expect(await billing.payable(b.organizationId)).toBe(79);
    const after = await billing.wallets.trialBalance();
    expect(after.total).toBe(0);
    const tax = (t: typeof after) => Number(t.accounts.find((r) => r.type === 'tax_payable')?.credit ?? 0);
    expect(tax(after) - tax(before)).toBe(7_353 + 6 + 0);
    const [invoice] = (await billing.invoices.list(商汤, {})).items;
    expect(invoice.lines.map((l) => l.tax.amount)).toEqual([7_353, 6, 0]);
    expect(invoice.tax.amount).toBe(7_359);
  });

  it('declines an order the wallet cannot cover, posts nothing, and gives the same answer when the order comes again', async () => {
    const 小米 = buyer();
    const 标贝 = vendor();
    await billing.fund(小米, 100_000);
    const purchase = order(小米.organizationId, [line(标贝.organizationId, LISTINGS[1].price)]);
    const entries = async () => Number((await billing.sql.query(`SELECT count(*) AS n FROM journal_entry`)).rows[0].n);
    const before = await entries();

    expect(await billing.payments.charge(purchase)).toEqual({ outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' });
    // Money arrives; the order was answered already and stays declined.
    await billing.fund(小米, 1_000_000);
    expect(await billing.payments.charge(purchase)).toEqual({ outcome: 'declined', reason: 'INSUFFICIENT_FUNDS' });

    expect(await entries()).toBe(before + 1); // the second top-up only
    expect(await billing.walletBalance(小米.organizationId)).toBe(1_100_000);
    const events = await billing.sql.query(`SELECT subject, payload FROM outbox WHERE subject LIKE '%payment.declined%' AND payload->>'orderId' = $1`, [purchase.orderId]);
    expect(events.rows).toHaveLength(2);
  });

  it('charges an order placed twice once, and answers the second time with the first payment', async () => {
    const 百度 = buyer();
    const 海天瑞声 = vendor();
    await billing.fund(百度, 1_000_000);
    const purchase = order(百度.organizationId, [line(海天瑞声.organizationId, LISTINGS[1].price)]);
    const first = await billing.payments.charge(purchase);
    const again = await billing.payments.charge(purchase);
    expect(again).toEqual(first);
    expect(await billing.walletBalance(百度.organizationId)).toBe(1_000_000 - LISTINGS[1].price);
  });

  it('refunds with a new reversing entry, never an edit, once; an order never charged is ORDER_NOT_PAID', async () => {
    const 科大讯飞 = buyer();
    const 澳鹏 = vendor();
    await billing.fund(科大讯飞, 1_000_000);
    const purchase = order(科大讯飞.organizationId, [line(澳鹏.organizationId, LISTINGS[1].price)]);
    const charge = await billing.payments.charge(purchase);
    const chargeRows = (await billing.sql.query(`SELECT * FROM posting WHERE entry_id = $1 ORDER BY id`, [charge.outcome === 'captured' ? charge.paymentId : null])).rows;

    const refund = await billing.payments.refund(purchase.orderId);
    expect(await billing.payments.refund(purchase.orderId)).toEqual(refund);

    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(1_000_000);
    expect(await billing.payable(澳鹏.organizationId)).toBe(0);
    expect((await billing.sql.query(`SELECT * FROM posting WHERE entry_id = $1 ORDER BY id`, [charge.outcome === 'captured' ? charge.paymentId : null])).rows).toEqual(chargeRows);
    await expect(billing.payments.refund(order(科大讯飞.organizationId, []).orderId)).rejects.toMatchObject({ code: BillingErrorCode.ORDER_NOT_PAID, status: 409 });
  });

  it('confirms a top-up once: a second confirmation answers the same and credits nothing', async () => {
    const 智谱 = buyer();
    const topUp = await billing.wallets.recordTopUp(智谱, { amount: { amount: 5_000_000, currency: 'CNY' }, reference: '工商银行 ICBC-7781' });
    expect(topUp).toMatchObject({ status: 'pending', amount: { amount: 5_000_000, currency: 'CNY' } });
    expect(await billing.walletBalance(智谱.organizationId)).toBe(0);
    const first = await billing.wallets.confirmTopUp(topUp.id);
    const second = await billing.wallets.confirmTopUp(topUp.id);
    expect(second).toEqual(first);
    expect(first.status).toBe('confirmed');
    expect(await billing.walletBalance(智谱.organizationId)).toBe(5_000_000);
  });

  it('pays a vendor out no more than it is owed, counting payouts still waiting for approval', async () => {
    const 云从 = buyer();
    const 数据堂 = vendor();
    await billing.fund(云从, 1_000_000);
    await billing.payments.charge(order(云从.organizationId, [line(数据堂.organizationId, 500_000)])); // owes 400,000

    await expect(billing.wallets.requestPayout(数据堂, { amount: { amount: 400_001, currency: 'CNY' } })).rejects.toMatchObject({
      code: BillingErrorCode.PAYOUT_EXCEEDS_BALANCE,
    });
    const payout = await billing.wallets.requestPayout(数据堂, { amount: { amount: 300_000, currency: 'CNY' } });
    await expect(billing.wallets.requestPayout(数据堂, { amount: { amount: 100_001, currency: 'CNY' } })).rejects.toBeInstanceOf(ServiceException);
    expect(await billing.payable(数据堂.organizationId)).toBe(400_000);
    const paid = await billing.wallets.approvePayout(payout.id);
    expect(paid.status).toBe('paid');
    expect(await billing.wallets.approvePayout(payout.id)).toEqual(paid);
    expect(await billing.payable(数据堂.organizationId)).toBe(100_000);
    await expect(billing.wallets.approvePayout('00000000-0000-4000-8000-00000000dead')).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND });
  });

  it("never shows a buyer another buyer's invoice", async () => {
    const [mine, theirs] = [buyer(), buyer()];
    await billing.fund(mine, 200_000);
    await billing.payments.charge(order(mine.organizationId, [line(vendor().organizationId, 129_900)]));
    const [invoice] = (await billing.invoices.list(mine, {})).items;
    await expect(billing.invoices.get(theirs, invoice.id)).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND, status: 404 });
    expect((await billing.invoices.list(theirs, {})).items).toEqual([]);
    expect(await billing.invoices.get(OPERATOR, invoice.id)).toMatchObject({ id: invoice.id });
    expect(await billing.wallets.wallet(theirs)).toEqual({ balance: { amount: 0, currency: 'CNY' }, balances: [] });
  });

  it('answers the operators\' subjects over NATS: trial balance, sales per currency, renewals', async () => {
    const rpc = billing.app.get(RpcClient);
    const 腾讯 = buyer();
    await billing.fund(腾讯, 300_000, 'HKD');
    await billing.payments.charge(order(腾讯.organizationId, [line(vendor().organizationId, 250_000, 'HKD')]));
    const trial = await billing.as(OPERATOR, () => rpc.send(BillingSubjects.trialBalance, {}));
    expect(trial.total).toBe(0);
    expect(trial.totals.every((t) => t.total === 0)).toBe(true);
    const hkd = await billing.as(OPERATOR, () => rpc.send(BillingSubjects.trialBalance, { currency: 'HKD' }));
    expect(hkd.accounts.map((a) => a.type).sort()).toEqual(['bank_clearing', 'platform_revenue', 'tax_payable', 'vendor_payable', 'wallet']);
    expect(hkd.accounts.find((a) => a.type === 'wallet')).toMatchObject({ debit: 250_000, credit: 300_000, net: -50_000 });
    const sales = await billing.as(OPERATOR, () => rpc.send(BillingSubjects.salesStats, { currency: 'HKD' }));
    expect(sales.salesPerCurrency).toEqual([{ currency: 'HKD', gross: 250_000, refunded: 0, net: 250_000, payments: 1, refunds: 0 }]);
    const renewals = await billing.as(OPERATOR, () => rpc.send(BillingSubjects.renewSubscriptions, {}, { idempotencyKey: randomUUID() }));
    expect(renewals).toEqual({ renewed: 0, lapsed: 0 });
    await expect(billing.as(腾讯, () => rpc.send(BillingSubjects.trialBalance, {}))).rejects.toMatchObject({ code: CommonErrorCode.FORBIDDEN });
  });

  it('renews a subscription when the clock passes its period end, then lets it lapse when the wallet runs dry', async () => {
    const 阿里 = buyer();
    const 标贝 = vendor();
    billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
    await billing.fund(阿里, 250_000);
    const subscription = order(阿里.organizationId, [line(标贝.organizationId, 100_000, 'CNY', { model: 'subscription', period: 'month' })]);
    await billing.payments.charge(subscription);
    const events = async () =>
      (await billing.sql.query(`SELECT subject, payload FROM outbox WHERE subject LIKE 'evt.billing.subscription.%' AND payload->>'orderId' = $1 ORDER BY occurred_at`, [subscription.orderId])).rows.map(
        (r) => [r.subject, r.payload.periodEnd ?? null],
      );

    billing.clock.set(new Date('2026-02-27T00:00:00.000Z'));
    await billing.subscriptions.renewDue();
    expect(await events()).toEqual([]);
    billing.clock.set(new Date('2026-02-28T04:00:00.000Z')); // 31 January + 1 month
    await billing.subscriptions.renewDue();
    expect(await billing.walletBalance(阿里.organizationId)).toBe(50_000);
    // Two months from 31 January: the last day of March, not 28 February + 1 month.
    expect(await events()).toEqual([['evt.billing.subscription.renewed.v1', '2026-03-31T04:00:00.000Z']]);
    billing.clock.set(new Date('2026-03-28T04:00:00.000Z'));
    await billing.subscriptions.renewDue();
    expect(await events()).toHaveLength(1);
    billing.clock.set(new Date('2026-03-31T04:00:00.000Z'));
    await billing.subscriptions.renewDue();
    await billing.subscriptions.renewDue();
    const after = await events();
    expect(after).toHaveLength(2);
    expect(after).toEqual(expect.arrayContaining([['evt.billing.subscription.lapsed.v1', null]]));
    expect(await billing.walletBalance(阿里.organizationId)).toBe(50_000);
    expect((await billing.invoices.list(阿里, {})).items).toHaveLength(2);
    billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));
  });

  it('renews the subscriptions due after one it cannot renew, and renews that one once it can', async () => {
    const [智谱, 百川] = [buyer(), buyer()];
    const 数据堂 = vendor();
    const monthly = (who: { organizationId: string }) => order(who.organizationId, [line(数据堂.organizationId, 100_000, 'CNY', { model: 'subscription', period: 'month' })]);
    await billing.fund(智谱, 200_000);
    await billing.fund(百川, 200_000);
    billing.clock.set(new Date('2026-04-01T04:00:00.000Z'));
    const stuck = monthly(智谱);
    await billing.payments.charge(stuck);
    billing.clock.set(new Date('2026-04-01T05:00:00.000Z'));
    const next = monthly(百川);
    await billing.payments.charge(next);
    const [{ id: stuckId }] = (await billing.sql.query(`SELECT id FROM subscription WHERE order_id = $1`, [stuck.orderId])).rows;
    // The oldest due subscription cannot be written (a fault of its own row); the next one can.
    await billing.sql.query(`CREATE FUNCTION refuse_one_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF OLD.id = '${stuckId}' THEN RAISE EXCEPTION 'could not extend tablespace file for subscription %', OLD.id; END IF; RETURN NEW; END $$`);
    await billing.sql.query(`CREATE TRIGGER refuse_one_subscription BEFORE UPDATE ON subscription FOR EACH ROW EXECUTE FUNCTION refuse_one_subscription()`);
    const periodEnd = async (orderId: string) => ((await billing.sql.query(`SELECT period_end FROM subscription WHERE order_id = $1`, [orderId])).rows[0].period_end as Date).toISOString();
    try {
      billing.clock.set(new Date('2026-05-01T06:00:00.000Z'));
      expect(await billing.subscriptions.renewDue()).toEqual({ renewed: 1, lapsed: 0 });
      expect([await periodEnd(stuck.orderId), await periodEnd(next.orderId)]).toEqual(['2026-05-01T04:00:00.000Z', '2026-06-01T05:00:00.000Z']);
      expect([await billing.walletBalance(智谱.organizationId), await billing.walletBalance(百川.organizationId)]).toEqual([100_000, 0]);
    } finally {
      await billing.sql.query(`DROP TRIGGER refuse_one_subscription ON subscription`);
      await billing.sql.query(`DROP FUNCTION refuse_one_subscription()`);
    }
    expect(await billing.subscriptions.renewDue()).toEqual({ renewed: 1, lapsed: 0 });
    expect(await periodEnd(stuck.orderId)).toBe('2026-06-01T04:00:00.000Z');
    expect(await billing.walletBalance(智谱.organizationId)).toBe(0);
    billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));
  });

  it('numbers invoices gaplessly per year in the order they were written, off the purchase path', async () => {
    const 字节 = buyer();
    const v = vendor();
    await billing.fund(字节, 10_000_000);
    await Promise.all(Array.from({ length: 20 }, () => billing.payments.charge(order(字节.organizationId, [line(v.organizationId, 9_900)]))));
    await billing.invoices.numberPending();
    const rows = (await billing.sql.query(`SELECT year, number FROM invoice ORDER BY seq`)).rows as { year: number; number: number }[];
    expect(rows.every((r) => r.year === 2026)).toBe(true);
    expect(rows.map((r) => r.number)).toEqual(rows.map((_, i) => i + 1));
  });

  it('keeps each year\'s numbers gapless when numbering passes run while purchases commit, across new year in China', async () => {
    const 京东 = buyer();
    const v = vendor();
    await billing.fund(京东, 10_000_000);
    const purchases = (count: number) => Array.from({ length: count }, () => billing.payments.charge(order(京东.organizationId, [line(v.organizationId, 1_000)])));
    billing.clock.set(new Date('2026-12-31T15:59:00.000Z')); // 23:59 on 31 December in Beijing
    await Promise.all([...purchases(6), billing.invoices.numberPending(), billing.invoices.numberPending()]);
    billing.clock.set(new Date('2026-12-31T16:01:00.000Z')); // 00:01 on 1 January 2027 in Beijing
    await Promise.all([...purchases(6), billing.invoices.numberPending(), ...purchases(3), billing.invoices.numberPending()]);
    await billing.invoices.numberPending();
    billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));

    const rows = (await billing.sql.query(`SELECT year, number FROM invoice WHERE buyer_organization_id = $1`, [京东.organizationId])).rows as { year: number; number: number | null }[];
    expect(rows.filter((r) => r.year === 2026)).toHaveLength(6);
    expect(rows.filter((r) => r.year === 2027)).toHaveLength(9);
    for (const year of [2026, 2027]) {
      const numbers = ((await billing.sql.query(`SELECT number FROM invoice WHERE year = $1 ORDER BY number`, [year])).rows as { number: number | null }[]).map((r) => r.number);
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
      const counter = (await billing.sql.query(`SELECT last FROM invoice_counter WHERE year = $1`, [year])).rows[0] as { last: number };
      expect(counter.last).toBe(numbers.length);
    }
    const view = await billing.invoices.list(京东, {});
    expect(view.items.map((i) => i.number?.slice(0, 5)).sort()).toEqual([...Array(6).fill('2026-'), ...Array(9).fill('2027-')]);
  });
});

describe('billing: the rules the database keeps on its own', () => {
  let billing: BillingHarness;

  beforeAll(async () => {
    billing = await BillingHarness.start();
  });

  afterAll(async () => {
    await billing?.stop();
  });

  it('refuses an entry whose postings do not sum to zero, an edit or deletion of a posting, and a wallet below zero', async () => {
    const 美团 = buyer();
    await billing.fund(美团, 10_000);
    const wallet = (await billing.sql.query(`SELECT id FROM account WHERE type = 'wallet' AND organization_id = $1`, [美团.organizationId])).rows[0].id as string;
    const bank = (await billing.sql.query(`SELECT id FROM account WHERE type = 'bank_clearing'`)).rows[0].id as string;
    const entry = async (amount: number, postings: [string, number][], currencies: { entry: string; postings: string } = { entry: 'CNY', postings: 'CNY' }) => {
      await billing.sql.query('BEGIN');
      try {
        const id = (await billing.sql.query(`INSERT INTO journal_entry (id, kind, currency, amount) VALUES (gen_random_uuid(), 'top_up', $2, $1) RETURNING id`, [amount, currencies.entry])).rows[0].id;
        const values = postings.map((_, i) => `($1, $${i * 2 + 2}::uuid, '${currencies.postings}', $${i * 2 + 3}::bigint)`).join(', ');
        await billing.sql.query(`INSERT INTO posting (entry_id, account_id, currency, amount) VALUES ${values}`, [id, ...postings.flat()]);
        await billing.sql.query('COMMIT');
      } catch (error) {
        await billing.sql.query('ROLLBACK');
        throw error;
      }
    };

    await expect(entry(500, [[bank, 500], [wallet, -499]])).rejects.toMatchObject({ constraint: 'posting_entry_balanced' });
    // Every posting is in its account's currency and its entry's, and to an account that exists.
    const usdBank = (await billing.sql.query(`INSERT INTO account (id, type, organization_id, currency) VALUES (gen_random_uuid(), 'bank_clearing', NULL, 'USD') RETURNING id`)).rows[0].id as string;
    await expect(entry(500, [[bank, 500], [wallet, -500]], { entry: 'USD', postings: 'USD' })).rejects.toMatchObject({ constraint: 'posting_account_currency' });
    await expect(entry(500, [[usdBank, 500], [wallet, -500]])).rejects.toMatchObject({ constraint: 'posting_account_currency' });
    await expect(entry(500, [[usdBank, 500], [usdBank, -500]])).rejects.toMatchObject({ constraint: 'posting_account_currency' });
    await expect(entry(500, [[randomUUID(), 500], [wallet, -500]])).rejects.toMatchObject({ constraint: 'posting_account_currency' });
    await entry(500, [[usdBank, 500], [usdBank, -500]], { entry: 'USD', postings: 'USD' });
    // Taking 10,001 fen out of a wallet holding 10,000: the wallet's CHECK refuses it.
    await expect(entry(10_001, [[wallet, 10_001], [bank, -10_001]])).rejects.toMatchObject({ constraint: 'wallet_balance_never_negative' });
    await expect(billing.sql.query(`UPDATE posting SET amount = amount * 2`)).rejects.toThrow(/append-only/);
    await expect(billing.sql.query(`DELETE FROM posting`)).rejects.toThrow(/append-only/);
    await expect(billing.sql.query(`DELETE FROM journal_entry`)).rejects.toThrow(/append-only/);
    await expect(billing.sql.query(`TRUNCATE posting CASCADE`)).rejects.toThrow(/append-only/);
    await expect(billing.sql.query(`UPDATE wallet_balance SET balance = -1`)).rejects.toMatchObject({ constraint: 'wallet_balance_never_negative' });
    expect(await billing.walletBalance(美团.organizationId)).toBe(10_000);
    expect(await billing.violations()).toEqual([]);
  });

  it('takes no lock on a shared row for a purchase: the platform and tax accounts have no balance row', async () => {
    const platformRows = await billing.sql.query(
      `SELECT a.type FROM wallet_balance b JOIN account a ON a.id = b.account_id WHERE a.type <> 'wallet'`,
    );
    expect(platformRows.rows).toEqual([]);
    const foreignKeys = await billing.sql.query(`SELECT conname FROM pg_constraint WHERE conrelid = 'posting'::regclass AND contype = 'f'`);
    expect(foreignKeys.rows.map((r) => r.conname)).toEqual(['posting_entry_fk']);
  });
});

describe('billing: a page of invoices read while a charge commits', () => {
  let billing: BillingHarness;

  beforeAll(async () => {
    // Numbering only when a read asks for it: the timer and the pass after a commit wait an hour.
    billing = await BillingHarness.start([], { INVOICE_NUMBERING_MS: String(3600 * 1000) });
  });

  afterAll(async () => {
    await billing?.stop();
  });

  it('shows every document with its number, also one whose charge (or refund) committed after the pending ones were numbered and before the page was read', async () => {
    const 京东 = buyer();
    const 数据堂 = vendor();
    await billing.fund(京东, 2_000_000);
    billing.clock.set(new Date('2026-03-15T02:00:00.000Z'));
    await billing.payments.charge(order(京东.organizationId, [line(数据堂.organizationId, LISTINGS[3].price)]));
    const numberPending = billing.invoices.numberPending.bind(billing.invoices);
    // The list numbers what is pending; right after that pass, a purchase commits and is refunded.
    const late = order(京东.organizationId, [line(数据堂.organizationId, LISTINGS[4].price)]);
    const spy = jest.spyOn(billing.invoices, 'numberPending').mockImplementationOnce(async () => {
      const numbered = await numberPending();
      billing.clock.set(new Date('2026-03-16T02:00:00.000Z'));
      await billing.payments.charge(late);
      billing.clock.set(new Date('2026-03-17T02:00:00.000Z'));
      await billing.payments.refund(late.orderId);
      return numbered;
    });
    try {
      const page = await billing.invoices.list(京东, {});

      expect(spy).toHaveBeenCalled();
      expect(page.items.map((d) => [d.kind, d.orderId === late.orderId])).toEqual([
        ['credit_note', true],
        ['invoice', true],
        ['invoice', false],
      ]);
      const [note, invoice, first] = page.items;
      expect(first.number).toMatch(/^2026-\d{6}$/);
      expect(invoice.number).toMatch(/^2026-\d{6}$/);
      expect(note).toMatchObject({ number: expect.stringMatching(/^CN-2026-\d{6}$/), creditsInvoice: invoice.number, creditsInvoiceId: invoice.id });
      // The operator's page, read the same way, as well.
      expect((await billing.invoices.list(OPERATOR, {})).items.every((d) => d.number !== null)).toBe(true);
    } finally {
      spy.mockRestore();
    }
    expect(await billing.violations()).toEqual([]);
  });
});
