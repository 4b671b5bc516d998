import 'reflect-metadata';
import { BillingErrorCode, CommonErrorCode, LEDGER_LIMIT, MAX_TRANSFER_AMOUNT, RecordTopUpRequest, RequestPayoutRequest } from '@trove/contracts';
import type { CurrencyCode } from '@trove/licensing';
import { validateMessage, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { BillingHarness, buyer, line, OPERATOR, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

/** The operator's walkthrough: a top-up of 2^53 - 1 fen, then one of 100 fen. */
const WALKTHROUGH = { amount: { amount: Number.MAX_SAFE_INTEGER, currency: 'CNY' as const }, reference: '浦发银行 SPDB-MAX-0001' };
const BEYOND = '9007199254741091';

/**
 * What billing holds. Every test posts in a currency of its own, since the limits are per
 * currency: the ledger of that currency is filled up to near a limit by an entry written
 * straight into the database (as a ledger could hold after years, or as one written before the
 * limits holds), and the API's steps are then taken through billing's services.
 */
describe('billing: no balance or total leaves what billing holds', () => {
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

  /** The account, made as billing makes it (a wallet with its balance row). */
  async function account(type: 'wallet' | 'vendor_payable' | 'bank_clearing', organizationId: string | null, currency: CurrencyCode): Promise<string> {
    await billing.sql.query(`INSERT INTO account (id, type, organization_id, currency) VALUES ($1, $2, $3, $4) ON CONFLICT ON CONSTRAINT account_key DO NOTHING`, [
      randomUUID(),
      type,
      organizationId,
      currency,
    ]);
    const { rows } = await billing.sql.query<{ id: string }>(`SELECT id FROM account WHERE type = $1 AND organization_id IS NOT DISTINCT FROM $2 AND currency = $3`, [
      type,
      organizationId,
      currency,
    ]);
    if (type === 'wallet') await billing.sql.query(`INSERT INTO wallet_balance (account_id, balance) VALUES ($1, 0) ON CONFLICT DO NOTHING`, [rows[0].id]);
    return rows[0].id;
  }

  /** An entry written into the database directly, past billing's checks: `amount` from `credit` to `debit`. */
  async function postDirectly(kind: 'top_up' | 'payout', currency: CurrencyCode, debit: string, credit: string, amount: bigint | number): Promise<void> {
    const entryId = randomUUID();
    await billing.sql.query(`INSERT INTO journal_entry (id, kind, currency, amount, source_id, memo) VALUES ($1, $2, $3, $4, $5, 'filled by the test')`, [
      entryId,
      kind,
      currency,
      String(amount),
      randomUUID(),
    ]);
    await billing.sql.query(`INSERT INTO posting (entry_id, account_id, currency, amount) VALUES ($1, $2, $3, $4::bigint), ($1, $5, $3, -$4::bigint)`, [
      entryId,
      debit,
      currency,
      String(amount),
      credit,
    ]);
  }

  /** Top-ups of `currency` confirmed so far, `amount` in all, credited to a buyer of their own. */
  async function toppedUp(currency: CurrencyCode, amount: bigint | number): Promise<void> {
    await postDirectly('top_up', currency, await account('bank_clearing', null, currency), await account('wallet', randomUUID(), currency), amount);
  }

  const ledger = async () => {
    const { rows } = await billing.sql.query(
      `SELECT (SELECT count(*) FROM journal_entry)::int AS entries, (SELECT count(*) FROM posting)::int AS postings,
              (SELECT json_agg(json_build_object('id', account_id, 'balance', balance::text) ORDER BY account_id) FROM wallet_balance) AS wallets`,
    );
    return rows[0] as { entries: number; postings: number; wallets: unknown };
  };
  const file = (caller: Caller, amount: number, currency: CurrencyCode, bank = '浦发银行 SPDB') =>
    billing.wallets.recordTopUp(caller, { amount: { amount, currency }, reference: `${bank}-${randomUUID().slice(0, 8).toUpperCase()}` });
  const walletText = async (organizationId: string, currency: CurrencyCode) =>
    (
      await billing.sql.query<{ balance: string }>(
        `SELECT b.balance::text AS balance FROM wallet_balance b JOIN account a ON a.id = b.account_id WHERE a.type = 'wallet' AND a.organization_id = $1 AND a.currency = $2`,
        [organizationId, currency],
      )
    ).rows[0]?.balance ?? '0';

  it("refuses the walkthrough's top-up of 2^53 - 1 fen when it is filed, and takes one of exactly the cap; payouts alike", () => {
    const refused = (() => {
      try {
        validateMessage(RecordTopUpRequest, WALKTHROUGH);
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, status: 400 });
    expect(JSON.stringify(refused)).toContain('amount.amount');
    expect(() => validateMessage(RecordTopUpRequest, { ...WALKTHROUGH, amount: { amount: MAX_TRANSFER_AMOUNT + 1, currency: 'CNY' } })).toThrow(/at most 100000000000 minor units/);
    expect(validateMessage(RecordTopUpRequest, { ...WALKTHROUGH, amount: { amount: MAX_TRANSFER_AMOUNT, currency: 'CNY' } }).amount.amount).toBe(100_000_000_000);
    expect(() => validateMessage(RequestPayoutRequest, { amount: { amount: MAX_TRANSFER_AMOUNT + 1, currency: 'CNY' } })).toThrow(/at most 100000000000 minor units/);
    expect(validateMessage(RequestPayoutRequest, { amount: { amount: MAX_TRANSFER_AMOUNT, currency: 'CNY' } }).amount.amount).toBe(MAX_TRANSFER_AMOUNT);
  });

  it('refuses to confirm a top-up of 2^53 - 1 fen filed before the cap: nothing is credited, and the wallet and trial balance still answer', async () => {
    const 浦发客户 = buyer();
    const id = randomUUID();
    // Filed before the cap (the request then allowed any safe integer).
    await billing.sql.query(`INSERT INTO top_up (id, organization_id, amount, currency, reference, reference_key, transfer_keys, status) VALUES ($1, $2, $3, 'CNY', $4, $5, ARRAY[$5], 'pending')`, [
      id,
      浦发客户.organizationId,
      Number.MAX_SAFE_INTEGER,
      WALKTHROUGH.reference,
      'spdb-max-0001',
    ]);
    const before = await ledger();

    const refusal = billing.wallets.confirmTopUp(id);

    await expect(refusal).rejects.toMatchObject({ code: BillingErrorCode.LEDGER_LIMIT_EXCEEDED, status: 409 });
    await expect(billing.wallets.confirmTopUp(id)).rejects.toThrow(
      `Top-up ${id} ("浦发银行 SPDB-MAX-0001") of 90,071,992,547,409.91 CNY is more than one bank transfer may carry (1,000,000,000.00 CNY`,
    );
    expect(await ledger()).toEqual(before);
    expect(await billing.wallets.topUp(OPERATOR, id)).toMatchObject({ status: 'pending', confirmedAt: null });
    expect(await billing.as(浦发客户, () => billing.wallets.wallet(浦发客户))).toEqual({ balance: { amount: 0, currency: 'CNY' }, balances: [] });
    expect((await billing.wallets.trialBalance()).total).toBe(0);
    // The operator's way out: it is rejected, which posts nothing.
    expect((await billing.wallets.rejectTopUp(id, '单笔金额超过上限，请核对后按实际转账金额重新提交')).status).toBe('rejected');
  });

  it('confirms top-ups up to exactly what billing holds in a currency and refuses the next, even of 0.01, changing nothing', async () => {
    await toppedUp('HKD', LEDGER_LIMIT - 100);
    const 港科大 = buyer();
    const last = await file(港科大, 100, 'HKD', '汇丰银行 HSBC');
    const over = await file(港科大, 1, 'HKD', '汇丰银行 HSBC');

    expect((await billing.wallets.confirmTopUp(last.id)).status).toBe('confirmed');
    const before = await ledger();
    const refusal = billing.wallets.confirmTopUp(over.id);

    await expect(refusal).rejects.toMatchObject({ code: BillingErrorCode.LEDGER_LIMIT_EXCEEDED, status: 409 });
    await expect(billing.wallets.confirmTopUp(over.id)).rejects.toThrow(
      `of 0.01 HKD would bring the top-ups confirmed in HKD to 10,000,000,000,000.01 HKD, past the 10,000,000,000,000.00 HKD billing holds`,
    );
    expect(await ledger()).toEqual(before);
    expect(await billing.wallets.topUp(港科大, over.id)).toMatchObject({ status: 'pending' });
    expect(await billing.as(港科大, () => billing.wallets.wallet(港科大, 'HKD'))).toMatchObject({ balance: { amount: 100, currency: 'HKD' } });
    const trial = await billing.wallets.trialBalance('HKD');
    expect(trial.accounts.find((r) => r.type === 'bank_clearing')).toEqual({ type: 'bank_clearing', currency: 'HKD', debit: LEDGER_LIMIT, credit: 0, net: LEDGER_LIMIT });
    expect(trial.total).toBe(0);
    // Other currencies are not touched by it.
    const 中大 = buyer();
    expect((await billing.wallets.confirmTopUp((await file(中大, 100, 'CNY')).id)).status).toBe('confirmed');
  });

  it('lets exactly one of two confirmations racing for the last room pass', async () => {
    await toppedUp('MOP', LEDGER_LIMIT - 150);
    const [澳大, 澳科大] = [buyer(), buyer()];
    for (let round = 0; round < 3; round++) {
      const first = await file(澳大, 100, 'MOP', '中国银行 BOC');
      const second = await file(澳科大, 100, 'MOP', '中国银行 BOC');
      const outcomes = await Promise.allSettled([billing.wallets.confirmTopUp(first.id), billing.wallets.confirmTopUp(second.id)]);
      const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(refused).toHaveLength(round === 0 ? 1 : 2);
      for (const r of refused) expect(r.reason).toMatchObject({ code: BillingErrorCode.LEDGER_LIMIT_EXCEEDED });
    }
    const bank = (await billing.wallets.trialBalance('MOP')).accounts.find((r) => r.type === 'bank_clearing');
    expect(bank?.debit).toBe(LEDGER_LIMIT - 50);
  });

  it('refuses to pay a payout that would bring the payouts paid in a currency past what billing holds, and pays one that fits', async () => {
    const bank = await account('bank_clearing', null, 'SGD');
    await postDirectly('payout', 'SGD', await account('vendor_payable', randomUUID(), 'SGD'), bank, LEDGER_LIMIT - 1_000_000);
    const 新加坡国立 = buyer();
    const 数据堂 = vendor();
    await billing.fund(新加坡国立, 2_000_000, 'SGD');
    await billing.payments.charge(order(新加坡国立.organizationId, [line(数据堂.organizationId, 2_000_000, 'SGD')]));
    const payout = await billing.wallets.requestPayout(数据堂, { amount: { amount: 1_600_000, currency: 'SGD' } });
    const before = await ledger();

    const refusal = billing.wallets.approvePayout(payout.id);

    await expect(refusal).rejects.toMatchObject({ code: BillingErrorCode.LEDGER_LIMIT_EXCEEDED, status: 409 });
    await expect(billing.wallets.approvePayout(payout.id)).rejects.toThrow(
      `Payout ${payout.id} of 16,000.00 SGD would bring the payouts paid in SGD to 10,000,000,006,000.00 SGD, past the 10,000,000,000,000.00 SGD billing holds`,
    );
    expect(await ledger()).toEqual(before);
    expect(await billing.wallets.payout(数据堂, payout.id)).toMatchObject({ status: 'pending', paidAt: null });
    expect(await billing.wallets.vendorBalance(数据堂, 'SGD')).toMatchObject({ balance: { amount: 1_600_000, currency: 'SGD' } });

    await billing.wallets.cancelPayout(数据堂, payout.id);
    const fits = await billing.wallets.requestPayout(数据堂, { amount: { amount: 1_000_000, currency: 'SGD' } });
    expect((await billing.wallets.approvePayout(fits.id)).status).toBe('paid');
    expect(await billing.wallets.vendorBalance(数据堂, 'SGD')).toMatchObject({ balance: { amount: 600_000, currency: 'SGD' } });
    expect((await billing.wallets.trialBalance('SGD')).accounts.find((r) => r.type === 'bank_clearing')).toMatchObject({ credit: LEDGER_LIMIT });
  });

  it('answers, exactly, for a ledger that passed 2^53 - 1 before the limits: the wallet, the trial balance, the sales; the buyer still buys, and nothing more is confirmed', async () => {
    // The walkthrough's end, as a ledger written before the limits holds it: 2^53 - 1 fen and 100 fen confirmed.
    const 浦发客户 = buyer();
    const wallet = await account('wallet', 浦发客户.organizationId, 'USD');
    await postDirectly('top_up', 'USD', await account('bank_clearing', null, 'USD'), wallet, Number.MAX_SAFE_INTEGER);
    await postDirectly('top_up', 'USD', await account('bank_clearing', null, 'USD'), wallet, 100);
    expect(await walletText(浦发客户.organizationId, 'USD')).toBe(BEYOND);

    expect(await billing.as(浦发客户, () => billing.wallets.wallet(浦发客户, 'USD'))).toEqual({ balance: { amount: BEYOND, currency: 'USD' }, balances: [{ amount: BEYOND, currency: 'USD' }] });
    const trial = await billing.wallets.trialBalance('USD');
    expect(trial.accounts).toEqual([
      { type: 'bank_clearing', currency: 'USD', debit: BEYOND, credit: 0, net: BEYOND },
      { type: 'wallet', currency: 'USD', debit: 0, credit: BEYOND, net: `-${BEYOND}` },
    ]);
    expect(trial.totals).toEqual([{ currency: 'USD', total: 0 }]);
    expect(trial.total).toBe(0);

    // Its next order is charged, not failed for good.
    const 数据堂 = vendor();
    const purchase = order(浦发客户.organizationId, [line(数据堂.organizationId, 1_280_000, 'USD')]);
    expect(await billing.payments.charge(purchase)).toMatchObject({ outcome: 'captured' });
    expect(await walletText(浦发客户.organizationId, 'USD')).toBe('9007199253461091');
    expect((await billing.wallets.salesStats('USD')).salesPerCurrency).toEqual([{ currency: 'USD', gross: 1_280_000, refunded: 0, net: 1_280_000, payments: 1, refunds: 0 }]);
    expect((await billing.wallets.trialBalance('USD')).total).toBe(0);

    // Nothing more comes in: the top-ups of USD are past what billing holds already.
    const more = await file(浦发客户, 100, 'USD');
    await expect(billing.wallets.confirmTopUp(more.id)).rejects.toMatchObject({ code: BillingErrorCode.LEDGER_LIMIT_EXCEEDED });
    expect(await billing.wallets.topUp(浦发客户, more.id)).toMatchObject({ status: 'pending' });
  });
});
