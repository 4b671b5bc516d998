import type { ServiceName } from '@trove/contracts';
import { exclusiveOffer, speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { subscriptionWorld, type Buyer } from '../support/subscriptions';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const PRICE = 4_800_000; // 48,000.00 yuan for a two-year exclusive licence of the corpus
const MONTHLY = 660_000;
const FUNDS = 10_000_000;

/**
 * The saga ends an exclusive order while the catalog is down. A cancelled or refunded order, or a
 * lapsed exclusive subscription, gives its exclusive sale back to the catalog; that step used to
 * ask the catalog synchronously inside the saga's transaction, so with the catalog down (killed,
 * restarting) the step failed until its event was dead-lettered: the refunded buyer kept its
 * entitlement, the declined order stayed pending, and the territory stayed sold for good. Now the
 * order's change commits on its own and the release reaches the catalog as an event when it is
 * back.
 *
 * Consumers give up after 4 attempts here (about 4 s of retries), so a step that still needed the
 * catalog would be a dead letter long before the catalog comes back. Billing's renewal sweep runs
 * every 300 ms.
 */
describe('exclusive sales given back while the catalog is down', () => {
  let system: TroveSystem;
  let vendor: VendorClient;

  const { get, post, signUpBuyer, subscribe, entitlementStatus, monthPasses } = subscriptionWorld(() => system, () => vendor, { monthly: MONTHLY, funds: FUNDS });
  const catalogDb = <T>(work: (client: import('pg').Client) => Promise<T>) => withDatabase(system.databases.get('catalog')!.url, work);
  const saleOf = (orderId: string) => catalogDb(async (c) => (await c.query(`SELECT status FROM exclusive_sale WHERE order_id = $1`, [orderId])).rows[0]?.status as string | undefined);
  const orderOf = async (buyer: Buyer, orderId: string) => (await get(`/v1/orders/${orderId}`, buyer)).body;
  const order = async (buyer: Buyer, offerId: string) => {
    const answer = await post('/v1/orders', buyer, { items: [{ offerId }], acceptLicense: true });
    return { status: answer.status, body: await json(answer) };
  };
  const untilStatus = (buyer: Buyer, orderId: string, status: string, ms = 30_000) =>
    waitFor(`order ${orderId} to be ${status}`, async () => {
      const now = await orderOf(buyer, orderId);
      return now.status === status && now;
    }, ms);

  /** An exclusive CN licence of a published speech listing, sold as `pricing` says. */
  const exclusiveListing = async (title: string, pricing?: Record<string, unknown>) => {
    const { dataset } = await vendor.listing(speechListing({ title }), undefined);
    const offer = exclusiveOffer(24, ['CN'], PRICE);
    const created = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', pricing ? { ...offer, pricing } : offer);
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    return { datasetId: dataset.id as string, offerId: created.id as string };
  };

  const unfundedBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ai-data@example.cn' }) }));
    return { key: answer.apiKey, organizationId: answer.organization.id };
  };

  const catalog = () => system.app('catalog');
  const killCatalog = async () => {
    catalog().kill('SIGKILL');
    await catalog().exit();
  };
  const startCatalog = async () => {
    catalog().start();
    await catalog().ready();
  };

  /** Every service's dead letters: none may be left by an outage of the catalog. */
  const deadLetters = async () => {
    const all: { service: ServiceName; subject: string }[] = [];
    for (const [service, db] of system.databases) {
      const rows = await withDatabase(db.url, async (c) => (await c.query(`SELECT subject FROM dead_letter`)).rows as { subject: string }[]);
      all.push(...rows.map((row) => ({ service, subject: row.subject })));
    }
    return all;
  };

  beforeAll(async () => {
    system = await TroveSystem.start({ env: { LOG_LEVEL: 'warn', EVENT_MAX_ATTEMPTS: '4' }, appEnv: { billing: { SUBSCRIPTION_SWEEP_MS: '300' } } });
    vendor = await VendorClient.signUp(system, '希尔贝壳 AISHELL 独家授权');
  });

  afterEach(async () => {
    if (!catalog().running) await startCatalog();
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('refunds an exclusive order and revokes its entitlement with the catalog killed, and frees the territory once it is back', async () => {
    const listing = await exclusiveListing('普通话车载语音 独家授权 500 小时 / Mandarin in-car speech, exclusive');
    const first = await signUpBuyer('蔚来汽车 语音团队 NIO voice');
    const rival = await signUpBuyer('小鹏汽车 智能座舱 XPeng cockpit');

    const placed = await order(first, listing.offerId);
    expect(placed.status).toBe(201);
    const fulfilled = await untilStatus(first, placed.body.id, 'fulfilled');
    const [entitlementId] = fulfilled.entitlementIds as string[];
    expect(await entitlementStatus(first, entitlementId)).toBe('active');
    expect(await saleOf(placed.body.id)).toBe('live');

    await killCatalog();
    const refund = await post(`/v1/admin/orders/${placed.body.id}/refund`, 'admin', { reason: '采集同意书缺失，授权链不完整 / consent records missing' });
    expect(refund.status).toBe(202);
    // Billing gives the money back, and the saga ends without the catalog.
    expect((await untilStatus(first, placed.body.id, 'refunded')).status).toBe('refunded');
    await waitFor('the entitlement to be revoked', async () => (await entitlementStatus(first, entitlementId)) === 'revoked');
    expect((await get('/v1/wallet', first)).body.balance.amount).toBe(FUNDS);
    expect(catalog().running).toBe(false);
    // The catalog never heard of it yet: its sale is still live in its database.
    expect(await saleOf(placed.body.id)).toBe('live');

    await startCatalog();
    await waitFor('the catalog to release the sale', async () => (await saleOf(placed.body.id)) === 'released');
    const taken = await order(rival, listing.offerId);
    expect(taken.status).toBe(201);
    expect((await untilStatus(rival, taken.body.id, 'fulfilled')).status).toBe('fulfilled');
    expect(await saleOf(taken.body.id)).toBe('live');
    expect(await deadLetters()).toEqual([]);
  });

  it('cancels an exclusive order billing declines with the catalog killed, and frees the territory once it is back', async () => {
    const listing = await exclusiveListing('粤语客服通话 独家授权 300 小时 / Cantonese call-centre speech, exclusive');
    // A start-up whose wallet was never topped up: billing declines its order.
    const poor = await unfundedBuyer('某语音初创公司 a speech start-up');
    const rich = await signUpBuyer('理想汽车 Li Auto 数据采购');

    // Billing is down while the order is placed, so it is declined only after the catalog is killed.
    const billing = system.app('billing');
    billing.kill('SIGTERM');
    await billing.exit();
    let orderId = '';
    try {
      const placed = await order(poor, listing.offerId);
      expect(placed.status).toBe(201);
      orderId = placed.body.id;
      expect(await saleOf(orderId)).toBe('live');
      await killCatalog();
    } finally {
      billing.start();
      await billing.ready();
    }

    const cancelled = await untilStatus(poor, orderId, 'cancelled');
    expect(cancelled.cancellationReason).toBe('INSUFFICIENT_FUNDS');
    expect(catalog().running).toBe(false);
    expect(await saleOf(orderId)).toBe('live');

    await startCatalog();
    await waitFor('the catalog to release the sale', async () => (await saleOf(orderId)) === 'released');
    const taken = await order(rich, listing.offerId);
    expect(taken.status).toBe(201);
    expect((await untilStatus(rich, taken.body.id, 'fulfilled')).status).toBe('fulfilled');
    expect(await deadLetters()).toEqual([]);
  });

  it('lets a lapsed exclusive subscription go with the catalog killed, and frees the territory once it is back', async () => {
    const listing = await exclusiveListing('四川话自由对话语音 独家按月授权 / Sichuanese conversation, exclusive monthly', { model: 'subscription', price: { amount: MONTHLY, currency: 'CNY' }, period: 'month' });
    const first = await signUpBuyer('百度智能云 Baidu AI Cloud 语音');
    const rival = await signUpBuyer('字节跳动 火山引擎 Volcano Engine');
    const held = await subscribe(first, listing.offerId);
    expect(await saleOf(held.orderId)).toBe('live');
    expect((await post(`/v1/subscriptions/${held.subscriptionId}/cancel`, first)).status).toBe(200);

    await killCatalog();
    await monthPasses(held.orderId);
    await waitFor('the lapsed subscription to end its entitlement', async () => (await entitlementStatus(first, held.entitlementId)) === 'expired');
    // Ordering has taken the lapse one way or the other before the catalog comes back: it
    // recorded the end of the order's exclusive sale, or gave up on the event (a dead letter).
    await waitFor('ordering to take the lapse', () =>
      withDatabase(system.databases.get('ordering')!.url, async (c) =>
        (
          await c.query(
            `SELECT 1 FROM outbox WHERE subject = 'evt.ordering.order.exclusive-ended.v1' AND payload->>'orderId' = $1
             UNION ALL SELECT 1 FROM dead_letter WHERE aggregate_id = $1`,
            [held.orderId],
          )
        ).rows.length > 0,
      ),
    30_000);
    expect(catalog().running).toBe(false);
    expect((await orderOf(first, held.orderId)).status).toBe('fulfilled');

    await startCatalog();
    await waitFor('the catalog to release the sale', async () => (await saleOf(held.orderId)) === 'released');
    const taken = await subscribe(rival, listing.offerId);
    expect((await orderOf(rival, taken.orderId)).status).toBe('fulfilled');
    expect(await deadLetters()).toEqual([]);
  });
});
