import { randomUUID } from 'node:crypto';
import { speechListing, VendorClient } from '../support/catalog';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

interface Buyer {
  key: string;
  organizationId: string;
}

const PRICE = 12_800_000; // 128,000.00 yuan
const FUNDS = 50_000_000;

/**
 * An operator suspends a vendor organization (fraud, a licensing dispute): through the public
 * API with every app running, its listing leaves search and its page and offer are closed to
 * buyers, while what a buyer bought before keeps downloading; reinstated, the listing is found
 * and sold again.
 */
describe('a suspended vendor, through the public API', () => {
  let system: TroveSystem;

  const as = (who: Buyer | VendorClient) => ({ as: { key: who.key } });
  const post = (path: string, who: Buyer | 'admin', body?: unknown) =>
    system.request(path, { method: 'POST', ...(who === 'admin' ? {} : as(who)), headers: { 'idempotency-key': randomUUID() }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const search = async (query: string) => json(await system.request(`/v1/datasets?${query}`, { as: 'anonymous' }));
  const titles = async (query: string) => ((await search(query)).items as { title: string }[]).map((i) => i.title).sort();

  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ai-data@example.cn' }) }));
    const buyer = { key: answer.apiKey, organizationId: answer.organization.id };
    const topUp = await json(await post('/v1/wallet/top-ups', buyer, { amount: { amount: FUNDS, currency: 'CNY' }, reference: `招商银行 CMB-20261130-${randomUUID().slice(0, 4)}` }));
    expect((await post(`/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status).toBe(200);
    return buyer;
  };
  const publish = async (vendor: VendorClient, listing: Record<string, unknown>) => {
    const { dataset, offer } = await vendor.listing(speechListing(listing));
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    return { datasetId: dataset.id as string, offerId: offer.id as string };
  };
  const order = (buyer: Buyer, offerId: string) => post('/v1/orders', buyer, { items: [{ offerId }], acceptLicense: true });
  const fulfilled = async (buyer: Buyer, orderId: string) =>
    waitFor(`order ${orderId} fulfilled`, async () => (await json(await system.request(`/v1/orders/${orderId}`, as(buyer)))).status === 'fulfilled', 60_000);
  const wallet = async (buyer: Buyer) => (await json(await system.request('/v1/wallet', as(buyer)))).balance.amount as number;

  beforeAll(async () => {
    system = await TroveSystem.start({ env: { LOG_LEVEL: 'warn' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('takes a suspended vendor’s listing out of search and refuses its orders, keeps what was bought downloading, and sells it again once the vendor is reinstated', async () => {
    const 海天 = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    const 数据堂 = await VendorClient.signUp(system, '数据堂 Datatang');
    const mandarin = await publish(海天, { title: '车载普通话语音指令 300 小时', tags: ['车载', '语音指令'] });
    const cantonese = await publish(数据堂, { title: '车载粤语语音指令 120 小时', languages: ['yue'], tags: ['车载', '语音指令'] });
    const buyer = await signUpBuyer('科大讯飞 iFLYTEK 数据采购部');

    // The buyer finds both and buys 海天's listing.
    const before = await search('q=%E8%BD%A6%E8%BD%BD'); // q=车载
    expect(before.items.map((i: { title: string }) => i.title).sort()).toEqual(['车载普通话语音指令 300 小时', '车载粤语语音指令 120 小时']);
    expect(before.total).toBe(2);
    expect(before.facets.language).toEqual(expect.arrayContaining([{ value: 'zh-CN', count: 1 }, { value: 'yue', count: 1 }]));
    const bought = await json(await order(buyer, mandarin.offerId));
    await fulfilled(buyer, bought.id);
    const entitlement = (await json(await system.request('/v1/entitlements', as(buyer)))).items.find((e: { orderId: string }) => e.orderId === bought.id);
    expect(await wallet(buyer)).toBe(FUNDS - PRICE);

    // An operator suspends 海天.
    expect(await json(await post(`/v1/admin/organizations/${海天.organizationId}/suspend`, 'admin'))).toMatchObject({ status: 'suspended' });

    // Search no longer finds it, nor counts it.
    await waitFor('search to stop finding the suspended vendor’s listing', async () => (await titles('q=%E8%BD%A6%E8%BD%BD')).length === 1, 30_000);
    const during = await search('q=%E8%BD%A6%E8%BD%BD');
    expect(during.items.map((i: { title: string }) => i.title)).toEqual(['车载粤语语音指令 120 小时']);
    expect(during.total).toBe(1);
    expect(during.facets.language).toEqual([{ value: 'yue', count: 1 }]);
    expect(await titles('language=zh-CN&q=%E8%BD%A6%E8%BD%BD')).toEqual([]);

    // Its page is 404 to buyers and the public; an operator still sees it, published as it was.
    for (const who of [{ as: 'anonymous' as const }, as(buyer)]) {
      const page = await system.request(`/v1/datasets/${mandarin.datasetId}`, who);
      expect({ status: page.status, code: (await json(page)).code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    }
    expect(await json(await system.request(`/v1/datasets/${mandarin.datasetId}`))).toMatchObject({ id: mandarin.datasetId, status: 'published' });

    // An order of its offer is refused as for any offer that cannot be bought now, and charges nothing.
    const refused = await order(buyer, mandarin.offerId);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await json(refused)).toMatchObject({ status: 409, code: 'OFFER_NOT_AVAILABLE' });
    expect(await wallet(buyer)).toBe(FUNDS - PRICE);

    // What the buyer bought before keeps downloading; the other vendor keeps selling.
    expect((await system.request(`/v1/entitlements/${entitlement.id}/manifest`, as(buyer))).status).toBe(200);
    expect((await order(buyer, cantonese.offerId)).status).toBe(201);

    // Reinstated: found, counted and sold again, as before.
    expect(await json(await post(`/v1/admin/organizations/${海天.organizationId}/approve`, 'admin'))).toMatchObject({ status: 'active' });
    await waitFor('search to find the reinstated vendor’s listing again', async () => (await titles('q=%E8%BD%A6%E8%BD%BD')).length === 2, 30_000);
    const after = await search('q=%E8%BD%A6%E8%BD%BD');
    expect({ items: after.items, total: after.total, facets: after.facets }).toEqual({ items: before.items, total: before.total, facets: before.facets });
    expect((await system.request(`/v1/datasets/${mandarin.datasetId}`, { as: 'anonymous' })).status).toBe(200);
    // Its buyer holds the perpetual license already and is told so; another buyer buys it.
    expect(await json(await order(buyer, mandarin.offerId))).toMatchObject({ status: 409, code: 'ALREADY_LICENSED' });
    const another = await signUpBuyer('思必驰 AISpeech 数据采购部');
    const again = await order(another, mandarin.offerId);
    expect(again.status).toBe(201);
    await fulfilled(another, (await json(again)).id);
  });

  it('lets a vendor withdraw its own published listing: out of search and off sale, bought copies keep downloading, and back on sale only through review', async () => {
    const 爱数 = await VendorClient.signUp(system, '爱数智慧 MagicData');
    const 标贝 = await VendorClient.signUp(system, '标贝科技 DataBaker');
    const listing = await publish(爱数, { title: '四川话自由对话语音 200 小时', tags: ['四川话', '方言'] });
    const buyer = await signUpBuyer('百川智能 数据采购部');
    const bought = await json(await order(buyer, listing.offerId));
    await fulfilled(buyer, bought.id);
    const entitlement = (await json(await system.request('/v1/entitlements', as(buyer)))).items.find((e: { orderId: string }) => e.orderId === bought.id);
    expect(await titles('q=%E5%9B%9B%E5%B7%9D%E8%AF%9D')).toContain('四川话自由对话语音 200 小时'); // q=四川话

    // Another vendor cannot withdraw it, nor can a buyer; a draft cannot be withdrawn.
    expect((await system.request(`/v1/datasets/${listing.datasetId}/withdraw`, { method: 'POST', as: { key: 标贝.key } })).status).toBe(404);
    expect((await system.request(`/v1/datasets/${listing.datasetId}/withdraw`, { method: 'POST', ...as(buyer) })).status).toBe(403);
    const draft = await 爱数.expect(201, '/v1/datasets', 'POST', speechListing({ title: '四川话朗读语音 50 小时（草稿）' }));
    const notPublished = await system.request(`/v1/datasets/${draft.id}/withdraw`, { method: 'POST', as: { key: 爱数.key } });
    expect({ status: notPublished.status, code: (await json(notPublished)).code }).toEqual({ status: 409, code: 'INVALID_STATE' });

    // The consent of some speakers is withdrawn: the vendor takes the listing off sale itself.
    expect(await 爱数.expect(200, `/v1/datasets/${listing.datasetId}/withdraw`, 'POST')).toMatchObject({ id: listing.datasetId, status: 'withdrawn' });
    expect(await titles('q=%E5%9B%9B%E5%B7%9D%E8%AF%9D')).not.toContain('四川话自由对话语音 200 小时');
    expect((await system.request(`/v1/datasets/${listing.datasetId}`, { as: 'anonymous' })).status).toBe(404);
    expect((await system.request(`/v1/datasets/${listing.datasetId}`, { as: { key: 爱数.key } })).status).toBe(200);
    const other = await signUpBuyer('零一万物 数据采购部');
    // Its offers are gone with its page, as an operator-suspended listing's are.
    expect(await json(await order(other, listing.offerId))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await wallet(other)).toBe(FUNDS);
    expect((await system.request(`/v1/entitlements/${entitlement.id}/manifest`, as(buyer))).status).toBe(200);
    // Withdrawing again is not a change the listing can make.
    expect((await system.request(`/v1/datasets/${listing.datasetId}/withdraw`, { method: 'POST', as: { key: 爱数.key } })).status).toBe(409);

    // Fixed (a new release without those speakers would go here), it goes back through review.
    expect(await 爱数.expect(200, `/v1/datasets/${listing.datasetId}/submit`, 'POST')).toMatchObject({ status: 'in_review' });
    expect((await system.request(`/v1/datasets/${listing.datasetId}`, { as: 'anonymous' })).status).toBe(404);
    expect((await post(`/v1/admin/datasets/${listing.datasetId}/approve`, 'admin')).status).toBe(200);
    expect(await titles('q=%E5%9B%9B%E5%B7%9D%E8%AF%9D')).toContain('四川话自由对话语音 200 小时');
    const again = await order(other, listing.offerId);
    expect(again.status).toBe(201);
    await fulfilled(other, (await json(again)).id);
    // The withdrawal is in the audit, by the vendor's key.
    const audit = await json(await system.request(`/v1/admin/audit?target=${listing.datasetId}&action=dataset.withdraw`));
    const successes = audit.items.filter((e: { outcome: string }) => e.outcome === 'success');
    expect(successes).toEqual([expect.objectContaining({ action: 'dataset.withdraw', status: 200, actor: expect.objectContaining({ organizationId: 爱数.organizationId }) })]);
  });
});
