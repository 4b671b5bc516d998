import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { exclusiveOffer, speechListing, VendorClient, yearlyOffer } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { TroveSystem } from '../support/system';

jest.setTimeout(600_000);

interface Buyer {
  key: string;
  organizationId: string;
  name: string;
}

interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** `{"201": 1, "409 EXCLUSIVITY_CONFLICT": 19}`: what a burst of requests was answered. */
function tally(answers: Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status, body } of answers) {
    const key = body?.code ? `${status} ${body.code}` : String(status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Orders and money attacked the way a buyer's or a vendor's scripts would: requests fired 20 to
 * 100 at once at the public API, with every app running as its own process. After each attack
 * the ledger and the saga must still agree: every journal entry sums to zero and the trial
 * balance is zero; no wallet is below zero and each equals its postings; every fulfilled order
 * has exactly one charge of its total and an active entitlement per line; every refunded order a
 * reversal and no active entitlement; a cancelled order neither; no payout is paid twice; every
 * charge has its invoice and every reversal its credit note; no exclusive sale is live for an
 * order that is not. A vendor's payable goes below zero only where the documented rule allows it
 * (a refund after a payout, docs/ledger.md), and then no payout is approved.
 */
describe('money under concurrent requests', () => {
  let system: TroveSystem;
  /** Vendors paid out before a refund of their sale: their payable may be below zero. */
  const owingVendors = new Set<string>();

  beforeAll(async () => {
    system = await TroveSystem.start({ env: { LOG_LEVEL: 'warn' }, appEnv: { billing: { SUBSCRIPTION_SWEEP_MS: '200' } } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  afterEach(async () => {
    if (system) expect(await brokenInvariants()).toEqual([]);
  });

  const db = <T>(app: 'ordering' | 'billing' | 'delivery' | 'catalog', work: (client: Client) => Promise<T>) => withDatabase(system.databases.get(app)!.url, work);
  const rows = async <T = Record<string, unknown>>(app: 'ordering' | 'billing' | 'delivery' | 'catalog', sql: string, values: unknown[] = []) =>
    db(app, async (c) => (await c.query(sql, values)).rows as T[]);

  async function call(path: string, who: Buyer | VendorClient | 'admin' | 'anonymous', method = 'GET', body?: unknown, key: string = randomUUID()): Promise<Answer> {
    const response = await system.request(path, {
      method,
      as: who === 'admin' || who === 'anonymous' ? who : { key: who.key },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headers: method === 'POST' ? { 'idempotency-key': key } : {},
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  async function signUpBuyer(name: string, funds = 0): Promise<Buyer> {
    const answer = await call('/v1/organizations', 'anonymous', 'POST', { name, kind: 'buyer', contactEmail: 'procurement@example.cn' });
    if (answer.status !== 201) throw new Error(`buyer sign-up: ${answer.status} ${JSON.stringify(answer.body)}`);
    const buyer = { key: answer.body.apiKey as string, organizationId: answer.body.organization.id as string, name };
    if (funds > 0) await fund(buyer, funds);
    return buyer;
  }

  /** A bank transfer the buyer files and an operator confirms. */
  async function fund(buyer: Buyer, amount: number): Promise<void> {
    const topUp = await call('/v1/wallet/top-ups', buyer, 'POST', { amount: { amount, currency: 'CNY' }, reference: `招商银行 CMB-20261130-${randomUUID().slice(0, 8)}` });
    expect(topUp.status).toBe(201);
    expect((await call(`/v1/admin/top-ups/${topUp.body.id}/confirm`, 'admin', 'POST')).status).toBe(200);
  }

  /** A published listing with a released version and exactly `offers`. */
  async function publish(vendor: VendorClient, title: string, offers: Record<string, unknown>[]): Promise<{ datasetId: string; offerIds: string[] }> {
    const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ title }));
    const version = await vendor.expect(201, `/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.0.0', changelog: '首个版本 / First release' });
    await vendor.upload(dataset.id, version.id, 'transcripts.jsonl', Buffer.from(`{"id":"utt_000001","text":"${title}"}\n`));
    await vendor.expect(200, `/v1/datasets/${dataset.id}/versions/${version.id}/release`, 'POST');
    const offerIds: string[] = [];
    for (const offer of offers) offerIds.push((await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', offer)).id);
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await call(`/v1/admin/datasets/${dataset.id}/approve`, 'admin', 'POST')).status).toBe(200);
    return { datasetId: dataset.id, offerIds };
  }

  /** `POST /v1/orders` as a careful client sends it: a 503 is sent again with the same key. */
  async function order(buyer: Buyer, items: { offerId: string }[], key: string = randomUUID()): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await call('/v1/orders', buyer, 'POST', { items, acceptLicense: true }, key);
      if (answer.status !== 503 || attempt === 20) return answer;
      await sleep(200 + Math.random() * 300);
    }
  }

  const statusOf = async (buyer: Buyer, orderId: string) => (await call(`/v1/orders/${orderId}`, buyer)).body.status as string;
  const settle = (buyer: Buyer, orderId: string, statuses = ['fulfilled', 'cancelled', 'refunded']) =>
    waitFor(`order ${orderId} to be ${statuses.join(' or ')}`, async () => statuses.includes(await statusOf(buyer, orderId)), 60_000);
  const wallet = async (buyer: Buyer) => (await call('/v1/wallet', buyer)).body.balance.amount as number;
  const owed = async (vendor: VendorClient) => (await call('/v1/balance', vendor)).body.balance.amount as number;
  const refund = (orderId: string, reason = '数据与描述不符，经核实退款 / the data did not match the listing') => call(`/v1/admin/orders/${orderId}/refund`, 'admin', 'POST', { reason });

  /** Every invariant of the ledger and the saga that does not hold, as a list (empty when all hold). */
  async function brokenInvariants(): Promise<unknown[]> {
    const broken: unknown[] = [];
    const trial = (await call('/v1/admin/ledger/trial-balance', 'admin')).body;
    if (trial.total !== 0) broken.push({ trialBalance: trial });
    const unbalanced = await rows('billing', `SELECT entry_id, sum(amount)::text AS sum FROM posting GROUP BY entry_id HAVING sum(amount) <> 0`);
    if (unbalanced.length) broken.push({ unbalanced });
    const wallets = await rows(
      'billing',
      `SELECT w.account_id, w.balance::text, (-coalesce(sum(p.amount), 0))::text AS posted FROM wallet_balance w LEFT JOIN posting p ON p.account_id = w.account_id
        GROUP BY w.account_id, w.balance HAVING w.balance < 0 OR w.balance <> -coalesce(sum(p.amount), 0)`,
    );
    if (wallets.length) broken.push({ wallets });
    const payables = await rows<{ organization_id: string; owed: string }>(
      'billing',
      `SELECT a.organization_id, (-sum(p.amount))::text AS owed FROM account a JOIN posting p ON p.account_id = a.id WHERE a.type = 'vendor_payable' GROUP BY a.organization_id HAVING -sum(p.amount) < 0`,
    );
    const negative = payables.filter((p) => !owingVendors.has(p.organization_id));
    if (negative.length) broken.push({ negativePayables: negative });
    const paidTwice = await rows('billing', `SELECT source_id FROM journal_entry WHERE kind = 'payout' GROUP BY source_id HAVING count(*) > 1`);
    if (paidTwice.length) broken.push({ paidTwice });
    const [documents] = await rows<{ charges: number; invoices: number; refunds: number; notes: number }>(
      'billing',
      `SELECT (SELECT count(*) FROM journal_entry WHERE kind IN ('charge', 'renewal'))::int AS charges, (SELECT count(*) FROM invoice)::int AS invoices,
              (SELECT count(*) FROM journal_entry WHERE kind = 'refund')::int AS refunds, (SELECT count(*) FROM credit_note)::int AS notes`,
    );
    if (documents.charges !== documents.invoices || documents.refunds !== documents.notes) broken.push({ documents });

    const orders = await rows<{ id: string; status: string; total: string; lines: number }>(
      'ordering',
      `SELECT o.id, o.status, o.total_amount::text AS total, count(l.id)::int AS lines FROM purchase_order o JOIN order_line l ON l.order_id = o.id GROUP BY o.id`,
    );
    const charges = new Map<string, string[]>();
    for (const c of await rows<{ order_id: string; amount: string }>('billing', `SELECT order_id, amount::text FROM journal_entry WHERE kind = 'charge'`)) {
      charges.set(c.order_id, [...(charges.get(c.order_id) ?? []), c.amount]);
    }
    const reversed = new Set((await rows<{ order_id: string }>('billing', `SELECT DISTINCT order_id FROM journal_entry WHERE kind = 'refund'`)).map((r) => r.order_id));
    const entitlements = new Map(
      (await rows<{ order_id: string; active: number; all: number }>('delivery', `SELECT order_id, count(*) FILTER (WHERE status = 'active')::int AS active, count(*)::int AS all FROM entitlement GROUP BY order_id`)).map(
        (e) => [e.order_id, e],
      ),
    );
    for (const o of orders) {
      const charged = charges.get(o.id) ?? [];
      const entitled = entitlements.get(o.id);
      const priced = Number(o.total) > 0;
      if (charged.length > 1) broken.push({ chargedTwice: o, charged });
      if (o.status === 'fulfilled' && ((priced && (charged.length !== 1 || charged[0] !== o.total)) || entitled?.active !== o.lines)) broken.push({ fulfilled: o, charged, entitled });
      if (o.status === 'refunded' && ((priced && !reversed.has(o.id)) || (entitled?.active ?? 0) > 0)) broken.push({ refunded: o, entitled });
      if (o.status === 'cancelled' && (charged.length > 0 || entitled)) broken.push({ cancelled: o, charged, entitled });
    }
    const known = new Set(orders.map((o) => o.id));
    for (const orderId of charges.keys()) if (!known.has(orderId)) broken.push({ chargeWithoutOrder: orderId });
    const statuses = new Map(orders.map((o) => [o.id, o.status]));
    for (const sale of await rows<{ order_id: string; status: string }>('catalog', `SELECT order_id, status FROM exclusive_sale`)) {
      const status = statuses.get(sale.order_id);
      const over = status === undefined || status === 'cancelled' || status === 'refunded';
      if ((sale.status === 'live') === over) broken.push({ exclusiveSale: sale, order: status ?? null });
    }
    return broken;
  }

  it('twenty payouts at once that together ask for more than is owed: what is owed is asked for once, and each approval, sent ten times at once, pays once', async () => {
    const vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    const buyer = await signUpBuyer('国网智能研究院 / State Grid AI Lab', 10_000_000);
    const { offerIds } = await publish(vendor, '普通话手机采集朗读语音 300 小时', [yearlyOffer(1_000_000)]);
    for (let i = 0; i < 3; i++) await settle(buyer, (await order(buyer, [{ offerId: offerIds[0] }])).body.id);
    const balance = await owed(vendor);
    expect(balance).toBe(2_400_000);

    const asked = await Promise.all(Array.from({ length: 20 }, () => call('/v1/payouts', vendor, 'POST', { amount: { amount: 1_440_000, currency: 'CNY' } })));
    expect(tally(asked)).toEqual({ '201': 1, '409 PAYOUT_EXCEEDS_BALANCE': 19 });
    const rest = await Promise.all(Array.from({ length: 20 }, () => call('/v1/payouts', vendor, 'POST', { amount: { amount: 480_000, currency: 'CNY' } })));
    expect(tally(rest)).toEqual({ '201': 2, '409 PAYOUT_EXCEEDS_BALANCE': 18 });

    const payouts = [...asked, ...rest].filter((a) => a.status === 201).map((a) => a.body.id as string);
    const approvals = await Promise.all(payouts.flatMap((id) => Array.from({ length: 10 }, () => call(`/v1/admin/payouts/${id}/approve`, 'admin', 'POST'))));
    expect(tally(approvals)).toEqual({ '200': 30 });
    expect(await owed(vendor)).toBe(0);
    const entries = await rows('billing', `SELECT source_id FROM journal_entry WHERE kind = 'payout' AND source_id = ANY($1)`, [payouts]);
    expect(entries).toHaveLength(3);
    expect(tally([await call('/v1/payouts', vendor, 'POST', { amount: { amount: 1, currency: 'CNY' } })])).toEqual({ '409 PAYOUT_EXCEEDS_BALANCE': 1 });
  });

  it('a payout approved while the vendor’s sale is refunded: money leaves once, the buyer gets all of it back, and the vendor is paid nothing more until it owes nothing', async () => {
    const vendor = await VendorClient.signUp(system, '数据堂 Datatang');
    const buyer = await signUpBuyer('中国电信人工智能研究院 / China Telecom AI', 5_000_000);
    const { offerIds } = await publish(vendor, '粤语客服对话录音 80 小时', [yearlyOffer(2_000_000)]);
    const [first, second] = [(await order(buyer, [{ offerId: offerIds[0] }])).body.id, (await order(buyer, [{ offerId: offerIds[0] }])).body.id];
    await settle(buyer, first);
    await settle(buyer, second);
    expect(await owed(vendor)).toBe(3_200_000);
    const whole = await call('/v1/payouts', vendor, 'POST', { amount: { amount: 3_200_000, currency: 'CNY' } });
    const [approved, refunded] = await Promise.all([call(`/v1/admin/payouts/${whole.body.id}/approve`, 'admin', 'POST'), refund(first)]);
    owingVendors.add(vendor.organizationId);

    expect(refunded.status).toBe(202);
    await settle(buyer, first, ['refunded']);
    expect(await wallet(buyer)).toBe(5_000_000 - 2_000_000);
    // Either the payout was paid before billing took the refund (the vendor now owes its share
    // of the refunded sale), or after (and it was refused: the balance no longer covered it).
    const after = await owed(vendor);
    if (approved.status === 200) {
      expect(after).toBe(3_200_000 - 3_200_000 - 1_600_000);
      expect(tally([await call('/v1/payouts', vendor, 'POST', { amount: { amount: 1, currency: 'CNY' } })])).toEqual({ '409 PAYOUT_EXCEEDS_BALANCE': 1 });
    } else {
      expect(approved.body.code).toBe('PAYOUT_EXCEEDS_BALANCE');
      expect(after).toBe(1_600_000);
    }
    const paid = await rows('billing', `SELECT 1 FROM journal_entry WHERE kind = 'payout' AND source_id = $1`, [whole.body.id]);
    expect(paid).toHaveLength(approved.status === 200 ? 1 : 0);
  });

  it('a refund asked for fifty times at once is made once; refunds racing the payment and the fulfilment end refunded, revoked and reversed once', async () => {
    const vendor = await VendorClient.signUp(system, '标贝科技 DataBaker');
    const buyer = await signUpBuyer('科大讯飞研究院 / iFLYTEK Research', 20_000_000);
    const { offerIds } = await publish(vendor, '中文情感语音合成数据 20 小时', [yearlyOffer(1_000_000)]);
    const fulfilled = (await order(buyer, [{ offerId: offerIds[0] }])).body.id as string;
    await settle(buyer, fulfilled);

    const asked = await Promise.all(Array.from({ length: 50 }, () => refund(fulfilled)));
    expect(tally(asked)).toEqual({ '202': 1, '409 ORDER_NOT_REFUNDABLE': 49 });
    await settle(buyer, fulfilled, ['refunded']);

    // Refunds sent from the moment the order is placed until one is taken: before it is paid
    // they are refused, after it they race the grant.
    const racing: string[] = [];
    for (let i = 0; i < 8; i++) {
      const orderId = (await order(buyer, [{ offerId: offerIds[0] }])).body.id as string;
      racing.push(orderId);
      for (let attempt = 0; attempt < 600; attempt++) {
        const answer = await refund(orderId, '抢在交付前退款 / refunded before delivery');
        if (answer.status === 202) break;
        expect(answer.body.code).toBe('ORDER_NOT_REFUNDABLE');
      }
    }
    for (const orderId of racing) await settle(buyer, orderId, ['refunded']);
    expect(await wallet(buyer)).toBe(20_000_000);
    const reversals = await rows<{ order_id: string; n: number }>('billing', `SELECT order_id, count(*)::int AS n FROM journal_entry WHERE kind = 'refund' AND order_id = ANY($1) GROUP BY order_id`, [[fulfilled, ...racing]]);
    expect(reversals.map((r) => r.n)).toEqual(Array(9).fill(1));
  });

  it('refunds racing the renewal of due subscriptions give back every period billed, and nothing renews after them', async () => {
    const vendor = await VendorClient.signUp(system, '希尔贝壳 AISHELL');
    const buyer = await signUpBuyer('百度智能云 / Baidu AI Cloud', 30_000_000);
    // Twelve subscriptions of one buyer: one to each of twelve offers, as a buyer holds one live
    // subscription to an offer at a time (a second is 409 ALREADY_LICENSED).
    const monthly = { license: { template: 'commercial' }, pricing: { model: 'subscription', price: { amount: 300_000, currency: 'CNY' }, period: 'month' } };
    const { offerIds } = await publish(vendor, '每月更新 普通话新闻播报语音', Array.from({ length: 12 }, () => monthly));
    const orders: string[] = [];
    for (const offerId of offerIds) orders.push((await order(buyer, [{ offerId }])).body.id);
    for (const orderId of orders) await settle(buyer, orderId);
    // A month passes for all of them; billing's sweep (every 200 ms) renews while refunds arrive.
    await db('billing', (c) => c.query(`UPDATE subscription SET period_end = now() - interval '1 second' WHERE order_id = ANY($1)`, [orders]));
    const refunds = await Promise.all(orders.map((orderId, i) => sleep(i * 40).then(() => refund(orderId, '订阅退订 / subscription cancelled'))));
    expect(tally(refunds)).toEqual({ '202': 12 });
    for (const orderId of orders) await settle(buyer, orderId, ['refunded']);
    await sleep(1_000);

    expect(await wallet(buyer)).toBe(30_000_000);
    const subscriptions = await rows<{ status: string }>('billing', `SELECT status FROM subscription WHERE order_id = ANY($1)`, [orders]);
    expect(subscriptions.map((s) => s.status)).toEqual(Array(12).fill('cancelled'));
    const [billed] = await rows<{ charged: number; reversed: number }>(
      'billing',
      `SELECT count(*) FILTER (WHERE kind IN ('charge', 'renewal'))::int AS charged, count(*) FILTER (WHERE kind = 'refund')::int AS reversed FROM journal_entry WHERE order_id = ANY($1)`,
      [orders],
    );
    expect(billed.reversed).toBe(billed.charged);
  });

  it('orders racing the withdrawal of their offer, public or private: each is refused or charged exactly the price it was placed at', async () => {
    const vendor = await VendorClient.signUp(system, '云测数据 Testin');
    const buyer = await signUpBuyer('智谱AI / Zhipu AI', 200_000_000);
    const { datasetId, offerIds } = await publish(vendor, '中文多轮对话 SFT 数据 10 万条', [yearlyOffer(1_000_000)]);
    const privateOffer = await vendor.expect(201, `/v1/datasets/${datasetId}/offers`, 'POST', yearlyOffer(750_000, { buyerOrgId: buyer.organizationId }));

    for (const offerId of [offerIds[0], privateOffer.id as string]) {
      const burst: Promise<Answer>[] = [];
      for (let i = 0; i < 40; i++) {
        burst.push(order(buyer, [{ offerId }]));
        if (i === 20) burst.push(call(`/v1/datasets/${datasetId}/offers/${offerId}/withdraw`, vendor, 'POST'));
      }
      const answers = await Promise.all(burst);
      const counts = tally(answers);
      expect(counts['200']).toBe(1);
      expect((counts['201'] ?? 0) + (counts['409 OFFER_NOT_AVAILABLE'] ?? 0)).toBe(40);
      for (const placed of answers.filter((a) => a.status === 201)) await settle(buyer, placed.body.id);
      expect((await order(buyer, [{ offerId }])).body.code).toBe('OFFER_NOT_AVAILABLE');
    }
    const lines = await rows<{ offer_id: string; price: string }>('ordering', `SELECT offer_id, price_amount::text AS price FROM order_line WHERE dataset_id = $1`, [datasetId]);
    for (const line of lines) expect(line.price).toBe(line.offer_id === privateOffer.id ? '750000' : '1000000');
  });

  it('an access request approved and rejected at once is decided once, and the buyer’s order agrees with the decision', async () => {
    const vendor = await VendorClient.signUp(system, '爱数智慧 MagicData');
    const { offerIds } = await publish(vendor, '金融客服通话录音 500 小时（需审批）', [yearlyOffer(3_000_000, { requiresApproval: true })]);
    for (let i = 0; i < 6; i++) {
      const buyer = await signUpBuyer(`城商行科技子公司 ${i} / city bank technology ${i}`, 10_000_000);
      const requests = await Promise.all(Array.from({ length: 10 }, () => call('/v1/access-requests', buyer, 'POST', { offerId: offerIds[0], intendedUse: '训练金融客服语音识别模型' })));
      expect(tally(requests)).toEqual({ '201': 1, '409 CONFLICT': 9 });
      const id = requests.find((r) => r.status === 201)!.body.id as string;
      const decisions = (i % 2 === 0 ? ['approve', 'reject'] : ['reject', 'approve']).flatMap((d) => Array(5).fill(d) as string[]);
      const [answers, placed] = await Promise.all([Promise.all(decisions.map((d) => call(`/v1/access-requests/${id}/${d}`, vendor, 'POST'))), order(buyer, [{ offerId: offerIds[0] }])]);
      const final = (await call('/v1/access-requests', buyer)).body.items.find((r: { id: string }) => r.id === id).status as string;
      expect(['approved', 'rejected']).toContain(final);
      expect(tally(answers)).toEqual({ '200': 5, '409 INVALID_STATE': 5 });
      expect(answers.filter((a) => a.status === 200).every((a) => a.body.status === final)).toBe(true);
      if (placed.status === 201) {
        expect(final).toBe('approved');
        await settle(buyer, placed.body.id);
      } else {
        expect(placed.body.code).toBe('ACCESS_NOT_APPROVED');
      }
      const after = await order(buyer, [{ offerId: offerIds[0] }]);
      expect(after.status === 201 ? 'approved' : after.body.code).toBe(final === 'approved' ? 'approved' : 'ACCESS_NOT_APPROVED');
      if (after.status === 201) await settle(buyer, after.body.id);
    }
  });

  it('buyers waiting on a stalled catalog for their access requests leave ordering answering everyone else', async () => {
    const vendor = await VendorClient.signUp(system, '慧听科技 Huiting');
    const buyer = await signUpBuyer('招商银行信用卡中心 / CMB Credit Card Centre', 2_000_000);
    const { offerIds } = await publish(vendor, '信用卡催收通话录音 200 小时', [yearlyOffer(1_000_000, { requiresApproval: true }), yearlyOffer(1_000_000)]);
    const placed = (await order(buyer, [{ offerId: offerIds[1] }])).body.id as string;
    await settle(buyer, placed);
    const applicants = await Promise.all(Array.from({ length: 15 }, (_, i) => signUpBuyer(`征信数据公司 ${i} / credit bureau ${i}`)));

    const catalog = system.app('catalog');
    catalog.kill('SIGSTOP');
    let waiting: Promise<Answer[]> = Promise.resolve([]);
    try {
      waiting = Promise.all(applicants.map((a) => call('/v1/access-requests', a, 'POST', { offerId: offerIds[0], intendedUse: '评估催收语音质检模型' })));
      await sleep(500);
      // Ordering's pool is 10 connections: each request used to hold one while the catalog did
      // not answer, and this read, which needs nothing of the catalog, waited for them.
      const started = Date.now();
      const read = await call(`/v1/orders/${placed}`, buyer);
      expect(read.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      catalog.kill('SIGCONT');
    }
    expect(Object.keys(tally(await waiting)).every((k) => k === '201' || k === '503 SERVICE_UNAVAILABLE')).toBe(true);
  });

  it('one Idempotency-Key used by two buyers at once makes one order each; one key sent with two bodies at once makes one order', async () => {
    const vendor = await VendorClient.signUp(system, '整数智能 MolarData');
    const [first, second] = [await signUpBuyer('商汤科技 / SenseTime', 10_000_000), await signUpBuyer('旷视科技 / Megvii', 10_000_000)];
    const { offerIds } = await publish(vendor, '自动驾驶路测视频 3D 框标注', [yearlyOffer(1_000_000), yearlyOffer(2_000_000)]);

    const key = 'po-2026-11-30-0001';
    const shared = await Promise.all(Array.from({ length: 40 }, (_, i) => order(i % 2 ? first : second, [{ offerId: offerIds[0] }], key)));
    expect(tally(shared)).toEqual({ '201': 40 });
    const ids = new Map<string, Set<string>>();
    shared.forEach((a, i) => ids.set(i % 2 ? 'first' : 'second', new Set([...(ids.get(i % 2 ? 'first' : 'second') ?? []), a.body.id])));
    expect([ids.get('first')!.size, ids.get('second')!.size]).toEqual([1, 1]);
    const [firstOrder] = ids.get('first')!;
    const [secondOrder] = ids.get('second')!;
    expect(firstOrder).not.toBe(secondOrder);
    await settle(first, firstOrder);
    await settle(second, secondOrder);
    expect([await wallet(first), await wallet(second)]).toEqual([9_000_000, 9_000_000]);

    const reused = `po-${randomUUID()}`;
    const twoBodies = await Promise.all(Array.from({ length: 40 }, (_, i) => order(first, [{ offerId: offerIds[i % 2] }], reused)));
    const winners = new Set(twoBodies.filter((a) => a.status === 201).map((a) => a.body.id));
    expect(winners.size).toBe(1);
    expect(tally(twoBodies)).toEqual({ '201': 20, '422 IDEMPOTENCY_KEY_REUSED': 20 });
    await settle(first, [...winners][0]);
  });

  it('an exclusive offer ordered by twenty buyers at once is sold once: the others are refused and never charged', async () => {
    const vendor = await VendorClient.signUp(system, '晴数智慧 Magic Data Tech');
    const buyers = await Promise.all(Array.from({ length: 20 }, (_, i) => signUpBuyer(`大模型公司 ${i} / model lab ${i}`, 10_000_000)));
    const { offerIds } = await publish(vendor, '独家 四川话自然对话语音 500 小时', [exclusiveOffer(24, ['CN'], 5_000_000)]);

    const answers = await Promise.all(buyers.map((b) => order(b, [{ offerId: offerIds[0] }])));
    expect(tally(answers)).toEqual({ '201': 1, '409 EXCLUSIVITY_CONFLICT': 19 });
    const winner = answers.findIndex((a) => a.status === 201);
    await settle(buyers[winner], answers[winner].body.id, ['fulfilled']);
    const wallets = await Promise.all(buyers.map(wallet));
    expect(wallets.filter((w) => w === 5_000_000)).toHaveLength(1);
    expect(wallets.filter((w) => w === 10_000_000)).toHaveLength(19);
    expect(await rows('catalog', `SELECT order_id FROM exclusive_sale WHERE offer_id = $1 AND status = 'live'`, [offerIds[0]])).toEqual([{ order_id: answers[winner].body.id }]);
  });

  it('a script ordering two exclusive offers without end keeps neither from a buyer who orders one', async () => {
    const vendor = await VendorClient.signUp(system, '数据海洋 DataOcean');
    const attacker = await signUpBuyer('空壳公司 / shell company');
    const buyer = await signUpBuyer('小米 AI 实验室 / Xiaomi AI Lab', 10_000_000);
    const [wanted, other] = [
      (await publish(vendor, '独家 车载语音唤醒词 1,000 人', [exclusiveOffer(24, ['CN'], 5_000_000)])).offerIds[0],
      (await publish(vendor, '独家 智能家居远场语音', [exclusiveOffer(24, ['CN'], 5_000_000)])).offerIds[0],
    ];
    // Each of the script's orders used to reserve `wanted` until the catalog refused `other`.
    let stop = false;
    const refused: Answer[] = [];
    const script = Array.from({ length: 30 }, async () => {
      while (!stop) refused.push(await call('/v1/orders', attacker, 'POST', { items: [{ offerId: wanted }, { offerId: other }], acceptLicense: true }));
    });
    const attempts: Answer[] = [];
    try {
      await sleep(500);
      for (let i = 0; i < 10; i++) {
        attempts.push(await order(buyer, [{ offerId: wanted }]));
        if (attempts.at(-1)!.status === 201) break;
        await sleep(50);
      }
    } finally {
      stop = true;
      await Promise.all(script);
    }
    expect(tally(attempts)).toEqual({ '201': 1 });
    await settle(buyer, attempts[0].body.id, ['fulfilled']);
    // None of the script's orders ever held either offer: the only sale is the buyer's.
    expect(await rows('catalog', `SELECT order_id, status FROM exclusive_sale WHERE offer_id = ANY($1)`, [[wanted, other]])).toEqual([{ order_id: attempts[0].body.id, status: 'live' }]);
    expect(refused.length).toBeGreaterThan(30);
    // Refused for naming two exclusive offers; once the buyer's sale is live, for the offer it sold out.
    const reasons = Object.keys(tally(refused.filter((a) => a.status !== 503)));
    expect(reasons).toContain('409 CONFLICT');
    expect(reasons.filter((reason) => reason !== '409 CONFLICT' && reason !== '409 EXCLUSIVITY_CONFLICT')).toEqual([]);
  });

  it('fifty orders at once while a top-up is confirmed spend the wallet to the fen and never below it', async () => {
    const vendor = await VendorClient.signUp(system, '澳鹏 Appen China');
    const buyer = await signUpBuyer('字节跳动 豆包大模型 / ByteDance Doubao', 10_000_000);
    const { offerIds } = await publish(vendor, '普通话儿童语音 30 小时', [yearlyOffer(1_000_000)]);
    const topUp = await call('/v1/wallet/top-ups', buyer, 'POST', { amount: { amount: 20_000_000, currency: 'CNY' }, reference: '建设银行 CCB-20261130-7788' });
    expect(topUp.status).toBe(201);

    const answers = await Promise.all([...Array.from({ length: 50 }, () => order(buyer, [{ offerId: offerIds[0] }])), call(`/v1/admin/top-ups/${topUp.body.id}/confirm`, 'admin', 'POST')]);
    expect(tally(answers)).toEqual({ '201': 50, '200': 1 });
    for (const placed of answers.slice(0, 50)) await settle(buyer, placed.body.id);
    const statuses = await Promise.all(answers.slice(0, 50).map((a) => statusOf(buyer, a.body.id)));
    const fulfilled = statuses.filter((s) => s === 'fulfilled').length;
    expect(statuses.filter((s) => s === 'cancelled')).toHaveLength(50 - fulfilled);
    // Every order billing took before the confirmation was paid from the first 100,000.00 yuan.
    expect(fulfilled).toBeGreaterThanOrEqual(10);
    expect(await wallet(buyer)).toBe(30_000_000 - 1_000_000 * fulfilled);
  });
});

