import { randomUUID } from 'node:crypto';
import { commercialOffer, speechListing, VendorClient } from '../support/catalog';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(240_000);

interface Buyer {
  key: string;
  organizationId: string;
}

interface Listed {
  id: string;
  status: string;
}

describe('operators, buyers and vendors find their top-ups and payouts through the public API', () => {
  let system: TroveSystem;

  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'data-procurement@example.cn' }) }));
    return { key: answer.apiKey, organizationId: answer.organization.id };
  };
  const as = (who: Buyer | VendorClient | 'admin') => (who === 'admin' ? {} : { as: { key: who.key } });
  const post = (path: string, who: Buyer | VendorClient | 'admin', body?: unknown) =>
    system.request(path, { method: 'POST', ...as(who), headers: { 'idempotency-key': randomUUID() }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const get = (path: string, who: Buyer | VendorClient | 'admin') => system.request(path, as(who));
  const list = async (path: string, who: Buyer | VendorClient | 'admin'): Promise<{ items: Listed[]; nextCursor: string | null }> => {
    const answer = await get(path, who);
    expect(answer.status).toBe(200);
    return json(answer);
  };
  /** Every page of a list, following nextCursor. */
  const everything = async (path: string, who: Buyer | VendorClient | 'admin'): Promise<Listed[]> => {
    const items: Listed[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`${path}${path.includes('?') ? '&' : '?'}limit=1${cursor ? `&cursor=${cursor}` : ''}`, who);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };
  const fileTopUp = async (buyer: Buyer, amount: number, reference: string) => {
    const answer = await post('/v1/wallet/top-ups', buyer, { amount: { amount, currency: 'CNY' }, reference });
    expect(answer.status).toBe(201);
    return json(answer);
  };
  const problem = async (response: Response) => ({ status: response.status, type: response.headers.get('content-type'), body: await json(response) });

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'] });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('lets the operator find a pending top-up with ?status=pending and confirm it, and the buyer see both of its top-ups with their statuses', async () => {
    const 国网 = await signUpBuyer('国网智能研究院 / State Grid AI Lab');
    const 电信 = await signUpBuyer('中国电信人工智能研究院 / China Telecom AI');
    // A mistyped amount, withdrawn, then the transfer filed again correctly.
    const reference = `招商银行 CMB-20261130-${randomUUID().slice(0, 6)}`;
    const mistyped = await fileTopUp(国网, 200_000, reference);
    expect((await post(`/v1/wallet/top-ups/${mistyped.id}/cancel`, 国网)).status).toBe(200);
    const genuine = await fileTopUp(国网, 20_000_000, reference);
    const 电信s = await fileTopUp(电信, 880_000, `工商银行 ICBC-20261130-${randomUUID().slice(0, 6)}`);

    // The operator's queue: pending top-ups of every organization, oldest first, page by page.
    const queue = await everything('/v1/admin/top-ups?status=pending', 'admin');
    expect(queue.map((t) => t.id)).toEqual([genuine.id, 电信s.id]);
    expect(queue.every((t) => t.status === 'pending')).toBe(true);
    const found = queue.find((t) => t.id === genuine.id)!;
    expect(found).toEqual(await json(await get(`/v1/wallet/top-ups/${genuine.id}`, 'admin')));
    expect((await list(`/v1/admin/top-ups?status=pending&organization=${国网.organizationId}`, 'admin')).items.map((t) => t.id)).toEqual([genuine.id]);

    expect((await post(`/v1/admin/top-ups/${found.id}/confirm`, 'admin')).status).toBe(200);
    expect((await list('/v1/admin/top-ups?status=pending', 'admin')).items.map((t) => t.id)).toEqual([电信s.id]);
    expect((await json(await get('/v1/wallet', 国网))).balance).toEqual({ amount: 20_000_000, currency: 'CNY' });

    // The buyer finds both of its own, newest first, with their statuses; never 电信's.
    const own = await list('/v1/wallet/top-ups', 国网);
    expect(own).toEqual({
      items: [expect.objectContaining({ id: genuine.id, status: 'confirmed', amount: { amount: 20_000_000, currency: 'CNY' } }), expect.objectContaining({ id: mistyped.id, status: 'cancelled' })],
      nextCursor: null,
    });
    expect(own.items[0]).toEqual(await json(await get(`/v1/wallet/top-ups/${genuine.id}`, 国网)));
    expect((await everything('/v1/wallet/top-ups', 国网)).map((t) => t.id)).toEqual([genuine.id, mistyped.id]);
    expect((await list('/v1/wallet/top-ups?status=cancelled', 国网)).items.map((t) => t.id)).toEqual([mistyped.id]);
    expect((await list('/v1/wallet/top-ups', 电信)).items.map((t) => t.id)).toEqual([电信s.id]);
    expect((await list('/v1/admin/top-ups', 'admin')).items.map((t) => t.id)).toEqual([mistyped.id, genuine.id, 电信s.id]);

    // Only an operator lists everyone's; a buyer cannot name another organization.
    expect((await problem(await get('/v1/admin/top-ups', 电信))).status).toBe(403);
    expect(await problem(await get(`/v1/wallet/top-ups?organization=${国网.organizationId}`, 电信))).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    expect((await get('/v1/wallet/top-ups', 'admin')).status).toBe(403);
  });

  it('refuses an unknown status, a forged cursor, a page too large and an organization that is not an id with 400 naming the field', async () => {
    const 商汤 = await signUpBuyer('商汤科技 / SenseTime');
    const forged = Buffer.from(`2026-11-30T00:00:00.000Z|not-a-top-up`, 'utf8').toString('base64url');
    const cases: [string, Buyer | 'admin', string][] = [
      ['/v1/wallet/top-ups?status=credited', 商汤, 'status'],
      ['/v1/admin/top-ups?status=paid', 'admin', 'status'],
      ['/v1/admin/payouts?status=confirmed', 'admin', 'status'],
      [`/v1/wallet/top-ups?cursor=${forged}`, 商汤, 'cursor'],
      [`/v1/admin/payouts?cursor=${forged}`, 'admin', 'cursor'],
      ['/v1/admin/top-ups?cursor=%25%25', 'admin', 'cursor'],
      ['/v1/wallet/top-ups?limit=101', 商汤, 'limit'],
      ['/v1/admin/payouts?limit=0', 'admin', 'limit'],
      ['/v1/admin/top-ups?organization=%E5%9B%BD%E7%BD%91', 'admin', 'organization'],
    ];
    for (const [path, who, field] of cases) {
      const refused = await problem(await get(path, who));
      expect({ path, status: refused.status, type: refused.type, code: refused.body.code, fields: refused.body.errors?.map((e: { field: string }) => e.field) }).toEqual({
        path,
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
        code: 'VALIDATION_FAILED',
        fields: [field],
      });
    }
  });

  it("lets the operator find a vendor's pending payout and pay it, and the vendor see both of its payouts with their statuses", async () => {
    const 数据堂 = await VendorClient.signUp(system, '数据堂 Datatang');
    const 标贝 = await VendorClient.signUp(system, '标贝科技 DataBaker');
    const 百度 = await signUpBuyer('百度智能云 / Baidu AI Cloud');
    const topUp = await fileTopUp(百度, 2_000_000, `招商银行 CMB-20261201-${randomUUID().slice(0, 6)}`);
    expect((await post(`/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status).toBe(200);
    const { dataset } = await 数据堂.listing(speechListing(), undefined);
    const offer = await 数据堂.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(1_000_000));
    await 数据堂.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    const placed = await json(await post('/v1/orders', 百度, { items: [{ offerId: offer.id }], acceptLicense: true }));
    await waitFor('the order to be paid', async () => ['paid', 'fulfilled'].includes((await json(await get(`/v1/orders/${placed.id}`, 百度))).status));
    expect((await json(await get('/v1/balance', 数据堂))).balance).toEqual({ amount: 800_000, currency: 'CNY' });

    // The vendor asks for too much, withdraws it, and asks for part of it.
    const tooMuch = await json(await post('/v1/payouts', 数据堂, { amount: { amount: 800_000, currency: 'CNY' } }));
    expect((await post(`/v1/payouts/${tooMuch.id}/cancel`, 数据堂)).status).toBe(200);
    const asked = await json(await post('/v1/payouts', 数据堂, { amount: { amount: 500_000, currency: 'CNY' } }));

    const queue = await everything('/v1/admin/payouts?status=pending', 'admin');
    expect(queue.map((p) => p.id)).toEqual([asked.id]);
    expect(queue[0]).toEqual(await json(await get(`/v1/payouts/${asked.id}`, 'admin')));
    expect((await post(`/v1/admin/payouts/${queue[0].id}/approve`, 'admin')).status).toBe(200);
    expect((await list('/v1/admin/payouts?status=pending', 'admin')).items).toEqual([]);
    expect((await list(`/v1/admin/payouts?organization=${数据堂.organizationId}`, 'admin')).items.map((p) => p.id)).toEqual([tooMuch.id, asked.id]);

    const own = await list('/v1/payouts', 数据堂);
    expect(own).toEqual({
      items: [
        expect.objectContaining({ id: asked.id, status: 'paid', vendorOrganizationId: 数据堂.organizationId, amount: { amount: 500_000, currency: 'CNY' } }),
        expect.objectContaining({ id: tooMuch.id, status: 'cancelled' }),
      ],
      nextCursor: null,
    });
    expect(own.items[0]).toEqual(await json(await get(`/v1/payouts/${asked.id}`, 数据堂)));
    expect((await list('/v1/payouts?status=paid', 数据堂)).items.map((p) => p.id)).toEqual([asked.id]);
    expect((await json(await get('/v1/balance', 数据堂))).balance).toEqual({ amount: 300_000, currency: 'CNY' });

    // Another vendor sees none of them; buyers and vendors do not reach the operator's list.
    expect((await list('/v1/payouts', 标贝)).items).toEqual([]);
    expect((await get('/v1/admin/payouts', 数据堂)).status).toBe(403);
    expect((await get('/v1/payouts', 百度)).status).toBe(403);
  });
});
