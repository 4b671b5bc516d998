import { addMonthsUtc } from '@trove/licensing';
import { VendorClient } from '../support/catalog';
import { waitFor } from '../support/processes';
import { subscriptionWorld } from '../support/subscriptions';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const MONTHLY = 420_000;
const FUNDS = 2_000_000;

/**
 * A subscription ends with its license's term, and a suspended buyer is charged no further
 * period, through the public API with every app running. The listings sell the `research`
 * template (12 months) by the month. Billing's renewal sweep runs every 300 ms; time passes when
 * the test moves a subscription's paid period end (and, for the term, the license end) into the
 * past in billing's database (the one thing the API cannot do).
 */
describe("subscriptions end with their license's term, and stop for a suspended buyer, through the public API", () => {
  let system: TroveSystem;
  let vendor: VendorClient;

  const { get, post, billingDb, signUpBuyer, listing, subscribe, entitlementStatus, wallet, invoiced, monthPasses } = subscriptionWorld(() => system, () => vendor, { monthly: MONTHLY, funds: FUNDS });
  const subscriptionRow = (orderId: string) =>
    billingDb(
      async (c) =>
        (await c.query(`SELECT status, lapse_reason, subscribed_at, period_end, license_ends_at FROM subscription WHERE order_id = $1`, [orderId])).rows[0] as {
          status: string;
          lapse_reason: string | null;
          subscribed_at: Date;
          period_end: Date;
          license_ends_at: Date | null;
        },
    );
  const chargesOf = (orderId: string) => billingDb(async (c) => Number((await c.query(`SELECT count(*) AS n FROM journal_entry WHERE order_id = $1`, [orderId])).rows[0].n));

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn' }, appEnv: { billing: { SUBSCRIPTION_SWEEP_MS: '300' } } });
    vendor = await VendorClient.signUp(system, '标贝科技 DataBaker');
  });

  afterAll(async () => {
    await system?.stop();
  });

  it("ends billing's subscription where delivery ends the entitlement: 12 months from the payment, after which nothing is charged", async () => {
    const research = await listing('普通话情感语音 120 小时 / Mandarin emotional speech, monthly');
    const 智源 = await signUpBuyer('北京智源人工智能研究院 / BAAI');
    const subscription = await subscribe(智源, research.offerId);

    // Ordering tells billing the accepted term; billing counts it from its charge, delivery from
    // ordering's record of the payment a moment later.
    const row = await subscriptionRow(subscription.orderId);
    expect(row.license_ends_at).toEqual(addMonthsUtc(row.subscribed_at, 12));
    const entitlement = (await get('/v1/entitlements', 智源)).body.items.find((e: { id: string }) => e.id === subscription.entitlementId);
    const lag = new Date(entitlement.expiresAt).getTime() - row.license_ends_at!.getTime();
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(60_000);

    // The vendor's sale says the first month, paid up to where billing's period ends.
    const sale = async () => (await vendor.expect(200, `/v1/sales?datasetId=${research.datasetId}`)).items.find((s: { orderId: string }) => s.orderId === subscription.orderId);
    expect((await sale()).subscription).toEqual({ status: 'active', periodsPaid: 1, paidThrough: row.period_end.toISOString(), lapsedAt: null, billed: { amount: MONTHLY, currency: 'CNY' } });

    // A month passes: the term runs on, so the subscription renews.
    await monthPasses(subscription.orderId);
    expect(await wallet(智源)).toBe(FUNDS - 2 * MONTHLY);
    // The vendor sees the renewal on its sale: two months paid, up to the new period end.
    const renewedTo = (await subscriptionRow(subscription.orderId)).period_end;
    await waitFor("the renewal on the vendor's sale", async () => (await sale()).subscription.periodsPaid === 2);
    expect((await sale()).subscription).toEqual({ status: 'active', periodsPaid: 2, paidThrough: renewedTo.toISOString(), lapsedAt: null, billed: { amount: 2 * MONTHLY, currency: 'CNY' } });

    // The twelfth month is over, and with it the license.
    const ending = Date.now();
    await billingDb((c) => c.query(`UPDATE subscription SET period_end = now() - interval '1 second', license_ends_at = now() - interval '1 second' WHERE order_id = $1`, [subscription.orderId]));
    await waitFor("billing's sweep to end the subscription", async () => (await subscriptionRow(subscription.orderId)).status === 'lapsed');
    expect(await subscriptionRow(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'term_ended' });
    expect(await wallet(智源)).toBe(FUNDS - 2 * MONTHLY);
    expect(await invoiced(智源)).toHaveLength(2);
    expect((await get(`/v1/subscriptions/${subscription.subscriptionId}`, 智源)).body).toMatchObject({ status: 'lapsed', lapseReason: 'term_ended', nextChargeAt: null });
    await waitFor('delivery to end the entitlement', async () => (await entitlementStatus(智源, subscription.entitlementId)) === 'expired');
    // The sale says it lapsed, and still what the two months came to.
    await waitFor("the lapse on the vendor's sale", async () => (await sale()).subscription.status === 'lapsed');
    expect((await sale()).subscription).toMatchObject({ status: 'lapsed', periodsPaid: 2, paidThrough: renewedTo.toISOString(), billed: { amount: 2 * MONTHLY, currency: 'CNY' } });
    const lapsedAt = Date.parse((await sale()).subscription.lapsedAt);
    expect(lapsedAt).toBeGreaterThanOrEqual(ending - 1_000);
    expect(lapsedAt).toBeLessThanOrEqual(Date.now());
  });

  it("charges a suspended buyer nothing: it cannot cancel (403), so its subscription lapses at the period end; another buyer's renews", async () => {
    const research = await listing('四川话街头采访录音 60 小时 / Sichuanese street interviews, monthly');
    const 零一万物 = await signUpBuyer('零一万物 / 01.AI');
    const 百川 = await signUpBuyer('百川智能 / Baichuan');
    const suspended = await subscribe(零一万物, research.offerId);
    const control = await subscribe(百川, research.offerId);

    expect((await post(`/v1/admin/organizations/${零一万物.organizationId}/suspend`, 'admin')).status).toBe(200);
    await waitFor('billing to learn of the suspension', () =>
      billingDb(async (c) => (await c.query(`SELECT 1 FROM organization_standing WHERE organization_id = $1 AND status = 'suspended'`, [零一万物.organizationId])).rows.length > 0),
    );
    expect((await post(`/v1/subscriptions/${suspended.subscriptionId}/cancel`, 零一万物)).status).toBe(403);

    await monthPasses(suspended.orderId, control.orderId);
    expect(await subscriptionRow(suspended.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'buyer_suspended' });
    expect(await chargesOf(suspended.orderId)).toBe(1);
    expect(await subscriptionRow(control.orderId)).toMatchObject({ status: 'active' });
    expect(await chargesOf(control.orderId)).toBe(2);
  });

  it('refuses a top-up whose reference hides an invisible character (400 naming `reference`), and files the visible one', async () => {
    const 面壁 = await signUpBuyer('面壁智能 / ModelBest');
    const filed = await post('/v1/wallet/top-ups', 面壁, { amount: { amount: 800_000, currency: 'CNY' }, reference: '招商银行 CMB-20261130-0042 货款' });
    expect(filed.status).toBe(201);
    const hidden = await post('/v1/wallet/top-ups', 面壁, { amount: { amount: 800_000, currency: 'CNY' }, reference: '招商银行 CMB-20261130-0042\u200b 货款' });
    expect(hidden.status).toBe(400);
    expect(await json(hidden)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'reference', problems: [expect.stringContaining('U+200B')] }] });
  });
});
