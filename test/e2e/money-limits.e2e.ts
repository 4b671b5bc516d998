import { LEDGER_LIMIT } from '@trove/contracts';
import { randomUUID } from 'node:crypto';
import { withDatabase } from '../support/postgres';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(240_000);

interface Party {
  key: string;
  organizationId: string;
}

/**
 * What billing holds, through the public API with the gateway and billing as processes: the
 * operator's walkthrough (a top-up of 2^53 - 1 fen, then one of 100 fen) that broke the ledger
 * for good is refused at its first step, a ledger filled up to its limit refuses the next
 * confirmation with a problem and changes nothing, and a ledger that passed 2^53 - 1 before the
 * limits is still read, to the fen, as JSON integers.
 */
describe('money limits, through the public API', () => {
  let system: TroveSystem;

  const signUp = async (kind: 'buyer' | 'vendor', name: string): Promise<Party> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind, contactEmail: 'finance@example.cn' }) }));
    return { key: answer.apiKey, organizationId: answer.organization.id };
  };
  const fileTopUp = (buyer: Party, amount: number, reference: string, currency = 'CNY') =>
    system.request('/v1/wallet/top-ups', { method: 'POST', as: { key: buyer.key }, headers: { 'idempotency-key': randomUUID() }, body: JSON.stringify({ amount: { amount, currency }, reference }) });
  const confirm = (topUpId: string) => system.request(`/v1/admin/top-ups/${topUpId}/confirm`, { method: 'POST', headers: { 'idempotency-key': randomUUID() } });
  const problem = async (response: Response) => ({ status: response.status, type: response.headers.get('content-type'), body: await json(response) });
  const billingDb = <T>(work: Parameters<typeof withDatabase<T>>[1]) => withDatabase(system.databases.get('billing')!.url, work);
  const entries = () => billingDb(async (c) => (await c.query('SELECT count(*)::int AS n FROM journal_entry')).rows[0].n as number);

  /** An entry written into billing's database directly, as a ledger could hold it after years (or before the limits): top-ups of `amount` to `organizationId`'s wallet. */
  const toppedUpDirectly = (organizationId: string, currency: string, amounts: string[]) =>
    billingDb(async (c) => {
      const account = async (type: string, owner: string | null) => {
        await c.query(`INSERT INTO account (id, type, organization_id, currency) VALUES ($1, $2, $3, $4) ON CONFLICT ON CONSTRAINT account_key DO NOTHING`, [randomUUID(), type, owner, currency]);
        return (await c.query(`SELECT id FROM account WHERE type = $1 AND organization_id IS NOT DISTINCT FROM $2 AND currency = $3`, [type, owner, currency])).rows[0].id as string;
      };
      const wallet = await account('wallet', organizationId);
      await c.query(`INSERT INTO wallet_balance (account_id, balance) VALUES ($1, 0) ON CONFLICT DO NOTHING`, [wallet]);
      const bank = await account('bank_clearing', null);
      for (const amount of amounts) {
        const entry = randomUUID();
        await c.query(`INSERT INTO journal_entry (id, kind, currency, amount, source_id) VALUES ($1, 'top_up', $2, $3, $4)`, [entry, currency, amount, randomUUID()]);
        await c.query(`INSERT INTO posting (entry_id, account_id, currency, amount) VALUES ($1, $2, $3, $4::bigint), ($1, $5, $3, -$4::bigint)`, [entry, bank, currency, amount, wallet]);
      }
    });

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'billing'] });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("refuses the walkthrough's top-up of 2^53 - 1 fen when it is filed (400, nothing filed), and a payout beyond the cap; takes exactly 1,000,000,000.00", async () => {
    const 浦发客户 = await signUp('buyer', '上海浦东数据标注有限公司 / Pudong Data Labelling');
    const walkthrough = await problem(await fileTopUp(浦发客户, 9007199254740991, '浦发银行 SPDB-MAX-0001'));
    expect(walkthrough).toMatchObject({ status: 400, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'VALIDATION_FAILED' } });
    expect(walkthrough.body.errors).toEqual([{ field: 'amount.amount', problems: [expect.stringContaining('at most 100000000000 minor units (1,000,000,000.00 CNY)')] }]);
    expect((await fileTopUp(浦发客户, 100_000_000_001, '浦发银行 SPDB-MAX-0002')).status).toBe(400);
    expect((await json(await system.request('/v1/wallet/top-ups', { as: { key: 浦发客户.key } }))).items).toEqual([]);

    const largest = await fileTopUp(浦发客户, 100_000_000_000, '浦发银行 SPDB-20261201-0001');
    expect(largest.status).toBe(201);
    expect((await confirm((await json(largest)).id)).status).toBe(200);
    expect((await json(await system.request('/v1/wallet', { as: { key: 浦发客户.key } }))).balance).toEqual({ amount: 100_000_000_000, currency: 'CNY' });

    const 数据堂 = await signUp('vendor', '数据堂（北京）科技股份有限公司 / Datatang');
    expect((await system.request(`/v1/admin/organizations/${数据堂.organizationId}/approve`, { method: 'POST' })).status).toBe(200);
    const payout = await problem(
      await system.request('/v1/payouts', { method: 'POST', as: { key: 数据堂.key }, headers: { 'idempotency-key': randomUUID() }, body: JSON.stringify({ amount: { amount: 100_000_000_001, currency: 'CNY' } }) }),
    );
    expect(payout).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ field: 'amount.amount' }] } });
  });

  it('confirms top-ups up to what billing holds in a currency, then answers 409 LEDGER_LIMIT_EXCEEDED and changes nothing; the wallet and the trial balance still answer', async () => {
    // Years of top-ups in Hong Kong dollars, all but 1.00 HKD of what billing holds.
    await toppedUpDirectly(randomUUID(), 'HKD', [String(LEDGER_LIMIT - 100)]);
    const 港科大 = await signUp('buyer', '香港科技大学 / HKUST');
    const last = await json(await fileTopUp(港科大, 100, '汇丰银行 HSBC-20261201-0001', 'HKD'));
    expect((await confirm(last.id)).status).toBe(200);
    const over = await json(await fileTopUp(港科大, 100, '汇丰银行 HSBC-20261201-0002', 'HKD'));
    const before = await entries();

    const refused = await problem(await confirm(over.id));

    expect(refused).toMatchObject({ status: 409, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'LEDGER_LIMIT_EXCEEDED', status: 409 } });
    expect(refused.body.detail).toContain('would bring the top-ups confirmed in HKD to 10,000,000,000,001.00 HKD, past the 10,000,000,000,000.00 HKD billing holds');
    expect(await entries()).toBe(before);
    expect(await json(await system.request(`/v1/wallet/top-ups/${over.id}`, { as: { key: 港科大.key } }))).toMatchObject({ status: 'pending', confirmedAt: null });
    const wallet = await system.request('/v1/wallet?currency=HKD', { as: { key: 港科大.key } });
    expect(wallet.status).toBe(200);
    expect((await json(wallet)).balance).toEqual({ amount: 100, currency: 'HKD' });
    const trial = await system.request('/v1/admin/ledger/trial-balance?currency=HKD');
    expect(trial.status).toBe(200);
    const body = await json(trial);
    expect(body.total).toBe(0);
    expect(body.accounts.find((a: { type: string }) => a.type === 'bank_clearing')).toEqual({ type: 'bank_clearing', currency: 'HKD', debit: LEDGER_LIMIT, credit: 0, net: LEDGER_LIMIT });
  });

  it('reads a ledger that passed 2^53 - 1 before the limits exactly, as JSON integers: the wallet and the trial balance answer 200, not 500', async () => {
    // The walkthrough's end as the old code left it, in US dollars: 2^53 - 1 cents and 100 cents confirmed.
    const 浦发客户 = await signUp('buyer', '浦发硅谷银行客户 / SPD Silicon Valley Bank client');
    await toppedUpDirectly(浦发客户.organizationId, 'USD', ['9007199254740991', '100']);

    const wallet = await system.request('/v1/wallet?currency=USD', { as: { key: 浦发客户.key } });
    expect(wallet.status).toBe(200);
    // Written out digit for digit (JSON.parse in JavaScript would round them, so the text is read).
    expect(await wallet.text()).toContain('"balance":{"amount":9007199254741091,"currency":"USD"}');

    const trial = await system.request('/v1/admin/ledger/trial-balance?currency=USD');
    expect(trial.status).toBe(200);
    const text = await trial.text();
    expect(text).toContain('{"type":"bank_clearing","currency":"USD","debit":9007199254741091,"credit":0,"net":9007199254741091}');
    expect(text).toContain('{"type":"wallet","currency":"USD","debit":0,"credit":9007199254741091,"net":-9007199254741091}');
    expect(JSON.parse(text)).toMatchObject({ totals: [{ currency: 'USD', total: 0 }], total: 0 });
    expect((await system.request('/v1/admin/ledger/trial-balance')).status).toBe(200);

    // Nothing more comes in by the bank in that currency.
    const more = await json(await fileTopUp(浦发客户, 100, '浦发银行 SPDB-20261201-0003', 'USD'));
    expect(await problem(await confirm(more.id))).toMatchObject({ status: 409, body: { code: 'LEDGER_LIMIT_EXCEEDED' } });
  });
});
