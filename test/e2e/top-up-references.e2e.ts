import { randomUUID } from 'node:crypto';
import { withDatabase } from '../support/postgres';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(240_000);

interface Buyer {
  key: string;
  organizationId: string;
}

describe('one bank transfer credits one top-up, through the public API', () => {
  let system: TroveSystem;

  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'data-procurement@example.cn' }) }));
    return { key: answer.apiKey, organizationId: answer.organization.id };
  };
  const fileTopUp = (buyer: Buyer, amount: number, reference: string, key: string = randomUUID()) =>
    system.request('/v1/wallet/top-ups', { method: 'POST', as: { key: buyer.key }, headers: { 'idempotency-key': key }, body: JSON.stringify({ amount: { amount, currency: 'CNY' }, reference }) });
  const confirm = (topUpId: string) => system.request(`/v1/admin/top-ups/${topUpId}/confirm`, { method: 'POST', headers: { 'idempotency-key': randomUUID() } });
  const wallet = async (buyer: Buyer) => (await json(await system.request('/v1/wallet', { as: { key: buyer.key } }))).balance.amount as number;
  const ledger = () =>
    withDatabase(system.databases.get('billing')!.url, async (c) => ({
      entries: (await c.query('SELECT count(*)::int AS n FROM journal_entry')).rows[0].n as number,
      postings: (await c.query('SELECT count(*)::int AS n FROM posting')).rows[0].n as number,
      confirmed: (await c.query(`SELECT count(*)::int AS n FROM top_up WHERE status = 'confirmed'`)).rows[0].n as number,
    }));
  const problem = async (response: Response) => ({ status: response.status, type: response.headers.get('content-type'), body: await json(response) });

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'billing'] });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('credits 招商银行 CMB-20261130-0042 once, however many buyers file it and however it is typed, and tells each buyer only of its own filings', async () => {
    const 国网 = await signUpBuyer('国网智能研究院 / State Grid AI Lab');
    const 电信 = await signUpBuyer('中国电信人工智能研究院 / China Telecom AI');
    const reference = '招商银行 CMB-20261130-0042';

    const key = randomUUID();
    const filed = await fileTopUp(国网, 2_000_000, reference, key);
    expect(filed.status).toBe(201);
    const genuine = await json(filed);
    // The same key and body: the same top-up again.
    const replay = await fileTopUp(国网, 2_000_000, reference, key);
    expect(replay.status).toBe(201);
    expect((await json(replay)).id).toBe(genuine.id);
    // The buyer's own double submit under a new key, typed full-width: refused, naming its top-up.
    const twice = await problem(await fileTopUp(国网, 2_000_000, '招商银行　ＣＭＢ－２０２６１１３０－００４２'));
    expect(twice).toMatchObject({ status: 409, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'TOP_UP_ALREADY_FILED' } });
    expect(twice.body.detail).toContain(genuine.id);

    // Another buyer claims the same statement line: taken, and nothing in the answer points at 国网.
    const claim = await fileTopUp(电信, 2_000_000, ` 招商银行  cmb-20261130-0042 `);
    expect(claim.status).toBe(201);
    const claimed = await json(claim);
    expect(claimed).toMatchObject({ status: 'pending' });
    expect(JSON.stringify(claimed)).not.toContain(genuine.id);
    expect(JSON.stringify(claimed)).not.toContain(国网.organizationId);

    expect((await confirm(genuine.id)).status).toBe(200);
    const before = await ledger();

    for (let attempt = 0; attempt < 2; attempt++) {
      const refused = await problem(await confirm(claimed.id));
      expect(refused).toMatchObject({ status: 409, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'TRANSFER_ALREADY_CREDITED', status: 409 } });
      expect(refused.body.detail).toContain(genuine.id);
    }
    expect(await ledger()).toEqual(before);
    expect(await wallet(国网)).toBe(2_000_000);
    expect(await wallet(电信)).toBe(0);
    expect((await json(await system.request('/v1/admin/ledger/trial-balance'))).total).toBe(0);

    // Confirming the credited one again is the same answer; 国网 filing it again learns it was credited.
    const again = await confirm(genuine.id);
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ id: genuine.id, status: 'confirmed' });
    const afterCredit = await problem(await fileTopUp(国网, 2_000_000, reference.toLowerCase()));
    expect(afterCredit).toMatchObject({ status: 409, body: { code: 'TRANSFER_ALREADY_CREDITED' } });
    expect(await ledger()).toEqual(before);
  });

  it('lets one of two operators confirming top-ups of one transfer at the same moment credit it, and refuses the other', async () => {
    const [商汤, 智谱] = [await signUpBuyer('商汤科技 / SenseTime'), await signUpBuyer('智谱 AI / Zhipu')];
    const reference = `工商银行 ICBC-20261130-${randomUUID().slice(0, 6)}`;
    const a = await json(await fileTopUp(商汤, 880_000, reference));
    const b = await json(await fileTopUp(智谱, 880_000, reference.toUpperCase()));
    const before = await ledger();

    const answers = await Promise.all([confirm(a.id), confirm(b.id)]);

    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = await json(answers.find((r) => r.status === 200)!);
    const loser = await json(answers.find((r) => r.status === 409)!);
    expect(loser).toMatchObject({ code: 'TRANSFER_ALREADY_CREDITED' });
    expect(loser.detail).toContain(winner.id);
    expect(await ledger()).toEqual({ entries: before.entries + 1, postings: before.postings + 2, confirmed: before.confirmed + 1 });
    expect((await wallet(商汤)) + (await wallet(智谱))).toBe(880_000);
  });

  it('lets an operator reject a transfer that never arrived and a buyer withdraw a mistyped one, each read back by the buyer, with nothing credited and the transfer filed again', async () => {
    const 讯飞 = await signUpBuyer('科大讯飞 / iFLYTEK');
    const 百度 = await signUpBuyer('百度智能云 / Baidu AI Cloud');
    const reference = `招商银行 CMB-20261201-${randomUUID().slice(0, 6)}`;
    const post = (path: string, as: Buyer | 'admin', body?: unknown) =>
      system.request(path, { method: 'POST', ...(as === 'admin' ? {} : { as: { key: as.key } }), headers: { 'idempotency-key': randomUUID() }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const read = (topUpId: string, as: Buyer | 'admin') => system.request(`/v1/wallet/top-ups/${topUpId}`, as === 'admin' ? {} : { as: { key: as.key } });
    const before = await ledger();

    // The money never arrived: the operator rejects it, saying why; the buyer reads the reason.
    const never = await json(await fileTopUp(讯飞, 2_000_000, reference));
    expect((await post(`/v1/admin/top-ups/${never.id}/reject`, 'admin', {})).status).toBe(400);
    expect((await post(`/v1/admin/top-ups/${never.id}/reject`, 'admin', { reason: '   ' })).status).toBe(400);
    expect((await post(`/v1/admin/top-ups/${never.id}/reject`, 讯飞, { reason: '自己驳回' })).status).toBe(403);
    expect((await post(`/v1/admin/top-ups/${randomUUID()}/reject`, 'admin', { reason: '没有这笔转账' })).status).toBe(404);
    const reason = '截至 2026-12-01 招商银行对账单上没有这笔转账，请核对流水号后重新提交';
    const rejected = await post(`/v1/admin/top-ups/${never.id}/reject`, 'admin', { reason });
    expect(rejected.status).toBe(200);
    const rejectedView = await json(rejected);
    expect(rejectedView).toMatchObject({ id: never.id, status: 'rejected', rejectionReason: reason, confirmedAt: null, cancelledAt: null });
    expect(await json(await read(never.id, 讯飞))).toEqual(rejectedView);
    expect(await json(await read(never.id, 'admin'))).toEqual(rejectedView);
    expect((await read(never.id, 百度)).status).toBe(404);
    for (const attempt of [confirm(never.id), post(`/v1/admin/top-ups/${never.id}/reject`, 'admin', { reason }), post(`/v1/wallet/top-ups/${never.id}/cancel`, 讯飞)]) {
      expect(await problem(await attempt)).toMatchObject({ status: 409, type: expect.stringMatching(/^application\/problem\+json/), body: { code: 'INVALID_STATE' } });
    }
    expect(await ledger()).toEqual(before);
    expect(await wallet(讯飞)).toBe(0);

    // The buyer files the same transfer again, mistyping the amount, and files it once more correctly.
    const mistyped = await json(await fileTopUp(讯飞, 20_000_000, reference));
    expect(mistyped.status).toBe('pending');
    const corrected = await json(await fileTopUp(讯飞, 2_000_000, reference));
    expect(corrected.status).toBe('pending');
    expect((await post(`/v1/wallet/top-ups/${mistyped.id}/cancel`, 百度)).status).toBe(404);
    expect((await post(`/v1/wallet/top-ups/${mistyped.id}/cancel`, 'admin')).status).toBe(403);
    const cancelled = await post(`/v1/wallet/top-ups/${mistyped.id}/cancel`, 讯飞);
    expect(cancelled.status).toBe(200);
    const cancelledView = await json(cancelled);
    expect(cancelledView).toMatchObject({ id: mistyped.id, status: 'cancelled', rejectionReason: null, amount: { amount: 20_000_000, currency: 'CNY' } });
    const twice = await post(`/v1/wallet/top-ups/${mistyped.id}/cancel`, 讯飞);
    expect(twice.status).toBe(200);
    expect(await json(twice)).toEqual(cancelledView);
    expect(await problem(await confirm(mistyped.id))).toMatchObject({ status: 409, body: { code: 'INVALID_STATE' } });

    expect(await json(await confirm(corrected.id))).toMatchObject({ status: 'confirmed' });
    expect(await wallet(讯飞)).toBe(2_000_000);
    expect(await problem(await post(`/v1/wallet/top-ups/${corrected.id}/cancel`, 讯飞))).toMatchObject({ status: 409, body: { code: 'INVALID_STATE' } });
    expect(await problem(await post(`/v1/admin/top-ups/${corrected.id}/reject`, 'admin', { reason }))).toMatchObject({ status: 409, body: { code: 'INVALID_STATE' } });
    expect(await ledger()).toEqual({ entries: before.entries + 1, postings: before.postings + 2, confirmed: before.confirmed + 1 });
    expect((await json(await system.request('/v1/admin/ledger/trial-balance'))).total).toBe(0);

    // A confirmation racing a rejection, then a cancellation: exactly one of each pair wins.
    let won = 0;
    for (const end of ['reject', 'cancel'] as const) {
      const raced = await json(await fileTopUp(百度, 660_000, `工商银行 ICBC-20261201-${randomUUID().slice(0, 6)}`));
      const ending = end === 'reject' ? post(`/v1/admin/top-ups/${raced.id}/reject`, 'admin', { reason: '银行退回：收款账号有误' }) : post(`/v1/wallet/top-ups/${raced.id}/cancel`, 百度);
      const [confirmed, ended] = await Promise.all([confirm(raced.id), ending]);
      expect([confirmed.status, ended.status].sort()).toEqual([200, 409]);
      const final = (await json(await read(raced.id, 百度))).status as string;
      expect(final).toBe(confirmed.status === 200 ? 'confirmed' : end === 'reject' ? 'rejected' : 'cancelled');
      if (confirmed.status === 200) won++;
    }
    expect(await wallet(百度)).toBe(won * 660_000);
    expect((await json(await system.request('/v1/admin/ledger/trial-balance'))).total).toBe(0);
  });
});
