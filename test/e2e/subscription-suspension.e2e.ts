import { VendorClient } from '../support/catalog';
import { waitFor } from '../support/processes';
import { subscriptionWorld } from '../support/subscriptions';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const MONTHLY = 880_000;
const FUNDS = 2_000_000;

/**
 * Subscriptions to a listing an operator suspends, and to an offer its vendor withdraws, through
 * the public API with every app running. Billing's renewal sweep runs every 300 ms; a month
 * passes when the test moves a subscription's paid period end into the past in billing's
 * database (the one thing the API cannot do).
 */
describe('subscriptions of suspended datasets and withdrawn offers, through the public API', () => {
  let system: TroveSystem;
  let vendor: VendorClient;

  const { get, post, billingDb, signUpBuyer, listing, subscribe, entitlementStatus, wallet, invoiced, monthPasses } = subscriptionWorld(() => system, () => vendor, { monthly: MONTHLY, funds: FUNDS });
  const lapseOf = (orderId: string) =>
    billingDb(async (c) => (await c.query(`SELECT status, lapse_reason FROM subscription WHERE order_id = $1`, [orderId])).rows[0] as { status: string; lapse_reason: string | null });
  /** Billing has taken in the catalog's event about the dataset or offer. */
  const billingKnows = (what: string, sql: string, id: string) => waitFor(`billing to learn that ${what}`, () => billingDb(async (c) => (await c.query(sql, [id])).rows.length > 0));

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn' }, appEnv: { billing: { SUBSCRIPTION_SWEEP_MS: '300' } } });
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('charges nothing for the month that falls due while the dataset is suspended: the subscription and its entitlement end, the paid month was served in full, and the reinstated listing is sold anew', async () => {
    const suspended = await listing('粤语客服对话录音 80 小时 / Cantonese call-centre audio, monthly');
    const live = await listing('普通话车载语音指令 300 小时 / Mandarin in-car voice commands, monthly');
    const 国网 = await signUpBuyer('国网智能研究院 / State Grid AI Lab');
    const 电信 = await signUpBuyer('中国电信人工智能研究院 / China Telecom AI');
    const subscription = await subscribe(国网, suspended.offerId);
    const control = await subscribe(电信, live.offerId);
    expect(await wallet(国网)).toBe(FUNDS - MONTHLY);

    expect((await post(`/v1/admin/datasets/${suspended.datasetId}/suspend`, 'admin')).status).toBe(200);
    await billingKnows('the dataset is suspended', `SELECT 1 FROM dataset_standing WHERE dataset_id = $1 AND status = 'suspended'`, suspended.datasetId);
    // The month paid for is the subscriber's to the end: its files are still served.
    expect((await get(`/v1/entitlements/${subscription.entitlementId}/manifest`, 国网)).status).toBe(200);

    await monthPasses(subscription.orderId);
    await monthPasses(control.orderId);

    expect(await wallet(国网)).toBe(FUNDS - MONTHLY);
    expect(await invoiced(国网)).toEqual([[subscription.orderId, MONTHLY]]);
    await waitFor('delivery to end the entitlement', async () => (await entitlementStatus(国网, subscription.entitlementId)) === 'expired');
    const manifest = await get(`/v1/entitlements/${subscription.entitlementId}/manifest`, 国网);
    expect({ status: manifest.status, code: manifest.body.code }).toEqual({ status: 403, code: 'ENTITLEMENT_EXPIRED' });
    // The listing nobody suspended renews as before.
    expect(await wallet(电信)).toBe(FUNDS - 2 * MONTHLY);
    expect((await invoiced(电信)).map(([, gross]) => gross)).toEqual([MONTHLY, MONTHLY]);
    expect(await entitlementStatus(电信, control.entitlementId)).toBe('active');

    // Reinstated: nothing is charged behind the subscriber's back; it subscribes again if it wants the data.
    expect((await post(`/v1/admin/datasets/${suspended.datasetId}/approve`, 'admin')).status).toBe(200);
    await billingKnows('the dataset is reinstated', `SELECT 1 FROM dataset_standing WHERE dataset_id = $1 AND status = 'published'`, suspended.datasetId);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await wallet(国网)).toBe(FUNDS - MONTHLY);
    expect(await entitlementStatus(国网, subscription.entitlementId)).toBe('expired');
    const again = await subscribe(国网, suspended.offerId);
    expect(await entitlementStatus(国网, again.entitlementId)).toBe('active');
    expect(await wallet(国网)).toBe(FUNDS - 2 * MONTHLY);

    const trial = await get('/v1/admin/ledger/trial-balance', 'admin');
    expect(trial.body.total).toBe(0);
  });

  it("charges nothing for the month that falls due while the vendor's organization is suspended: the subscription and its entitlement end, the vendor is owed nothing more, the reinstatement revives nothing, and another vendor's subscriber renews in the same sweep", async () => {
    const 标贝 = await VendorClient.signUp(system, '标贝科技 DataBaker');
    const suspended = await listing('普通话儿童朗读语音 120 小时 / Mandarin children read speech, monthly', 标贝);
    const live = await listing('闽南语广播语音 60 小时 / Hokkien broadcast speech, monthly');
    const 百度 = await signUpBuyer('百度智能云 / Baidu AI Cloud');
    const 讯飞 = await signUpBuyer('科大讯飞研究院 / iFLYTEK Research');
    const subscription = await subscribe(百度, suspended.offerId);
    const control = await subscribe(讯飞, live.offerId);
    const owed = async (by: VendorClient) => (await by.expect(200, '/v1/balance')).balance.amount as number;
    const owedTo标贝 = await owed(标贝);
    expect(await wallet(百度)).toBe(FUNDS - MONTHLY);

    expect((await post(`/v1/admin/organizations/${标贝.organizationId}/suspend`, 'admin')).status).toBe(200);
    await billingKnows('the vendor is suspended', `SELECT 1 FROM organization_standing WHERE organization_id = $1 AND status = 'suspended'`, 标贝.organizationId);
    await waitFor("the catalog to hide the suspended vendor's listing", async () => (await get(`/v1/datasets/${suspended.datasetId}`, 百度)).status === 404);
    // Off sale: its offers sell nothing, while the month paid for is the subscriber's to the end.
    const reordered = await post('/v1/orders', 百度, { items: [{ offerId: suspended.offerId }], acceptLicense: true });
    expect({ status: reordered.status, code: (await json(reordered)).code }).toEqual({ status: 409, code: 'OFFER_NOT_AVAILABLE' });
    expect((await get(`/v1/entitlements/${subscription.entitlementId}/manifest`, 百度)).status).toBe(200);
    expect((await 标贝.call('/v1/balance')).status).toBe(403);

    await monthPasses(subscription.orderId, control.orderId);

    expect(await wallet(百度)).toBe(FUNDS - MONTHLY);
    expect(await invoiced(百度)).toEqual([[subscription.orderId, MONTHLY]]);
    expect(await lapseOf(subscription.orderId)).toEqual({ status: 'lapsed', lapse_reason: 'vendor_suspended' });
    await waitFor('delivery to end the entitlement', async () => (await entitlementStatus(百度, subscription.entitlementId)) === 'expired');
    const manifest = await get(`/v1/entitlements/${subscription.entitlementId}/manifest`, 百度);
    expect({ status: manifest.status, code: manifest.body.code }).toEqual({ status: 403, code: 'ENTITLEMENT_EXPIRED' });
    // Another vendor's listing renews as before, in the same sweep.
    expect(await wallet(讯飞)).toBe(FUNDS - 2 * MONTHLY);
    expect((await invoiced(讯飞)).map(([, gross]) => gross)).toEqual([MONTHLY, MONTHLY]);
    expect(await entitlementStatus(讯飞, control.entitlementId)).toBe('active');

    // Reinstated: the lapsed subscription stays lapsed and nothing is charged behind the subscriber's back.
    expect((await post(`/v1/admin/organizations/${标贝.organizationId}/approve`, 'admin')).status).toBe(200);
    await billingKnows('the vendor is reinstated', `SELECT 1 FROM organization_standing WHERE organization_id = $1 AND status = 'active'`, 标贝.organizationId);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await wallet(百度)).toBe(FUNDS - MONTHLY);
    expect(await invoiced(百度)).toEqual([[subscription.orderId, MONTHLY]]);
    expect(await lapseOf(subscription.orderId)).toEqual({ status: 'lapsed', lapse_reason: 'vendor_suspended' });
    expect(await entitlementStatus(百度, subscription.entitlementId)).toBe('expired');
    // The vendor is owed the month that was paid, and not a fen for the month that was not.
    expect(await owed(标贝)).toBe(owedTo标贝);

    const trial = await get('/v1/admin/ledger/trial-balance', 'admin');
    expect(trial.body.total).toBe(0);
  });

  it('ends a subscription whose offer its vendor withdrew at the end of the month paid, without a charge', async () => {
    const { datasetId, offerId } = await listing('四川话对话语音 50 小时 / Sichuanese conversations 50 h, monthly');
    const 移动 = await signUpBuyer('中国移动研究院 / China Mobile Research');
    const subscription = await subscribe(移动, offerId);

    await vendor.expect(200, `/v1/datasets/${datasetId}/offers/${offerId}/withdraw`, 'POST');
    await billingKnows('the offer is withdrawn', `SELECT 1 FROM withdrawn_offer WHERE offer_id = $1`, offerId);
    // Withdrawn, the offer is not sold again; the subscriber keeps the month it paid for.
    expect((await post('/v1/orders', 移动, { items: [{ offerId }], acceptLicense: true })).status).toBe(409);
    expect(await entitlementStatus(移动, subscription.entitlementId)).toBe('active');

    await monthPasses(subscription.orderId);

    expect(await wallet(移动)).toBe(FUNDS - MONTHLY);
    expect(await invoiced(移动)).toEqual([[subscription.orderId, MONTHLY]]);
    await waitFor('delivery to end the entitlement', async () => (await entitlementStatus(移动, subscription.entitlementId)) === 'expired');
    expect((await get('/v1/admin/ledger/trial-balance', 'admin')).body.total).toBe(0);
  });
});
