import { exclusiveOffer, speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { subscriptionWorld, type Buyer } from '../support/subscriptions';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const MONTHLY = 660_000;
const FUNDS = 2_000_000;

/**
 * A buyer sees its subscriptions and cancels one at the end of the month it paid for, through
 * the public API with every app running. Billing's renewal sweep runs every 300 ms; a month
 * passes when the test moves a subscription's paid period end into the past in billing's
 * database (the one thing the API cannot do).
 */
describe('a buyer cancels its subscription at the end of the paid period, through the public API', () => {
  let system: TroveSystem;
  let vendor: VendorClient;

  const { get, post, signUpBuyer, listing, subscribe, entitlementStatus, wallet, invoiced, monthPasses } = subscriptionWorld(() => system, () => vendor, { monthly: MONTHLY, funds: FUNDS });
  const command = async (path: string, who: Buyer) => {
    const response = await post(path, who);
    return { status: response.status, body: await json(response) };
  };

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn' }, appEnv: { billing: { SUBSCRIPTION_SWEEP_MS: '300' } } });
    vendor = await VendorClient.signUp(system, '数据堂 Datatang');
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('lists the subscription, cancels it, serves the month paid, and then charges nothing and ends the entitlement; a resumed one renews', async () => {
    const cancelled = await listing('上海话日常对话语音 40 小时 / Shanghainese conversations, monthly');
    const resumed = await listing('东北话客服录音 30 小时 / Northeastern Mandarin call-centre audio, monthly');
    const 智谱 = await signUpBuyer('智谱 AI / Zhipu AI');
    const 月之暗面 = await signUpBuyer('月之暗面 / Moonshot AI');
    const subscription = await subscribe(智谱, cancelled.offerId);
    const kept = await subscribe(智谱, resumed.offerId);
    expect(await wallet(智谱)).toBe(FUNDS - 2 * MONTHLY);

    // The buyer sees what it pays, for which period, and when the next charge falls due.
    const listed = await get('/v1/subscriptions?status=active', 智谱);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((s: { id: string }) => s.id)).toEqual([kept.subscriptionId, subscription.subscriptionId]);
    const view = listed.body.items[1];
    expect(view).toMatchObject({
      orderId: subscription.orderId,
      datasetId: cancelled.datasetId,
      offerId: cancelled.offerId,
      buyerOrganizationId: 智谱.organizationId,
      vendorOrganizationId: vendor.organizationId,
      price: { amount: MONTHLY, currency: 'CNY' },
      period: 'month',
      status: 'active',
      cancelAtPeriodEnd: false,
      cancelledAt: null,
      lapseReason: null,
      renewals: 0,
    });
    expect(view.nextChargeAt).toBe(view.currentPeriodEnd);
    expect(new Date(view.currentPeriodEnd).getTime()).toBeGreaterThan(new Date(view.currentPeriodStart).getTime());
    expect(await get(`/v1/subscriptions/${subscription.subscriptionId}`, 智谱)).toEqual({ status: 200, body: view });
    expect((await get('/v1/subscriptions', 月之暗面)).body.items).toEqual([]);
    expect((await get(`/v1/admin/subscriptions?organization=${智谱.organizationId}`, 'admin')).body.items).toHaveLength(2);

    // Another organization can neither read nor cancel it.
    const stranger = await get(`/v1/subscriptions/${subscription.subscriptionId}`, 月之暗面);
    expect({ status: stranger.status, code: stranger.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    const strangerCancel = await command(`/v1/subscriptions/${subscription.subscriptionId}/cancel`, 月之暗面);
    expect({ status: strangerCancel.status, code: strangerCancel.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });

    const cancel = await command(`/v1/subscriptions/${subscription.subscriptionId}/cancel`, 智谱);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toEqual({ ...view, cancelAtPeriodEnd: true, cancelledAt: expect.any(String), nextChargeAt: null });
    expect(await command(`/v1/subscriptions/${subscription.subscriptionId}/cancel`, 智谱)).toEqual(cancel);
    // The other one is cancelled and taken back: it renews as before.
    expect((await command(`/v1/subscriptions/${kept.subscriptionId}/cancel`, 智谱)).body).toMatchObject({ cancelAtPeriodEnd: true, nextChargeAt: null });
    const resume = await command(`/v1/subscriptions/${kept.subscriptionId}/resume`, 智谱);
    expect(resume.status).toBe(200);
    expect(resume.body).toMatchObject({ cancelAtPeriodEnd: false, cancelledAt: null, nextChargeAt: resume.body.currentPeriodEnd });

    // The month paid is the buyer's to the end.
    expect(await entitlementStatus(智谱, subscription.entitlementId)).toBe('active');
    expect((await get(`/v1/entitlements/${subscription.entitlementId}/manifest`, 智谱)).status).toBe(200);

    await monthPasses(subscription.orderId, kept.orderId);

    // Not charged: one invoice for the cancelled one, two for the one that renews.
    expect(await wallet(智谱)).toBe(FUNDS - 3 * MONTHLY);
    const invoices = await invoiced(智谱);
    expect(invoices.filter(([orderId]) => orderId === subscription.orderId)).toEqual([[subscription.orderId, MONTHLY]]);
    expect(invoices.filter(([orderId]) => orderId === kept.orderId)).toEqual([
      [kept.orderId, MONTHLY],
      [kept.orderId, MONTHLY],
    ]);
    const lapsed = await get(`/v1/subscriptions/${subscription.subscriptionId}`, 智谱);
    expect(lapsed.body).toMatchObject({ status: 'lapsed', lapseReason: 'cancelled_by_buyer', cancelAtPeriodEnd: true, nextChargeAt: null, renewals: 0 });
    expect((await get(`/v1/subscriptions/${kept.subscriptionId}`, 智谱)).body).toMatchObject({ status: 'active', renewals: 1, cancelAtPeriodEnd: false });

    // Delivery ended the entitlement on the lapse; the files are no longer served.
    await waitFor('delivery to end the entitlement', async () => (await entitlementStatus(智谱, subscription.entitlementId)) === 'expired');
    const manifest = await get(`/v1/entitlements/${subscription.entitlementId}/manifest`, 智谱);
    expect({ status: manifest.status, code: manifest.body.code }).toEqual({ status: 403, code: 'ENTITLEMENT_EXPIRED' });
    expect(await entitlementStatus(智谱, kept.entitlementId)).toBe('active');

    // It stays ended: a retried cancellation answers what it did; it cannot be resumed; later sweeps charge nothing.
    expect((await command(`/v1/subscriptions/${subscription.subscriptionId}/cancel`, 智谱)).body).toEqual(lapsed.body);
    const late = await command(`/v1/subscriptions/${subscription.subscriptionId}/resume`, 智谱);
    expect({ status: late.status, code: late.body.code }).toEqual({ status: 409, code: 'INVALID_STATE' });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await wallet(智谱)).toBe(FUNDS - 3 * MONTHLY);
    expect((await get('/v1/subscriptions?status=lapsed', 智谱)).body.items.map((s: { id: string }) => s.id)).toEqual([subscription.subscriptionId]);

    // An operator refunds the lapsed order: the month comes back, and the license reads as taken
    // back, not as one that ran its course; it ended at the lapse, and still did.
    const ended = (await get('/v1/entitlements', 智谱)).body.items.find((e: { id: string }) => e.id === subscription.entitlementId);
    expect((await post(`/v1/admin/orders/${subscription.orderId}/refund`, 'admin', { reason: '数据质量争议 / data quality dispute' })).status).toBe(202);
    await waitFor('the refund to reach the order', async () => (await get(`/v1/orders/${subscription.orderId}`, 智谱)).body.status === 'refunded');
    expect(await wallet(智谱)).toBe(FUNDS - 2 * MONTHLY);
    await waitFor('delivery to revoke the ended entitlement', async () => (await entitlementStatus(智谱, subscription.entitlementId)) === 'revoked');
    const revoked = (await get('/v1/entitlements', 智谱)).body.items.find((e: { id: string }) => e.id === subscription.entitlementId);
    expect(revoked).toEqual({ ...ended, status: 'revoked' });
    expect(await entitlementStatus(智谱, kept.entitlementId)).toBe('active');

    expect((await get('/v1/admin/ledger/trial-balance', 'admin')).body.total).toBe(0);
  });

  it('frees an exclusive territory sold by the month once its subscription lapses: one month paid does not hold a 24-month exclusive', async () => {
    const { dataset } = await vendor.listing(speechListing({ title: '车载语音指令 独家授权 / in-car voice commands, exclusive' }), undefined);
    const { license } = exclusiveOffer(24, ['CN']) as { license: unknown };
    const offer = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', { license, pricing: { model: 'subscription', price: { amount: MONTHLY, currency: 'CNY' }, period: 'month' } });
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    const first = await signUpBuyer('蔚来汽车 智能座舱 NIO cockpit');
    const rival = await signUpBuyer('理想汽车 语音团队 Li Auto voice');
    const order = (buyer: Buyer) => post('/v1/orders', buyer, { items: [{ offerId: offer.id }], acceptLicense: true });

    const held = await subscribe(first, offer.id);
    // While the first buyer pays, the territory is its alone.
    const refused = await order(rival);
    expect({ status: refused.status, code: (await json(refused)).code }).toEqual({ status: 409, code: 'EXCLUSIVITY_CONFLICT' });

    expect((await command(`/v1/subscriptions/${held.subscriptionId}/cancel`, first)).status).toBe(200);
    await monthPasses(held.orderId);
    await waitFor('the lapsed subscription to end its entitlement', async () => (await entitlementStatus(first, held.entitlementId)) === 'expired');
    const catalogDb = system.databases.get('catalog')!.url;
    await waitFor('the exclusive sale to be released', () =>
      withDatabase(catalogDb, async (c) => (await c.query(`SELECT status FROM exclusive_sale WHERE order_id = $1`, [held.orderId])).rows[0]?.status === 'released'),
    );

    // The territory is free again: the rival subscribes, and now holds it.
    const taken = await subscribe(rival, offer.id);
    expect((await get(`/v1/orders/${taken.orderId}`, rival)).body.status).toBe('fulfilled');
    const again = await order(first);
    expect({ status: again.status, code: (await json(again)).code }).toEqual({ status: 409, code: 'EXCLUSIVITY_CONFLICT' });
    expect((await get('/v1/admin/ledger/trial-balance', 'admin')).body.total).toBe(0);
  });
});
