import { exampleMetadata } from '@trove/dataset';
import { canonicalJson, licenseEndsAt } from '@trove/licensing';
import { createHash, randomUUID } from 'node:crypto';
import { commercialOffer, exclusiveOffer, speechListing, VendorClient, yearlyOffer } from '../support/catalog';
import { connectNats } from '../support/nats';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

interface Buyer {
  key: string;
  organizationId: string;
  keyId: string;
}

/** All five apps as processes in a NATS namespace of their own, driven through the public API. */
class Market {
  system!: TroveSystem;

  static async start(env: NodeJS.ProcessEnv = {}): Promise<Market> {
    const market = new Market();
    market.system = await TroveSystem.start({ env: { LOG_LEVEL: 'warn', ...env } });
    return market;
  }

  async stop(): Promise<void> {
    await this.system?.stop();
  }

  /** An approved vendor with a published listing and `offer` on it. */
  async publishedOffer(vendorName: string, offer: Record<string, unknown> = yearlyOffer(), title?: string, modality?: 'image'): Promise<{ vendor: VendorClient; offerId: string; datasetId: string }> {
    const vendor = await VendorClient.signUp(this.system, vendorName);
    const listing = modality ? { ...exampleMetadata(modality), title: title ?? '电商货架商品图像 25 万张', description: '25 万张电商货架与商品图像，含检测框与 OCR 文本标注。' } : speechListing(title ? { title } : {});
    // An open license lets anyone redistribute the data worldwide: only data that may leave China takes one.
    const template = (offer.license as { template?: string } | undefined)?.template;
    if (template === 'cc-by-4.0' || template === 'cdla-permissive-2.0') listing.compliance = { ...(listing.compliance as object), crossBorderTransfer: 'allowed' };
    const { dataset } = await vendor.listing(listing);
    const created = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', offer);
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    const approved = await this.system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' });
    if (approved.status !== 200) throw new Error(`approve dataset: ${approved.status} ${await approved.text()}`);
    return { vendor, offerId: created.id, datasetId: dataset.id };
  }

  async buyer(name: string): Promise<Buyer> {
    const response = await this.system.request('/v1/organizations', {
      method: 'POST',
      as: 'anonymous',
      body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'procurement@example.cn' }),
    });
    const body = await json(response);
    if (response.status !== 201) throw new Error(`buyer sign-up: ${response.status} ${JSON.stringify(body)}`);
    const me = await json(await this.system.request('/v1/me', { as: { key: body.apiKey } }));
    return { key: body.apiKey, organizationId: body.organization.id, keyId: me.keyId };
  }

  /** A bank transfer of `amount` fen announced by the buyer and confirmed by an operator. */
  async fund(buyer: Buyer, amount: number): Promise<void> {
    const recorded = await this.system.request('/v1/wallet/top-ups', {
      method: 'POST',
      as: { key: buyer.key },
      headers: { 'idempotency-key': randomUUID() },
      body: JSON.stringify({ amount: { amount, currency: 'CNY' }, reference: `招商银行 CMB-${randomUUID().slice(0, 8)}` }),
    });
    const topUp = await json(recorded);
    if (recorded.status !== 201) throw new Error(`top-up: ${recorded.status} ${JSON.stringify(topUp)}`);
    const confirmed = await this.system.request(`/v1/admin/top-ups/${topUp.id}/confirm`, { method: 'POST', headers: { 'idempotency-key': randomUUID() } });
    if (confirmed.status !== 200) throw new Error(`confirm top-up: ${confirmed.status} ${await confirmed.text()}`);
  }

  async wallet(buyer: Buyer): Promise<number> {
    return (await json(await this.system.request('/v1/wallet', { as: { key: buyer.key } }))).balance.amount;
  }

  /** `POST /v1/orders` with a fresh Idempotency-Key, the one given, or none (`null`). */
  order(buyer: Buyer, body: unknown, key: string | null = randomUUID()): Promise<Response> {
    return this.system.request('/v1/orders', {
      method: 'POST',
      as: { key: buyer.key },
      body: JSON.stringify(body),
      headers: key === null ? {} : { 'idempotency-key': key },
    });
  }

  /** Polls the order as its buyer until it is in one of `statuses`. */
  async settled(buyer: Buyer, orderId: string, statuses: string[] = ['fulfilled', 'cancelled', 'refunded'], ms = 30_000): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const until = Date.now() + ms;
    for (;;) {
      const order = await json(await this.system.request(`/v1/orders/${orderId}`, { as: { key: buyer.key } }));
      if (statuses.includes(order.status)) return order;
      if (Date.now() > until) throw new Error(`order ${orderId} is still ${order.status} after ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  query<T = Record<string, unknown>>(app: 'catalog' | 'ordering' | 'billing' | 'delivery', text: string, values: unknown[] = []): Promise<T[]> {
    return withDatabase(this.system.databases.get(app)!.url, async (client) => (await client.query(text, values)).rows as T[]);
  }
}

jest.setTimeout(600_000);

const PRICE = 12_800_000; // 128,000.00 yuan, the default commercial offer
const order = (offerId: string, extra: Record<string, unknown> = {}) => ({ items: [{ offerId }], acceptLicense: true, ...extra });

describe('the purchase saga through the public API, every app a process', () => {
  let h: Market;
  let offerId: string;
  let datasetId: string;
  let vendorKey: string;

  beforeAll(async () => {
    h = await Market.start({ ORDER_SWEEP_MS: '500', ORDER_REDRIVE_AFTER_MS: '3000' });
    const published = await h.publishedOffer('海天瑞声 SpeechOcean');
    ({ offerId, datasetId } = published);
    vendorKey = published.vendor.key;
  });

  afterAll(async () => {
    await h?.stop();
  });

  const charges = async (orderId: string) =>
    Number((await h.query<{ n: string }>('billing', `SELECT count(*) AS n FROM journal_entry WHERE order_id = $1 AND kind = 'charge'`, [orderId]))[0].n);
  const orderCount = async () => Number((await h.query<{ n: string }>('ordering', `SELECT count(*) AS n FROM purchase_order`))[0].n);

  it('a funded buyer orders, the order is paid and fulfilled, and the receipt proves the terms accepted', async () => {
    const buyer = await h.buyer('中国移动九天人工智能 China Mobile Jiutian');
    await h.fund(buyer, PRICE + 50_000);
    const owedBefore = (await json(await h.system.request('/v1/balance', { as: { key: vendorKey } }))).balance.amount;
    const response = await h.order(buyer, order(offerId));
    const placed = await json(response);
    expect(response.status).toBe(201);
    expect(placed).toMatchObject({
      status: 'pending_payment',
      items: [{ offerId, datasetId, price: { amount: PRICE, currency: 'CNY' }, licenseTermsSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }],
      total: { amount: PRICE, currency: 'CNY' },
    });

    const done = await h.settled(buyer, placed.id);
    expect(done).toMatchObject({ status: 'fulfilled', cancellationReason: null, paymentId: expect.any(String), entitlementIds: [expect.any(String)] });
    expect(await charges(placed.id)).toBe(1);
    const entitlements = await json(await h.system.request('/v1/entitlements', { as: { key: buyer.key } }));
    expect(entitlements.items).toEqual([expect.objectContaining({ id: done.entitlementIds[0], orderId: placed.id, datasetId, status: 'active' })]);
    // The money: the wallet paid the price, the vendor is owed it minus the 20 % commission,
    // and the invoice's net and tax add up to the price.
    expect(await h.wallet(buyer)).toBe(50_000);
    const owed = (await json(await h.system.request('/v1/balance', { as: { key: vendorKey } }))).balance.amount;
    expect(owed - owedBefore).toBe(PRICE - PRICE / 5);
    const invoices = await json(await h.system.request('/v1/invoices', { as: { key: buyer.key } }));
    const invoice = invoices.items.find((i: { orderId: string }) => i.orderId === placed.id);
    expect(invoice.gross).toEqual({ amount: PRICE, currency: 'CNY' });
    expect(invoice.net.amount + invoice.tax.amount).toBe(PRICE);

    const receipt = await json(await h.system.request(`/v1/orders/${placed.id}/receipt`, { as: { key: buyer.key } }));
    const { sha256, ...content } = receipt;
    expect(createHash('sha256').update(canonicalJson(content)).digest('hex')).toBe(sha256);
    expect(receipt).toMatchObject({ orderId: placed.id, acceptedByOrganizationId: buyer.organizationId, acceptedByKeyId: buyer.keyId });
    expect(receipt.lines).toEqual([expect.objectContaining({ offerId, termsSha256: placed.items[0].licenseTermsSha256, terms: expect.objectContaining({ uses: expect.any(Array) }) })]);
    // The database keeps the receipt as it was written.
    await expect(h.query('ordering', `UPDATE license_receipt SET accepted_by_key_id = 'forged' WHERE order_id = $1`, [placed.id])).rejects.toThrow(/immutable/);

    const sales = await json(await h.system.request('/v1/sales', { as: { key: vendorKey } }));
    // The vendor reads who bought: the buyer's id and the name it signed up with.
    const me = await json(await h.system.request('/v1/me', { as: { key: buyer.key } }));
    expect(sales.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ orderId: placed.id, buyerOrganizationId: buyer.organizationId, buyerName: me.organization.name, orderStatus: 'fulfilled' })]),
    );
  });

  it('the same Idempotency-Key sent 50 times at once makes one order and one charge; a replay answers the same; another body is 422', async () => {
    const buyer = await h.buyer('百度智能云 Baidu AI Cloud');
    await h.fund(buyer, PRICE * 3);
    const key = `po-2026-11-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 50 }, () => h.order(buyer, order(offerId), key)));
    const bodies = await Promise.all(answers.map((a) => json(a)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(201));
    const ids = new Set(bodies.map((b) => b.id));
    expect(ids.size).toBe(1);
    const [orderId] = ids;
    await h.settled(buyer, orderId);
    expect(await charges(orderId)).toBe(1);

    const replay = await h.order(buyer, order(offerId), key);
    expect(replay.status).toBe(201);
    expect(await json(replay)).toEqual(bodies[0]);
    // A client whose UUID library writes capitals names the same offer: the same request.
    const shouted = await h.order(buyer, order(offerId.toUpperCase()), key);
    expect(shouted.status).toBe(201);
    expect(await json(shouted)).toEqual(bodies[0]);

    const before = await orderCount();
    const reused = await h.order(buyer, { items: [{ offerId }], acceptLicense: true, note: 'x' }, key);
    expect(reused.status).toBe(400); // unknown field: refused before the key is even looked at
    const other = await h.publishedOffer('数据堂 Datatang', yearlyOffer(99_900));
    const different = await h.order(buyer, order(other.offerId), key);
    expect(different.status).toBe(422);
    expect(await json(different)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    const missing = await h.order(buyer, order(offerId), null);
    expect(missing.status).toBe(400);
    expect(await orderCount()).toBe(before);
  });

  it('with credit for exactly 10 purchases, 50 concurrent orders end 10 fulfilled and 40 cancelled for INSUFFICIENT_FUNDS', async () => {
    const cheap = await h.publishedOffer('标贝科技 DataBaker', yearlyOffer(459_900));
    const buyer = await h.buyer('科大讯飞 iFLYTEK');
    await h.fund(buyer, 459_900 * 10);
    const answers = await Promise.all(Array.from({ length: 50 }, () => h.order(buyer, order(cheap.offerId))));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(201));
    const ids = (await Promise.all(answers.map((a) => json(a)))).map((b) => b.id);
    const ends = await Promise.all(ids.map((id) => h.settled(buyer, id)));
    expect(ends.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    const cancelled = ends.filter((o) => o.status === 'cancelled');
    expect(cancelled).toHaveLength(40);
    expect(new Set(cancelled.map((o) => o.cancellationReason))).toEqual(new Set(['INSUFFICIENT_FUNDS']));
    const listed = await json(await h.system.request('/v1/orders?status=cancelled&limit=100', { as: { key: buyer.key } }));
    expect(listed.items).toHaveLength(40);
  });

  it('refuses orders it cannot honour with a clear code, and changes nothing', async () => {
    const buyer = await h.buyer('中国电信人工智能研究院 China Telecom AI');
    const rival = await h.buyer('商汤科技 SenseTime');
    await h.fund(buyer, PRICE * 2);
    const privateOffer = await h.publishedOffer('澳鹏 Appen China', yearlyOffer(PRICE, { buyerOrgId: rival.organizationId }));
    const gated = await h.publishedOffer('云测数据 Testin Data', yearlyOffer(PRICE, { requiresApproval: true }));
    const suspended = await h.publishedOffer('爱数智慧 Magic Data');
    expect((await h.system.request(`/v1/admin/datasets/${suspended.datasetId}/suspend`, { method: 'POST' })).status).toBe(200);
    const before = await orderCount();

    const expectProblem = async (response: Response, status: number, code: string) => {
      expect({ status: response.status, code: (await json(response)).code }).toEqual({ status, code });
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    };
    await expectProblem(await h.order(buyer, { items: [{ offerId }], acceptLicense: false }), 400, 'VALIDATION_FAILED');
    await expectProblem(await h.order(buyer, { items: [{ offerId }] }), 400, 'VALIDATION_FAILED');
    await expectProblem(await h.order(buyer, { items: [], acceptLicense: true }), 400, 'VALIDATION_FAILED');
    await expectProblem(await h.order(buyer, { items: [{ offerId }, { offerId }], acceptLicense: true }), 400, 'VALIDATION_FAILED');
    await expectProblem(await h.order(buyer, order('not-a-uuid')), 400, 'VALIDATION_FAILED');
    await expectProblem(await h.order(buyer, order(randomUUID())), 404, 'NOT_FOUND');
    await expectProblem(await h.order(buyer, order(privateOffer.offerId)), 404, 'NOT_FOUND');
    await expectProblem(await h.order(buyer, order(suspended.offerId)), 404, 'NOT_FOUND');
    await expectProblem(await h.order(buyer, order(gated.offerId)), 403, 'ACCESS_NOT_APPROVED');
    expect(await orderCount()).toBe(before);

    // The vendor approves an access request; then the order goes through.
    const asked = await h.system.request('/v1/access-requests', {
      method: 'POST',
      as: { key: buyer.key },
      body: JSON.stringify({ offerId: gated.offerId, intendedUse: '用于客服语音识别模型微调 / fine-tuning a call-centre ASR model' }),
    });
    const request = await json(asked);
    expect({ status: asked.status, state: request.status }).toEqual({ status: 201, state: 'pending' });
    await expectProblem(await h.order(buyer, order(gated.offerId)), 403, 'ACCESS_NOT_APPROVED');
    expect((await h.system.request(`/v1/access-requests/${request.id}/approve`, { method: 'POST', as: { key: privateOffer.vendor.key } })).status).toBe(404);
    const approved = await h.system.request(`/v1/access-requests/${request.id}/approve`, { method: 'POST', as: { key: gated.vendor.key } });
    expect({ status: approved.status, state: (await json(approved)).status }).toEqual({ status: 200, state: 'approved' });
    const placed = await h.order(buyer, order(gated.offerId));
    expect(placed.status).toBe(201);
    expect((await h.settled(buyer, (await json(placed)).id)).status).toBe('fulfilled');

    // The rival may buy its private offer.
    await h.fund(rival, PRICE);
    expect((await h.order(rival, order(privateOffer.offerId))).status).toBe(201);
  });

  it('sells a perpetual license to a buyer once: ordered again it is 409 ALREADY_LICENSED naming the order and charges nothing, until that order is refunded', async () => {
    const { offerId } = await h.publishedOffer('希尔贝壳 AISHELL', commercialOffer(PRICE), '普通话智能家居语音指令 500 小时');
    const buyer = await h.buyer('小米 XiaoAI 语音团队');
    await h.fund(buyer, PRICE * 3);
    const first = await json(await h.order(buyer, order(offerId)));
    expect((await h.settled(buyer, first.id)).status).toBe('fulfilled');

    const again = await h.order(buyer, order(offerId));
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const refused = await json(again);
    expect(refused).toMatchObject({ status: 409, code: 'ALREADY_LICENSED' });
    expect(refused.detail).toContain(first.id);
    expect(await h.wallet(buyer)).toBe(PRICE * 2);

    const refund = await h.system.request(`/v1/admin/orders/${first.id}/refund`, { method: 'POST', body: JSON.stringify({ reason: '数据与描述不符 / data did not match the listing' }) });
    expect(refund.status).toBe(202);
    expect((await h.settled(buyer, first.id, ['refunded'])).status).toBe('refunded');
    const rebought = await json(await h.order(buyer, order(offerId)));
    expect((await h.settled(buyer, rebought.id)).status).toBe('fulfilled');
    expect(await h.wallet(buyer)).toBe(PRICE * 2);
  });

  it('renews a license with a term bought again: the second year follows the first; a second subscription is 409 ALREADY_LICENSED', async () => {
    const yearly = await h.publishedOffer('数据堂 Datatang', yearlyOffer(1_000_000), '中文电话客服对话录音 300 小时');
    const monthly = await h.publishedOffer('标贝科技 DataBaker', { license: { template: 'research' }, pricing: { model: 'subscription', period: 'month', price: { amount: 200_000, currency: 'CNY' } } }, '普通话新闻播报语音 每月更新');
    const buyer = await h.buyer('百度智能云 千帆 / Baidu Qianfan');
    await h.fund(buyer, 5_000_000);
    const entitlementOf = async (orderId: string) => {
      const { items } = await json(await h.system.request('/v1/entitlements', { as: { key: buyer.key } }));
      return (items as { id: string; orderId: string; startsAt: string; expiresAt: string | null; status: string }[]).find((e) => e.orderId === orderId)!;
    };

    const first = await json(await h.order(buyer, order(yearly.offerId)));
    expect((await h.settled(buyer, first.id)).status).toBe('fulfilled');
    const second = await json(await h.order(buyer, order(yearly.offerId)));
    expect((await h.settled(buyer, second.id)).status).toBe('fulfilled');
    const [one, two] = [await entitlementOf(first.id), await entitlementOf(second.id)];
    expect(two).toMatchObject({ status: 'active', startsAt: one.expiresAt, expiresAt: licenseEndsAt({ termMonths: 12 }, new Date(one.expiresAt!))!.toISOString() });
    // The second year has not begun, not ended: its manifest says when it starts.
    const early = await h.system.request(`/v1/entitlements/${two.id}/manifest`, { as: { key: buyer.key } });
    const refusal = await json(early);
    expect({ status: early.status, code: refusal.code }).toEqual({ status: 403, code: 'ENTITLEMENT_NOT_STARTED' });
    expect(refusal.detail).toContain(`starts at ${one.expiresAt}`);
    expect(await h.wallet(buyer)).toBe(3_000_000);

    const subscribed = await json(await h.order(buyer, order(monthly.offerId)));
    expect((await h.settled(buyer, subscribed.id)).status).toBe('fulfilled');
    const again = await h.order(buyer, order(monthly.offerId));
    const refused = await json(again);
    expect({ status: again.status, code: refused.code }).toEqual({ status: 409, code: 'ALREADY_LICENSED' });
    expect(refused.detail).toContain(subscribed.id);
    expect(await h.wallet(buyer)).toBe(3_000_000 - 200_000);
  });

  it('sells an exclusive license once; a cancelled order gives it back', async () => {
    const exclusive = await h.publishedOffer('整数智能 MolarData', exclusiveOffer(24, ['CN'], 5_000_000), '自动驾驶路测视频 3D 框标注 / driving video with 3D boxes');
    const poor = await h.buyer('小鹏汽车 XPeng');
    const rich = await h.buyer('理想汽车 Li Auto');
    await h.fund(rich, 5_000_000);

    // Billing is down while the first order holds the sale, so its decline cannot release it
    // before the second order arrives, however quickly the saga runs.
    const billing = h.system.app('billing');
    billing.kill('SIGTERM');
    await billing.exit();
    let first: { id: string };
    try {
      first = await json(await h.order(poor, order(exclusive.offerId)));
      const blocked = await h.order(rich, order(exclusive.offerId));
      expect({ status: blocked.status, code: (await json(blocked)).code }).toEqual({ status: 409, code: 'EXCLUSIVITY_CONFLICT' });
    } finally {
      billing.start();
      await billing.ready();
    }
    expect((await h.settled(poor, first.id)).cancellationReason).toBe('INSUFFICIENT_FUNDS');
    // The cancellation tells the catalog through an event (order.exclusive-ended): the sale is
    // released when the catalog takes it, a moment after the order is cancelled.
    await waitFor("the catalog to release the cancelled order's sale", async () => (await liveSales(exclusive.datasetId)).length === 0);

    const second = await h.order(rich, order(exclusive.offerId));
    expect(second.status).toBe(201);
    expect((await h.settled(rich, (await json(second)).id)).status).toBe('fulfilled');
  });

  /** The live exclusive sales of a dataset, as the catalog keeps them: the orders holding them. */
  const liveSales = async (datasetId: string) =>
    (await h.query<{ order_id: string }>('catalog', `SELECT order_id FROM exclusive_sale WHERE dataset_id = $1 AND status = 'live'`, [datasetId])).map((r) => r.order_id);

  it('an order refused after reserving an exclusive sale leaves none behind: the vendor offers the territory again and another buyer buys it', async () => {
    const first = await h.publishedOffer('曼孚科技 MindFlow', exclusiveOffer(24, ['CN'], 3_000_000), '城市道路激光点云 / urban lidar point clouds');
    const second = await h.publishedOffer('倍赛科技 BasicFinder', exclusiveOffer(24, ['CN'], 2_000_000), '工业质检图像 / industrial inspection images');
    const empty = await h.buyer('某初创公司 a start-up with an empty wallet');
    const before = await orderCount();

    // One order holds at most one exclusive sale: two are refused before anything is reserved.
    const refused = await h.order(empty, { items: [{ offerId: first.offerId }, { offerId: second.offerId }], acceptLicense: true });
    expect({ status: refused.status, code: (await json(refused)).code }).toEqual({ status: 409, code: 'CONFLICT' });
    expect(await orderCount()).toBe(before);
    expect(await liveSales(first.datasetId)).toEqual([]);
    expect(await liveSales(second.datasetId)).toEqual([]);

    // The territory is free: its vendor may offer it exclusively again, and a buyer may buy it.
    await first.vendor.expect(201, `/v1/datasets/${first.datasetId}/offers`, 'POST', exclusiveOffer(12, ['CN']));
    const rich = await h.buyer('蔚来汽车 NIO');
    await h.fund(rich, 3_000_000);
    const bought = await h.order(rich, order(first.offerId));
    expect(bought.status).toBe(201);
    const placed = await json(bought);
    expect((await h.settled(rich, placed.id)).status).toBe('fulfilled');
    expect(await liveSales(first.datasetId)).toEqual([placed.id]);

    // A total past 2^53 - 1 minor units is refused, with no sale left either.
    const dear = await h.publishedOffer('澳鹏 Appen China', exclusiveOffer(24, ['CN'], 9_007_199_254_000_000), '全国方言语音 / dialect speech, every province');
    const overflow = await h.order(rich, { items: [{ offerId: dear.offerId }, { offerId }], acceptLicense: true });
    expect({ status: overflow.status, code: (await json(overflow)).code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await liveSales(dear.datasetId)).toEqual([]);
    await dear.vendor.expect(201, `/v1/datasets/${dear.datasetId}/offers`, 'POST', exclusiveOffer(12, ['CN']));
  });

  it('a sale reserved by a placement that died before writing its order is released by the sweep, and the retry buys it', async () => {
    const sole = await h.publishedOffer('标贝科技 DataBaker', exclusiveOffer(24, ['CN'], 4_000_000), '情感语音合成语料 / expressive TTS corpus');
    const buyer = await h.buyer('腾讯 AI Lab Tencent');
    await h.fund(buyer, 4_000_000);
    const key = `po-${randomUUID()}`;
    const ordering = h.system.app('ordering');
    const nc = await connectNats();
    let orderId = '';
    try {
      const reserving = new Promise<string>((resolve) => {
        nc.subscribe(`${h.system.namespace}.catalog.exclusive.reserve`, {
          callback: (_error, msg) => resolve(JSON.parse(new TextDecoder().decode(msg.data)).orderId),
        });
      });
      await nc.flush();
      // While the test holds the dataset's row, the catalog cannot answer the reservation:
      // ordering is killed waiting for it, and the catalog records the sale right after.
      await withDatabase(h.system.databases.get('catalog')!.url, async (catalog) => {
        await catalog.query('BEGIN');
        await catalog.query('SELECT id FROM dataset WHERE id = $1 FOR UPDATE', [sole.datasetId]);
        const answer = h.order(buyer, order(sole.offerId), key);
        orderId = await reserving;
        ordering.kill('SIGKILL');
        await catalog.query('COMMIT');
        expect((await answer).status).toBe(503);
      });
    } finally {
      await nc.close();
    }
    await ordering.exit();
    await waitFor('the catalog to record the sale', async () => (await liveSales(sole.datasetId)).includes(orderId));
    expect(await h.query('ordering', `SELECT id FROM purchase_order WHERE id = $1`, [orderId])).toEqual([]);

    ordering.start();
    await ordering.ready();
    await waitFor('the sweep to release the sale', async () => (await liveSales(sole.datasetId)).length === 0, 30_000);
    await sole.vendor.expect(201, `/v1/datasets/${sole.datasetId}/offers`, 'POST', exclusiveOffer(6, ['CN']));

    // The buyer sends the same request again: the same order, sold anew.
    const retry = await h.order(buyer, order(sole.offerId), key);
    expect(retry.status).toBe(201);
    expect((await json(retry)).id).toBe(orderId);
    expect((await h.settled(buyer, orderId)).status).toBe('fulfilled');
    expect(await liveSales(sole.datasetId)).toEqual([orderId]);
  });

  it('shows a buyer only its own orders and receipts, and a vendor only its own sales', async () => {
    const owner = await h.buyer('智谱 AI Zhipu');
    const other = await h.buyer('月之暗面 Moonshot AI');
    await h.fund(owner, PRICE);
    const placed = await json(await h.order(owner, order(offerId)));
    await h.settled(owner, placed.id);

    for (const path of [`/v1/orders/${placed.id}`, `/v1/orders/${placed.id}/receipt`]) {
      expect((await h.system.request(path, { as: { key: other.key } })).status).toBe(404);
      expect((await h.system.request(path, { as: { key: owner.key } })).status).toBe(200);
      expect((await h.system.request(path)).status).toBe(200); // the operator
    }
    const theirs = await json(await h.system.request('/v1/orders?limit=100', { as: { key: other.key } }));
    expect(theirs.items).toEqual([]);
    const mine = await json(await h.system.request('/v1/orders?limit=100', { as: { key: owner.key } }));
    expect(mine.items.map((o: { id: string }) => o.id)).toEqual([placed.id]);

    const stranger = await h.publishedOffer('星尘数据 Stardust');
    const strangerSales = await json(await h.system.request('/v1/sales?limit=100', { as: { key: stranger.vendor.key } }));
    expect(strangerSales.items).toEqual([]);
    const sales = await json(await h.system.request('/v1/sales?limit=100', { as: { key: vendorKey } }));
    expect(sales.items.length).toBeGreaterThan(0);
    expect(new Set(sales.items.map((s: { datasetId: string }) => s.datasetId))).toEqual(new Set([datasetId]));
    // Narrowed to one buyer: that buyer's purchase, named; to another vendor's listing: nothing.
    const toOwner = await json(await h.system.request(`/v1/sales?limit=100&datasetId=${datasetId}&buyerOrganizationId=${owner.organizationId}`, { as: { key: vendorKey } }));
    expect(toOwner.items.map((s: { orderId: string; buyerName: string }) => [s.orderId, s.buyerName])).toEqual([[placed.id, '智谱 AI Zhipu']]);
    const ofStranger = await json(await h.system.request(`/v1/sales?datasetId=${stranger.datasetId}`, { as: { key: vendorKey } }));
    expect(ofStranger.items).toEqual([]);
    const malformed = await h.system.request('/v1/sales?datasetId=普通话', { as: { key: vendorKey } });
    expect({ status: malformed.status, fields: (await json(malformed)).errors?.map((e: { field: string }) => e.field) }).toEqual({ status: 400, fields: ['datasetId'] });
  });

  it('refunds a fulfilled order through billing; an order never paid cannot be refunded', async () => {
    const buyer = await h.buyer('字节跳动 ByteDance');
    await h.fund(buyer, PRICE);
    const paid = await json(await h.order(buyer, order(offerId)));
    await h.settled(buyer, paid.id);
    const unpaid = await json(await h.order(buyer, order(offerId)));
    expect((await h.settled(buyer, unpaid.id)).status).toBe('cancelled');

    const refused = await h.system.request(`/v1/admin/orders/${unpaid.id}/refund`, { method: 'POST', body: JSON.stringify({ reason: '重复下单 / duplicate order' }) });
    expect({ status: refused.status, code: (await json(refused)).code }).toEqual({ status: 409, code: 'ORDER_NOT_REFUNDABLE' });

    // The buyer reads the reason: escapes and reordering marks are refused, and nothing is refunded.
    for (const reason of ['退款\u001b[2J\u001b[31m已完成', '数据不符 \u202e款退已']) {
      const bad = await h.system.request(`/v1/admin/orders/${paid.id}/refund`, { method: 'POST', body: JSON.stringify({ reason }) });
      expect({ status: bad.status, body: await json(bad) }).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ field: 'reason' }] } });
    }
    expect((await json(await h.system.request(`/v1/orders/${paid.id}`, { as: { key: buyer.key } }))).status).toBe('fulfilled');

    const accepted = await h.system.request(`/v1/admin/orders/${paid.id}/refund`, { method: 'POST', body: JSON.stringify({ reason: '数据与描述不符 / data did not match the listing' }) });
    expect({ status: accepted.status, state: (await json(accepted)).status }).toEqual({ status: 202, state: 'refund_pending' });
    const refunded = await h.settled(buyer, paid.id, ['refunded']);
    expect(refunded.refundReason).toBe('数据与描述不符 / data did not match the listing');
    // Delivery revokes the entitlement on order.refunded.
    await waitFor('the entitlement to be revoked', async () => {
      const list = await json(await h.system.request('/v1/entitlements', { as: { key: buyer.key } }));
      return list.items.find((e: { orderId: string }) => e.orderId === paid.id)?.status === 'revoked';
    });

    expect((await h.query<{ n: string }>('billing', `SELECT count(*) AS n FROM journal_entry WHERE order_id = $1`, [paid.id])).map((r) => Number(r.n))).toEqual([2]);
  });

  it('gives operators the orders by status and the access requests left waiting in GET /v1/admin/stats', async () => {
    // A vendor leaves a buyer's access request undecided for nine days.
    const gated = await h.publishedOffer('标贝科技 DataBaker', yearlyOffer(PRICE, { requiresApproval: true }), '粤语情感语音合成数据 50 小时');
    const buyer = await h.buyer('零一万物 01.AI');
    const asked = await h.system.request('/v1/access-requests', {
      method: 'POST',
      as: { key: buyer.key },
      body: JSON.stringify({ offerId: gated.offerId, intendedUse: '训练粤语语音合成模型 / training a Cantonese TTS model' }),
    });
    expect(asked.status).toBe(201);
    await h.query('ordering', `UPDATE access_request SET created_at = now() - interval '9 days' WHERE id = $1`, [(await json(asked)).id]);
    const [pending] = await h.query<{ n: number; oldest: Date; overdue: number }>(
      'ordering',
      `SELECT count(*)::int AS n, min(created_at) AS oldest, count(*) FILTER (WHERE created_at < now() - interval '7 days')::int AS overdue FROM access_request WHERE status = 'pending'`,
    );

    const counted = await h.query<{ status: string; n: number }>('ordering', `SELECT status, count(*)::int AS n FROM purchase_order GROUP BY status`);
    const stats = await json(await h.system.request('/v1/admin/stats'));
    expect(stats.unavailable).toEqual([]);
    expect(stats.ordersByStatus).toEqual({
      pending_payment: 0,
      paid: 0,
      fulfilled: 0,
      cancelled: 0,
      refund_pending: 0,
      refunded: 0,
      ...Object.fromEntries(counted.map((row) => [row.status, row.n])),
    });
    expect(stats.ordersByStatus.fulfilled).toBeGreaterThan(10);
    // The oldest pending request is DataBaker's, so DataBaker is the vendor to chase first.
    expect(stats.accessRequestsWaiting).toEqual({ pending: pending.n, oldestCreatedAt: pending.oldest.toISOString(), overSevenDays: pending.overdue, slowestVendors: expect.any(Array) });
    expect(pending.overdue).toBeGreaterThanOrEqual(1);
    expect(stats.accessRequestsWaiting.slowestVendors[0]).toEqual({ vendorOrganizationId: gated.vendor.organizationId, pending: 1, oldestCreatedAt: pending.oldest.toISOString() });
    expect(stats.accessRequestsWaiting.slowestVendors.length).toBeLessThanOrEqual(10);
    expect((await h.system.request('/v1/admin/stats', { as: { key: vendorKey } })).status).toBe(403);
  });

  it('shows operators organizations and listings as they move, and where events queue while a consumer’s service is down', async () => {
    const stats = async () => {
      const response = await h.system.request('/v1/admin/stats');
      expect(response.status).toBe(200);
      return json(response);
    };
    const ordersIn = (s: { ordersByStatus: Record<string, number> }) => Object.values(s.ordersByStatus).reduce((sum, n) => sum + n, 0);
    const paymentsBacklog = (s: { eventBacklog: { consumers: { service: string; consumer: string; pending: number; ackPending: number }[] } }) =>
      s.eventBacklog.consumers.find((c) => c.service === 'billing' && c.consumer === 'order-payments')!;

    const before = await stats();
    expect(before.unavailable).toEqual([]);
    expect(Object.keys(before.organizationsByKind).sort()).toEqual(['admin', 'buyer', 'vendor']);
    for (const kind of ['admin', 'buyer', 'vendor']) expect(Object.keys(before.organizationsByKind[kind]).sort()).toEqual(['active', 'pending', 'suspended']);
    expect(Object.keys(before.datasetsByStatus).sort()).toEqual(['draft', 'in_review', 'published', 'rejected', 'suspended', 'withdrawn']);
    expect(before.datasetsByStatus.published).toBeGreaterThanOrEqual(1);
    // Every service's consumers are there (the catalog's since it follows vendors' standing), each with nothing left to deliver.
    expect(new Set(before.eventBacklog.consumers.map((c: { service: string }) => c.service))).toEqual(new Set(['gateway', 'catalog', 'ordering', 'billing', 'delivery']));
    expect(paymentsBacklog(before)).toMatchObject({ pending: 0, ackPending: 0, redelivered: expect.any(Number) });
    expect(Object.keys(before.eventBacklog.unpublished).sort()).toEqual(['billing', 'catalog', 'delivery', 'gateway', 'ordering']);

    // A vendor signs up (pending), is approved (active), and lists a dataset up to published.
    const vendor = await VendorClient.signUp(h.system, '数据堂 Datatang', false);
    let now = await stats();
    expect(now.organizationsByKind.vendor).toEqual({ ...before.organizationsByKind.vendor, pending: before.organizationsByKind.vendor.pending + 1 });
    expect((await h.system.request(`/v1/admin/organizations/${vendor.organizationId}/approve`, { method: 'POST' })).status).toBe(200);
    const { dataset } = await vendor.listing(speechListing({ title: '四川话车载语音 300 小时 / Sichuanese in-car speech, 300 hours' }));
    now = await stats();
    expect(now.organizationsByKind.vendor).toEqual({ ...before.organizationsByKind.vendor, active: before.organizationsByKind.vendor.active + 1 });
    expect(now.datasetsByStatus).toEqual({ ...before.datasetsByStatus, draft: before.datasetsByStatus.draft + 1 });
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await stats()).datasetsByStatus).toEqual({ ...before.datasetsByStatus, in_review: before.datasetsByStatus.in_review + 1 });
    expect((await h.system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);
    expect((await stats()).datasetsByStatus).toEqual({ ...before.datasetsByStatus, published: before.datasetsByStatus.published + 1 });

    // An event written to the catalog's outbox and not yet published (a relay holds it).
    await waitFor('the catalog to publish the listing’s events', async () => (await stats()).eventBacklog.unpublished.catalog === 0);
    const held = randomUUID();
    const catalogDb = h.system.databases.get('catalog')!.url;
    await withDatabase(catalogDb, (c) =>
      c.query(`INSERT INTO outbox (id, subject, payload, occurred_at, claimed_until) VALUES ($1, 'evt.catalog.stats-test.v1', '{}', now(), now() + interval '1 hour')`, [held]),
    );
    try {
      expect((await stats()).eventBacklog.unpublished).toMatchObject({ catalog: 1, ordering: 0 });
    } finally {
      await withDatabase(catalogDb, (c) => c.query(`DELETE FROM outbox WHERE id = $1`, [held]));
    }
    expect((await stats()).eventBacklog.unpublished.catalog).toBe(0);

    // Billing is down: an order placed now waits in billing's consumer, and stats still answers.
    const buyer = await h.buyer('小红书 Xiaohongshu');
    await h.fund(buyer, PRICE);
    const billing = h.system.app('billing');
    billing.kill('SIGTERM');
    await billing.exit();
    try {
      const placed = await h.order(buyer, order(offerId));
      expect(placed.status).toBe(201);
      const waiting = await waitFor('the order to wait for billing', async () => {
        const s = await stats();
        const backlog = paymentsBacklog(s);
        return backlog.pending + backlog.ackPending >= 1 && s;
      });
      expect(waiting.unavailable).toEqual(['billing']);
      expect(waiting.salesPerCurrency).toBeNull();
      expect(waiting.eventBacklog.unpublished.billing).toBeNull();
      expect(ordersIn(waiting)).toBe(ordersIn(before) + 1);
      expect(waiting.datasetsByStatus).not.toBeNull();
      expect(waiting.ordersByStatus.pending_payment).toBeGreaterThanOrEqual(1);
      expect(waiting.accessRequestsWaiting).toMatchObject({ pending: expect.any(Number), overSevenDays: expect.any(Number), slowestVendors: expect.any(Array) });

      billing.start();
      await billing.ready();
      expect((await h.settled(buyer, (await json(placed)).id)).status).toBe('fulfilled');
      await waitFor('billing to catch up', async () => {
        const s = await stats();
        const backlog = paymentsBacklog(s);
        return s.unavailable.length === 0 && backlog.pending === 0 && backlog.ackPending === 0;
      });
    } finally {
      if (!billing.running) {
        billing.start();
        await billing.ready();
      }
    }

    // Operators' figures are for operators only.
    const refused = await h.system.request('/v1/admin/stats', { as: { key: buyer.key } });
    expect(refused.status).toBe(403);
    expect(await json(refused)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });
});

const CHAOS_PRICE = 99_900; // 999.00 yuan
const BUYERS = 25;
const ORDERS_PER_BUYER = 20; // 500 orders in all
const AFFORDABLE = 16; // each wallet covers 16 of its 20 orders: 100 end cancelled
const FREE_PER_BUYER = 2; // and each buyer takes a CC BY dataset twice: 50 orders billing never sees

/**
 * Chaos: 500 orders in flight while billing, then ordering, then delivery are killed with
 * SIGKILL at random moments and started again. Clients retry a refused POST with the same
 * Idempotency-Key, as they are told to. Afterwards every order ends, the ledger balances, and
 * the money and the entitlements agree order by order; free orders among them end fulfilled
 * without billing.
 */
describe('the purchase saga when services die mid-flight', () => {
  let h: Market;

  beforeAll(async () => {
    h = await Market.start({ ORDER_SWEEP_MS: '1000', ORDER_REDRIVE_AFTER_MS: '5000', RPC_TIMEOUT_MS: '2000' });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('ends every order within 60 s of the restart, with a zero trial balance, and no charge without an entitlement or the reverse', async () => {
    const { offerId } = await h.publishedOffer('海天瑞声 SpeechOcean', yearlyOffer(CHAOS_PRICE));
    const open = await h.publishedOffer('北京智源人工智能研究院 BAAI', { license: { template: 'cc-by-4.0' }, pricing: { model: 'free' } });
    const buyers: Buyer[] = [];
    for (let n = 0; n < BUYERS; n++) {
      const buyer = await h.buyer(`智能语音采购 ${n + 1} / speech procurement ${n + 1}`);
      await h.fund(buyer, CHAOS_PRICE * AFFORDABLE);
      buyers.push(buyer);
    }

    /** Places one order, retrying with the same key while the system answers 503 (or the connection drops). */
    const place = async (buyer: Buyer, offer = offerId): Promise<string> => {
      const key = randomUUID();
      for (let attempt = 0; ; attempt++) {
        try {
          const response = await h.order(buyer, { items: [{ offerId: offer }], acceptLicense: true }, key);
          const body = await json(response);
          if (response.status === 201) return body.id;
          if (response.status !== 503) throw new Error(`order: ${response.status} ${JSON.stringify(body)}`);
        } catch (error) {
          if (attempt > 200) throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };

    const kills: string[] = [];
    const killAndRestart = async (name: 'billing' | 'ordering' | 'delivery') => {
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1500));
      const app = h.system.app(name);
      app.kill('SIGKILL');
      await app.exit();
      kills.push(`${name} killed`);
      await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1000));
      app.start();
      await app.ready(60_000);
      kills.push(`${name} back`);
    };

    const placing = Promise.all(buyers.map(async (buyer) => {
      const ids: string[] = [];
      const free: string[] = [];
      for (let i = 0; i < ORDERS_PER_BUYER; i++) {
        ids.push(await place(buyer));
        if (i % (ORDERS_PER_BUYER / FREE_PER_BUYER) === 0) free.push(await place(buyer, open.offerId));
      }
      return { ids, free };
    }));
    const chaos = (async () => {
      await killAndRestart('billing');
      await killAndRestart('ordering');
      await killAndRestart('delivery');
    })();
    const [placed] = await Promise.all([placing, chaos]);
    const ids = placed.flatMap((p) => p.ids);
    const free = placed.flatMap((p) => p.free);
    expect(kills).toEqual(['billing killed', 'billing back', 'ordering killed', 'ordering back', 'delivery killed', 'delivery back']);
    expect(new Set(ids).size).toBe(BUYERS * ORDERS_PER_BUYER);
    expect(new Set([...ids, ...free]).size).toBe(BUYERS * (ORDERS_PER_BUYER + FREE_PER_BUYER));

    // Every order ends within 60 s.
    const ended = Date.now();
    await waitFor(
      'every order to end',
      async () => (await h.query<{ n: number }>('ordering', `SELECT count(*)::int AS n FROM purchase_order WHERE status IN ('pending_payment', 'paid')`))[0].n === 0,
      60_000,
      250,
    );
    expect(Date.now() - ended).toBeLessThan(60_000);
    const statuses = await h.query<{ status: string; n: number }>('ordering', `SELECT status, count(*)::int AS n FROM purchase_order GROUP BY status ORDER BY status`);
    expect(statuses).toEqual([
      { status: 'cancelled', n: BUYERS * (ORDERS_PER_BUYER - AFFORDABLE) },
      { status: 'fulfilled', n: BUYERS * (AFFORDABLE + FREE_PER_BUYER) },
    ]);

    // The ledger balances, and money and entitlements agree order by order.
    const trial = await json(await h.system.request('/v1/admin/ledger/trial-balance'));
    expect(trial.total).toBe(0);
    const charged = (await h.query<{ order_id: string }>('billing', `SELECT order_id FROM journal_entry WHERE kind = 'charge'`)).map((r) => r.order_id).sort();
    const entitled = (await h.query<{ order_id: string }>('delivery', `SELECT DISTINCT order_id FROM entitlement`)).map((r) => r.order_id).sort();
    const fulfilled = (await h.query<{ id: string }>('ordering', `SELECT id FROM purchase_order WHERE status = 'fulfilled'`)).map((r) => r.id).sort();
    // Every priced order fulfilled has exactly one charge and every charge its entitlement; the
    // free orders are fulfilled with an entitlement and billing never heard of them.
    expect(charged).toHaveLength(BUYERS * AFFORDABLE);
    expect(new Set(charged).size).toBe(charged.length);
    expect(entitled).toEqual([...charged, ...free].sort());
    expect(fulfilled).toEqual([...charged, ...free].sort());
    expect(await h.query('billing', `SELECT order_id FROM payment WHERE order_id = ANY($1)`, [free])).toEqual([]);
    for (const buyer of buyers) expect(await h.wallet(buyer)).toBe(0);
  });
});

/**
 * Free and metered offers bought through the same POST /v1/orders: a CC BY dataset costs
 * nothing and is never billed, yet the buyer gets a receipt and an entitlement; a metered offer
 * is bought by the unit, prepaid; an offer sold per GiB stops at the GiB bought.
 */
describe('buying free and metered offers', () => {
  let h: Market;

  beforeAll(async () => {
    h = await Market.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  const GIB = 1024 ** 3;
  const CC_BY = { license: { template: 'cc-by-4.0' }, pricing: { model: 'free' } };
  const metered = (amount: number, unit: string) => ({ license: { template: 'commercial' }, pricing: { model: 'metered', price: { amount, currency: 'CNY' }, unit } });
  const vendorBalance = async (key: string) => (await json(await h.system.request('/v1/balance', { as: { key } }))).balance.amount;
  const entitlementOf = async (buyer: Buyer, orderId: string) =>
    (await json(await h.system.request('/v1/entitlements', { as: { key: buyer.key } }))).items.find((e: { orderId: string }) => e.orderId === orderId);

  it('a buyer with an empty wallet takes a CC BY 4.0 dataset: fulfilled, nothing charged or invoiced, a receipt of the terms, the files downloadable', async () => {
    const open = await h.publishedOffer('北京智源人工智能研究院 BAAI', CC_BY, '中文开放指令数据 / open Chinese instructions (CC BY 4.0)');
    const buyer = await h.buyer('清华大学 KEG 实验室 Tsinghua KEG');

    const response = await h.order(buyer, order(open.offerId));
    const placed = await json(response);
    expect(response.status).toBe(201);
    // Nothing to pay: the order is paid as it is placed.
    expect(placed).toMatchObject({
      status: 'paid',
      items: [{ offerId: open.offerId, datasetId: open.datasetId, price: { amount: 0, currency: 'CNY' }, pricing: { model: 'free' }, licenseTemplate: 'cc-by-4.0' }],
      total: { amount: 0, currency: 'CNY' },
    });
    expect(placed.items[0].quantity).toBeUndefined();
    const done = await h.settled(buyer, placed.id);
    expect(done).toMatchObject({ status: 'fulfilled', paymentId: null, entitlementIds: [expect.any(String)] });
    expect(await h.wallet(buyer)).toBe(0);
    expect(await vendorBalance(open.vendor.key)).toBe(0);

    // Billing never heard of it: no payment, no journal entry, no invoice (no 发票 for nothing sold).
    expect(await h.query('billing', `SELECT order_id FROM payment WHERE order_id = $1`, [placed.id])).toEqual([]);
    expect(await h.query('billing', `SELECT id FROM journal_entry WHERE order_id = $1`, [placed.id])).toEqual([]);
    expect((await json(await h.system.request('/v1/invoices', { as: { key: buyer.key } }))).items).toEqual([]);

    // The receipt holds the CC BY terms the buyer accepted, and its hash checks out.
    const receipt = await json(await h.system.request(`/v1/orders/${placed.id}/receipt`, { as: { key: buyer.key } }));
    expect(receipt).toMatchObject({ orderId: placed.id, acceptedByOrganizationId: buyer.organizationId, acceptedByKeyId: buyer.keyId });
    expect(receipt.lines).toEqual([expect.objectContaining({ offerId: open.offerId, licenseTemplate: 'cc-by-4.0', price: { amount: 0, currency: 'CNY' } })]);
    const { sha256, ...content } = receipt;
    expect(createHash('sha256').update(canonicalJson(content)).digest('hex')).toBe(sha256);

    const entitlement = await entitlementOf(buyer, placed.id);
    expect(entitlement).toMatchObject({ id: done.entitlementIds[0], datasetId: open.datasetId, status: 'active' });
    const manifest = await json(await h.system.request(`/v1/entitlements/${entitlement.id}/manifest`, { as: { key: buyer.key } }));
    const download = await fetch(manifest.versions[0].files[0].url);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(manifest.versions[0].files[0].size);

    // An operator's refund of a free order has no money to move: it ends refunded at once and the access is revoked.
    const refund = await h.system.request(`/v1/admin/orders/${placed.id}/refund`, { method: 'POST', body: JSON.stringify({ reason: '许可证条款误标 / license mislabelled' }) });
    expect({ status: refund.status, state: (await json(refund)).status }).toEqual({ status: 202, state: 'refunded' });
    await waitFor('the free entitlement to be revoked', async () => (await entitlementOf(buyer, placed.id))?.status === 'revoked');
    expect(await h.query('billing', `SELECT id FROM journal_entry WHERE order_id = $1`, [placed.id])).toEqual([]);
  });

  it("a buyer's read key downloads what the organization took, and cannot order, pay or make keys", async () => {
    const open = await h.publishedOffer('上海人工智能实验室 OpenDataLab', CC_BY, '中文街景图像开放集 / open Chinese street scenes (CC BY 4.0)');
    const buyer = await h.buyer('月之暗面 Moonshot AI 训练平台');
    const placed = await json(await h.order(buyer, order(open.offerId)));
    expect(await h.settled(buyer, placed.id)).toMatchObject({ status: 'fulfilled' });

    const made = await json(await h.system.request('/v1/api-keys', { method: 'POST', as: { key: buyer.key }, body: JSON.stringify({ name: 'gpu-cluster-downloads', access: 'read' }) }));
    expect(made.access).toBe('read');
    const reader = { ...buyer, key: made.key as string };

    // The cluster lists the entitlements, reads a manifest and downloads its files.
    const entitlement = await entitlementOf(reader, placed.id);
    expect(entitlement).toMatchObject({ datasetId: open.datasetId, status: 'active' });
    const manifest = await json(await h.system.request(`/v1/entitlements/${entitlement.id}/manifest`, { as: { key: reader.key } }));
    const download = await fetch(manifest.versions[0].files[0].url);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(manifest.versions[0].files[0].size);

    // It buys nothing, asks for no top-up, makes no key: 403 KEY_READ_ONLY, and nothing is written.
    const orders = async () => (await json(await h.system.request('/v1/orders', { as: { key: buyer.key } }))).items.length;
    const before = await orders();
    const another = await h.publishedOffer('上海人工智能实验室 OpenDataLab', CC_BY, '中文菜单 OCR 开放集 / open Chinese menu OCR (CC BY 4.0)');
    for (const [path, body] of [
      ['/v1/orders', order(another.offerId)],
      ['/v1/wallet/top-ups', { amount: { amount: 1_000_000, currency: 'CNY' }, reference: '招商银行转账 MSAI-20261205-01' }],
      ['/v1/api-keys', { name: 'escalate' }],
    ] as const) {
      const refused = await h.system.request(path, { method: 'POST', as: { key: reader.key }, headers: { 'idempotency-key': randomUUID() }, body: JSON.stringify(body) });
      expect([path, refused.status, refused.headers.get('content-type'), (await json(refused)).code]).toEqual([path, 403, expect.stringMatching(/^application\/problem\+json/), 'KEY_READ_ONLY']);
    }
    expect(await orders()).toBe(before);
    expect((await json(await h.system.request('/v1/wallet/top-ups', { as: { key: buyer.key } }))).items).toEqual([]);
  });

  it('buys 200 hours of a speech corpus at 180.00 yuan an hour: the wallet pays 36,000.00, the vendor is owed it less 20 %, the invoice adds up', async () => {
    const perHour = await h.publishedOffer('数据堂 Datatang', metered(18_000, 'hour'), '方言对话语音（按小时）/ dialect conversations by the hour');
    // A second edition of the corpus: the first one's transcripts as they were, and two more.
    const second = await perHour.vendor.expect(201, `/v1/datasets/${perHour.datasetId}/versions`, 'POST', { version: '1.1.0', changelog: '补充 2 条 / two utterances added' });
    await perHour.vendor.upload(perHour.datasetId, second.id, 'transcripts.jsonl', Buffer.from('{"id":"utt_000001","text":"今天天气很好"}\n'));
    const added = ['请帮我查一下话费余额', '明天上午九点开会'].map((text, n) => JSON.stringify({ id: `utt_00000${n + 2}`, text })).join('\n');
    await perHour.vendor.upload(perHour.datasetId, second.id, 'transcripts-added.jsonl', Buffer.from(`${added}\n`));
    await perHour.vendor.expect(200, `/v1/datasets/${perHour.datasetId}/versions/${second.id}/release`, 'POST');
    const buyer = await h.buyer('科大讯飞 iFLYTEK');
    await h.fund(buyer, 5_000_000);

    // The listing declares 1,000 hours: an order of more is refused, naming the field, and changes nothing.
    const tooMany = await h.order(buyer, { items: [{ offerId: perHour.offerId, quantity: 1001 }], acceptLicense: true });
    expect({ status: tooMany.status, errors: (await json(tooMany)).errors }).toEqual({
      status: 400,
      errors: [{ field: 'items.0.quantity', problems: [expect.stringContaining("at most 1000: the listing's declared volume in units of hour")] }],
    });
    expect(await h.query('ordering', `SELECT id FROM purchase_order WHERE buyer_organization_id = $1`, [buyer.organizationId])).toEqual([]);

    const response = await h.order(buyer, { items: [{ offerId: perHour.offerId, quantity: 200 }], acceptLicense: true });
    const placed = await json(response);
    expect(response.status).toBe(201);
    expect(placed).toMatchObject({
      status: 'pending_payment',
      items: [{ offerId: perHour.offerId, quantity: 200, price: { amount: 3_600_000, currency: 'CNY' }, pricing: { model: 'metered', unit: 'hour', price: { amount: 18_000, currency: 'CNY' } } }],
      total: { amount: 3_600_000, currency: 'CNY' },
    });
    const done = await h.settled(buyer, placed.id);
    expect(done.status).toBe('fulfilled');
    expect(await h.wallet(buyer)).toBe(5_000_000 - 3_600_000);
    expect(await vendorBalance(perHour.vendor.key)).toBe(3_600_000 - 720_000);
    const invoices = (await json(await h.system.request('/v1/invoices', { as: { key: buyer.key } }))).items.filter((i: { orderId: string }) => i.orderId === placed.id);
    expect(invoices).toHaveLength(1);
    expect(invoices[0].gross).toEqual({ amount: 3_600_000, currency: 'CNY' });
    expect(invoices[0].net.amount + invoices[0].tax.amount).toBe(3_600_000);
    // The invoice line says what was sold, as a fapiao lists it: the listing, 200 hours at 180.00 yuan.
    expect(invoices[0].lines[0].item).toEqual({ datasetTitle: '方言对话语音（按小时）/ dialect conversations by the hour', licenseTemplate: 'commercial', pricingModel: 'metered', unit: 'hour', quantity: 200, unitPrice: { amount: 18_000, currency: 'CNY' } });
    // The entitlement records the hours bought, of the 1,000 the listing holds, and allows that
    // share of the corpus's bytes: 200 hours are not the whole corpus, as one-time buyers get.
    // Each path counts once, however many versions list it: the two editions share their first
    // transcripts, and five releases of one corpus would be one corpus, not five.
    const entitlement = await entitlementOf(buyer, placed.id);
    const manifest = await json(await h.system.request(`/v1/entitlements/${entitlement.id}/manifest`, { as: { key: buyer.key } }));
    const editions: { files: { path: string; size: number; url: string }[] }[] = manifest.versions;
    expect(editions).toHaveLength(2);
    const files = editions.flatMap((v) => v.files);
    const paths = new Map(files.map((f) => [f.path, f.size]));
    expect(paths.size).toBeLessThan(files.length);
    const corpus = [...paths.values()].reduce((sum, size) => sum + size, 0);
    const share = Math.ceil((corpus * 200) / 1000);
    expect(await h.query('delivery', `SELECT pricing FROM entitlement WHERE order_id = $1`, [placed.id])).toEqual([
      { pricing: { model: 'metered', unit: 'hour', quantity: 200, of: 1000, allowanceBytes: share } },
    ]);
    expect(entitlement.allowance).toEqual({ unit: 'hour', quantity: 200, bytes: share, deliveredBytes: 0, remainingBytes: share });
    const largest = files.reduce((a, b) => (b.size > a.size ? b : a));
    expect(largest.size).toBeGreaterThan(share);
    const whole = await fetch(largest.url);
    expect({ status: whole.status, code: (await json(whole)).code }).toEqual({ status: 403, code: 'ALLOWANCE_EXHAUSTED' });
    const part = await fetch(largest.url, { headers: { range: `bytes=0-${share - 1}` } });
    expect({ status: part.status, bytes: (await part.arrayBuffer()).byteLength }).toEqual({ status: 206, bytes: share });
    await waitFor('the share delivered', async () => (await entitlementOf(buyer, placed.id)).allowance.remainingBytes === 0);
    expect((await fetch(largest.url, { headers: { range: 'bytes=0-0' } })).status).toBe(403);
    const receipt = await json(await h.system.request(`/v1/orders/${placed.id}/receipt`, { as: { key: buyer.key } }));
    expect(receipt.lines[0]).toMatchObject({ quantity: 200, price: { amount: 3_600_000 } });
    const sales = await json(await h.system.request('/v1/sales', { as: { key: perHour.vendor.key } }));
    expect(sales.items).toEqual([expect.objectContaining({ orderId: placed.id, quantity: 200, price: { amount: 3_600_000, currency: 'CNY' } })]);
  });

  it('buys every hour the listing declared when the offer was made, and no more after the vendor inflates it, when the item names no quantity, as an order written from the plain {offerId} contract does', async () => {
    const perHour = await h.publishedOffer('海天瑞声 SpeechOcean', metered(18_000, 'hour'), '普通话朗读语音（按小时）/ read Mandarin speech by the hour');
    const buyer = await h.buyer('智谱 AI Zhipu');
    await h.fund(buyer, 20_000_000);
    // The offer was made while the listing declared 1,000 hours, and shows it.
    const page = await perHour.vendor.expect(200, `/v1/datasets/${perHour.datasetId}`, 'GET');
    expect(page.offers.find((o: { id: string }) => o.id === perHour.offerId)).toMatchObject({ defaultQuantity: 1000 });
    // Published, the vendor edits the listing to a thousand times the hours; the offer's whole volume stays.
    const speech = speechListing().speech as Record<string, unknown>;
    await perHour.vendor.expect(200, `/v1/datasets/${perHour.datasetId}`, 'PATCH', { speech: { ...speech, hours: 1_000_000 } });

    const response = await h.order(buyer, order(perHour.offerId));
    const placed = await json(response);
    expect(response.status).toBe(201);
    // The offer fixed 1,000 hours: the line is all of them, priced and recorded as if asked for.
    expect(placed).toMatchObject({ items: [{ offerId: perHour.offerId, quantity: 1000, price: { amount: 18_000_000, currency: 'CNY' } }], total: { amount: 18_000_000, currency: 'CNY' } });
    expect((await h.settled(buyer, placed.id)).status).toBe('fulfilled');
    expect(await h.wallet(buyer)).toBe(20_000_000 - 18_000_000);
    expect((await entitlementOf(buyer, placed.id)).allowance).toEqual({ unit: 'hour', quantity: 1000 });
  });

  it('refuses a missing, zero, negative, fractional, huge or misplaced quantity with 400 naming the field, and changes nothing', async () => {
    const perImage = await h.publishedOffer('曼孚科技 MindFlow', metered(3, 'image'), '街景图像分割标注 25 万张（按张）/ 250,000 street scenes by the image', 'image');
    const once = await h.publishedOffer('标贝科技 DataBaker');
    const open = await h.publishedOffer('上海人工智能实验室 Shanghai AI Lab', CC_BY);
    const buyer = await h.buyer('百川智能 Baichuan');
    await h.fund(buyer, 1_000_000);
    const orders = async () => Number((await h.query<{ n: string }>('ordering', `SELECT count(*) AS n FROM purchase_order`))[0].n);
    const before = await orders();

    const refused = async (item: Record<string, unknown>) => {
      const response = await h.order(buyer, { items: [item], acceptLicense: true });
      const problem = await json(response);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return { status: response.status, code: problem.code, fields: (problem.errors ?? []).map((e: { field: string }) => e.field) };
    };
    const bad = { status: 400, code: 'VALIDATION_FAILED', fields: ['items.0.quantity'] };
    // The listing declares 250,000 images: one more is more than there is.
    for (const quantity of [0, -3, 2.5, '100', 1e10, null, 250_001]) expect({ quantity, ...(await refused({ offerId: perImage.offerId, quantity })) }).toEqual({ quantity, ...bad });
    expect(await refused({ offerId: once.offerId, quantity: 1 })).toEqual(bad);
    expect(await refused({ offerId: open.offerId, quantity: 1 })).toEqual(bad);
    expect(await orders()).toBe(before);
    expect(await h.wallet(buyer)).toBe(1_000_000);

    // And the good one: 10,000 images at 3 fen.
    const placed = await h.order(buyer, { items: [{ offerId: perImage.offerId, quantity: 10_000 }], acceptLicense: true });
    expect(placed.status).toBe(201);
    const { id: orderId } = await json(placed);
    expect((await h.settled(buyer, orderId)).status).toBe('fulfilled');
    expect(await h.wallet(buyer)).toBe(1_000_000 - 30_000);
    expect((await entitlementOf(buyer, orderId)).allowance).toMatchObject({ unit: 'image', quantity: 10_000, bytes: expect.any(Number) });
  });

  it('refuses an offer per unit the listing declares no volume in: one image of a speech corpus was every file of it for 5 fen', async () => {
    const vendor = await VendorClient.signUp(h.system, '北京声海科技 Beijing Shenghai');
    const { dataset } = await vendor.listing(speechListing({ speech: { ...(speechListing().speech as object), hours: undefined } }));
    for (const unit of ['image', 'frame', '1k_tokens', 'hour']) {
      const answer = await vendor.call(`/v1/datasets/${dataset.id}/offers`, 'POST', metered(5, unit));
      const problem = await json(answer);
      expect([unit, answer.status, problem.code, problem.errors]).toEqual([unit, 400, 'VALIDATION_FAILED', [{ field: 'pricing.unit', problems: [expect.stringContaining(`declares no volume in units of ${unit}`)] }]]);
    }
    // What it declares (utterances) and per GiB, counted at download, are offered as before.
    expect((await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', metered(9_000, 'utterance'))).defaultQuantity).toBe(1_200_000);
    expect((await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', metered(500, 'gib'))).defaultQuantity).toBeNull();
  });

  /**
   * An order of `offerId` placed while billing is down for 3 s, fulfilled once it is back: its
   * exclusive sale starts at the order, its payment waits. The order's id and the sale.
   */
  async function placedWhileBillingIsDown(buyer: Awaited<ReturnType<typeof h.buyer>>, offerId: string): Promise<{ id: string; sale: { starts_at: Date; ends_at: Date } }> {
    const billing = h.system.app('billing');
    billing.kill('SIGTERM');
    await billing.exit();
    let placed: { id: string };
    try {
      placed = await json(await h.order(buyer, order(offerId)));
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      billing.start();
      await billing.ready();
    }
    expect((await h.settled(buyer, placed.id)).status).toBe('fulfilled');
    const sale = await withDatabase(h.system.databases.get('catalog')!.url, async (c) => (await c.query(`SELECT starts_at, ends_at FROM exclusive_sale WHERE order_id = $1`, [placed.id])).rows[0]);
    return { id: placed.id, sale };
  }

  it("keeps every license of an exclusive sale's territory from other buyers while it runs, but not from its holder, nor one outside it", async () => {
    const exclusive = await h.publishedOffer('希尔贝壳 AISHELL', exclusiveOffer(24, ['CN'], 9_800_000), '金融客服通话录音 1,200 小时（独家）/ Financial call-centre speech, exclusive');
    const terms = (territories: string[]) => ({ uses: ['model_training', 'fine_tuning', 'evaluation'], termMonths: 12, territories, seats: null, exclusive: false });
    const path = `/v1/datasets/${exclusive.datasetId}/offers`;
    const mainland = await exclusive.vendor.expect(201, path, 'POST', yearlyOffer(2_000_000, { license: { template: 'research', terms: terms(['CN']) } }));
    const hongKong = await exclusive.vendor.expect(201, path, 'POST', yearlyOffer(2_500_000, { license: { template: 'research', terms: terms(['HK']) } }));
    const holder = await h.buyer('招商银行 China Merchants Bank');
    const rival = await h.buyer('平安科技 Ping An Technology');
    await h.fund(holder, 20_000_000);
    await h.fund(rival, 10_000_000);
    const sold = await h.settled(holder, (await json(await h.order(holder, order(exclusive.offerId)))).id);
    expect(sold.status).toBe('fulfilled');

    // Another buyer in mainland China: refused before anything is written or charged.
    const ordersBefore = (await h.query<{ n: number }>('ordering', `SELECT count(*)::int AS n FROM purchase_order`))[0].n;
    const refused = await h.order(rival, order(mainland.id));
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = await json(refused);
    expect(problem).toMatchObject({ code: 'EXCLUSIVITY_CONFLICT', detail: expect.stringContaining(`Offer ${mainland.id} cannot be bought now: an exclusive license for this offer's territory (CN) is sold, until 20`) });
    expect((await h.query<{ n: number }>('ordering', `SELECT count(*)::int AS n FROM purchase_order`))[0].n).toBe(ordersBefore);
    expect(await h.wallet(rival)).toBe(10_000_000);
    // The listing says so, and until when; Hong Kong's offer is on sale.
    const page = await json(await h.system.request(`/v1/datasets/${exclusive.datasetId}`, { as: 'anonymous' }));
    const soldOut = Object.fromEntries((page.offers as { id: string; exclusiveSoldOut?: unknown }[]).map((o) => [o.id, o.exclusiveSoldOut ?? 'on sale']));
    expect([soldOut[mainland.id], soldOut[hongKong.id]]).toEqual([{ until: problem.detail.match(/until (\S+)\.$/)[1] }, 'on sale']);
    // Its holder sees that offer on sale: it may buy it.
    const holders = await json(await h.system.request(`/v1/datasets/${exclusive.datasetId}`, { as: { key: holder.key } }));
    expect((holders.offers as { id: string; exclusiveSoldOut?: unknown }[]).find((o) => o.id === mainland.id)?.exclusiveSoldOut).toBeUndefined();
    // Outside the territory, and for the holder itself, licenses are sold.
    expect((await h.settled(rival, (await json(await h.order(rival, order(hongKong.id)))).id)).status).toBe('fulfilled');
    expect((await h.settled(holder, (await json(await h.order(holder, order(mainland.id)))).id)).status).toBe('fulfilled');

    // Refunded, the exclusive license ends, and mainland China is open to every buyer again.
    const refund = await h.system.request(`/v1/admin/orders/${sold.id}/refund`, { method: 'POST', body: JSON.stringify({ reason: '客户取消独家合作 / exclusivity cancelled' }) });
    expect(refund.status).toBe(202);
    await h.settled(holder, sold.id, ['refunded']);
    const reopened: { id: string } = await waitFor('mainland China on sale again', async () => {
      const answer = await h.order(rival, order(mainland.id));
      return answer.status === 201 ? ((await json(answer)) as { id: string }) : undefined;
    });
    expect((await h.settled(rival, reopened.id)).status).toBe('fulfilled');
  });

  it('ends an exclusive license with its sale, however long the payment took', async () => {
    const exclusive = await h.publishedOffer('海天瑞声 SpeechOcean', exclusiveOffer(1, ['CN'], 1_000_000), '粤语车载语音（独家一个月）/ Cantonese in-car speech, exclusive');
    const buyer = await h.buyer('蔚来汽车 NIO');
    await h.fund(buyer, 2_000_000);
    // The sale starts at the order; the license ran from the payment, and outlived the sale by the wait.
    const { id, sale } = await placedWhileBillingIsDown(buyer, exclusive.offerId);
    const license = await withDatabase(h.system.databases.get('delivery')!.url, async (c) => (await c.query(`SELECT granted_at, expires_at FROM entitlement WHERE order_id = $1`, [id])).rows[0]);
    expect(license.granted_at.getTime() - sale.starts_at.getTime()).toBeGreaterThanOrEqual(3000);
    expect(license.expires_at.toISOString()).toBe(sale.ends_at.toISOString());
  });

  it("ends an exclusive subscription's paid periods with its sale, however long the first charge took", async () => {
    const monthly = { ...exclusiveOffer(2, ['CN']), pricing: { model: 'subscription', period: 'month', price: { amount: 3_000_000, currency: 'CNY' } } };
    const exclusive = await h.publishedOffer('海天瑞声 SpeechOcean', monthly, '吴语客服通话（独家，按月订阅）/ Wu call-centre speech, exclusive monthly');
    const buyer = await h.buyer('理想汽车 Li Auto');
    await h.fund(buyer, 6_000_000);
    // Billing's license end, counted from the charge, outlived the sale and the entitlement by
    // the wait, and its last period was sold in full for time delivery never serves.
    const { id, sale } = await placedWhileBillingIsDown(buyer, exclusive.offerId);
    const license = await withDatabase(h.system.databases.get('delivery')!.url, async (c) => (await c.query(`SELECT expires_at FROM entitlement WHERE order_id = $1`, [id])).rows[0]);
    const subscription = await withDatabase(h.system.databases.get('billing')!.url, async (c) =>
      (await c.query(`SELECT subscribed_at, license_ends_at FROM subscription WHERE order_id = $1`, [id])).rows[0],
    );
    expect(subscription.subscribed_at.getTime() - sale.starts_at.getTime()).toBeGreaterThanOrEqual(3000);
    expect([subscription.license_ends_at.toISOString(), license.expires_at.toISOString()]).toEqual([sale.ends_at.toISOString(), sale.ends_at.toISOString()]);
  });

  it('refuses an exclusive license sold by the unit, and a unit price whose whole volume no order can buy', async () => {
    const vendor = await VendorClient.signUp(h.system, '慧听科技 Huiting Tech');
    const { dataset } = await vendor.listing(speechListing());
    const offers = `/v1/datasets/${dataset.id}/offers`;
    // One hour of 1,000 for 1 yuan held the territory from a 980,000-yuan exclusive sale for two years.
    const exclusive = exclusiveOffer() as { license: unknown };
    for (const unit of ['hour', 'gib']) {
      const answer = await vendor.call(offers, 'POST', { license: exclusive.license, pricing: { model: 'metered', price: { amount: 100, currency: 'CNY' }, unit } });
      const problem = await json(answer);
      expect([unit, answer.status, problem.code, problem.errors]).toEqual([unit, 400, 'VALIDATION_FAILED', [{ field: 'pricing.model', problems: [expect.stringContaining('exclusive license is a grant of the whole dataset')] }]]);
    }
    // 1,000 hours at the largest unit price: listed, but no order without quantity could be placed.
    const dear = await vendor.call(offers, 'POST', metered(9_007_199_254_740_991, 'hour'));
    expect([dear.status, (await json(dear)).errors]).toEqual([400, [{ field: 'pricing.price', problems: [expect.stringContaining('beyond what one order item can buy')] }]]);
    expect((await vendor.expect(200, `/v1/datasets/${dataset.id}`)).offers.map((o: { pricing: { model: string } }) => o.pricing.model)).toEqual(['one_time']);
    // The same exclusive license for one price is offered as before.
    expect((await vendor.expect(201, offers, 'POST', exclusiveOffer())).license.terms.exclusive).toBe(true);
  });

  it('keeps a listing declaring the hours a live per-hour offer sells: an edit dropping them is refused, and every order stays possible', async () => {
    const perHour = await h.publishedOffer('海天瑞声 SpeechOcean', metered(18_000, 'hour'), '普通话朗读语音 1,000 小时（按小时）/ read Mandarin speech by the hour');
    const vendor = perHour.vendor;
    const path = `/v1/datasets/${perHour.datasetId}`;
    const hoursOf = async () => ((await vendor.expect(200, path)).metadata.speech as Record<string, unknown>).hours;
    const speech = speechListing().speech as Record<string, unknown>;
    expect(await hoursOf()).toBe(1000);
    const answer = await vendor.call(path, 'PATCH', { speech: { ...speech, hours: undefined } });
    const problem = await json(answer);
    expect([answer.status, answer.headers.get('content-type'), problem.code]).toEqual([409, expect.stringContaining('application/problem+json'), 'CONFLICT']);
    expect(problem.detail).toContain(perHour.offerId);
    // Nothing changed: the listing still says its hours, and a buyer still orders one item of it.
    expect(await hoursOf()).toBe(1000);
    const buyer = await h.buyer('零一万物 01.AI');
    await h.fund(buyer, 100_000_000);
    const placed = await h.order(buyer, { items: [{ offerId: perHour.offerId }], acceptLicense: true });
    expect(placed.status).toBe(201);
    // With the offer withdrawn, the listing may stop declaring them (per GiB needs no figure).
    await vendor.expect(200, `${path}/offers/${perHour.offerId}/withdraw`, 'POST');
    await vendor.expect(201, `${path}/offers`, 'POST', metered(500, 'gib'));
    await vendor.expect(200, path, 'PATCH', { speech: { ...speech, hours: undefined } });
    expect(await hoursOf()).toBeUndefined();
  });

  it('meters what an entitlement sold per GiB delivers, in billing once per download, and refuses the byte past the GiB bought', async () => {
    const perGib = await h.publishedOffer('晴数智慧 Magic Data', metered(500, 'gib'), '多语种网页文本（按 GiB）/ multilingual web text by the GiB');
    const buyer = await h.buyer('月之暗面 Moonshot AI');
    await h.fund(buyer, 10_000);
    const placed = await json(await h.order(buyer, { items: [{ offerId: perGib.offerId, quantity: 1 }], acceptLicense: true }));
    expect(placed.total).toEqual({ amount: 500, currency: 'CNY' });
    await h.settled(buyer, placed.id);
    const entitlement = await entitlementOf(buyer, placed.id);
    const manifest = await json(await h.system.request(`/v1/entitlements/${entitlement.id}/manifest`, { as: { key: buyer.key } }));
    const file = manifest.versions[0].files[0];

    // A whole download: billing's meter counts its bytes once it has ended.
    const whole = await fetch(file.url);
    expect(whole.status).toBe(200);
    expect((await whole.arrayBuffer()).byteLength).toBe(file.size);
    const meter = async () => (await h.query<{ bytes: string; downloads: number }>('billing', `SELECT bytes::text, downloads FROM usage_meter WHERE entitlement_id = $1`, [entitlement.id]))[0];
    await waitFor('the download to be metered', async () => (await meter())?.downloads === 1);
    expect(await meter()).toEqual({ bytes: String(file.size), downloads: 1 });
    // The buyer sees what is left of the GiB on the entitlement itself.
    expect((await entitlementOf(buyer, placed.id)).allowance).toEqual({ unit: 'gib', quantity: 1, bytes: GIB, deliveredBytes: file.size, remainingBytes: GIB - file.size });

    // Earlier downloads (written into delivery's audit as if made) leave 10 bytes of the GiB.
    await h.query('delivery', `INSERT INTO download (id, entitlement_id, organization_id, key_id, object_key, version_id, path, range_start, bytes_sent, complete, started_at, finished_at)
      SELECT $1, entitlement_id, organization_id, key_id, object_key, version_id, path, 0, $2, true, now(), now() FROM download WHERE entitlement_id = $3 LIMIT 1`, [
      randomUUID(),
      GIB - file.size - 10,
      entitlement.id,
    ]);
    expect((await entitlementOf(buyer, placed.id)).allowance).toMatchObject({ deliveredBytes: GIB - 10, remainingBytes: 10 });
    const past = await fetch(file.url);
    const problem = await json(past);
    expect({ status: past.status, code: problem.code }).toEqual({ status: 403, code: 'ALLOWANCE_EXHAUSTED' });
    expect(past.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const last = await fetch(file.url, { headers: { range: 'bytes=0-9' } });
    expect(last.status).toBe(206);
    expect((await last.arrayBuffer()).byteLength).toBe(10);
    const none = await fetch(file.url, { headers: { range: 'bytes=0-0' } });
    expect({ status: none.status, code: (await json(none)).code }).toEqual({ status: 403, code: 'ALLOWANCE_EXHAUSTED' });
    await waitFor('the range to be metered', async () => (await meter())?.downloads === 2);
    expect(await meter()).toEqual({ bytes: String(file.size + 10), downloads: 2 });
  });
});
