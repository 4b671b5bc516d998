import { randomUUID } from 'node:crypto';
import { commercialOffer, exclusiveOffer, speechListing, VendorClient, yearlyOffer } from '../support/catalog';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

interface Buyer {
  key: string;
  organizationId: string;
}

const FUNDS = 500_000_000;

/**
 * What a buyer is told when live exclusive sales of a listing stand in the way of its order,
 * every app a process, through the public API: a buyer who holds the offer already is told so
 * (409 ALREADY_LICENSED naming its order), a buyer without the vendor's approval is told that
 * (403), and a refusal for exclusivity names the territories actually sold, not the ordered
 * offer's own.
 */
describe('refusals under live exclusive sales', () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  let datasetId: string;
  /** Perpetual exclusive license for mainland China. */
  let mainland: string;
  /** Exclusive license for Hong Kong, 24 months. */
  let hongKong: string;
  /** A non-exclusive perpetual license for the whole world. */
  let worldwide: string;
  /** A non-exclusive yearly license for mainland China that needs the vendor's approval. */
  let gated: string;
  let holder: Buyer;
  let mainlandOrder: string;
  let hongKongEnds: string;

  const as = (who: Buyer) => ({ as: { key: who.key } });
  const post = (path: string, who: Buyer | 'admin', body?: unknown) =>
    system.request(path, { method: 'POST', ...(who === 'admin' ? {} : as(who)), headers: { 'idempotency-key': randomUUID() }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const order = (buyer: Buyer, offerId: string) => post('/v1/orders', buyer, { items: [{ offerId }], acceptLicense: true });
  const problem = async (response: Response) => ({ ...(await json(response)), status: response.status }) as { status: number; code: string; detail: string };
  const wallet = async (buyer: Buyer) => (await json(await system.request('/v1/wallet', as(buyer)))).balance.amount as number;
  const orderCount = async (buyer: Buyer) => ((await json(await system.request('/v1/orders', as(buyer)))).items as unknown[]).length;

  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ai-data@example.cn' }) }));
    const buyer = { key: answer.apiKey, organizationId: answer.organization.id };
    const topUp = await json(await post('/v1/wallet/top-ups', buyer, { amount: { amount: FUNDS, currency: 'CNY' }, reference: `招商银行 CMB-20261206-${randomUUID().slice(0, 6)}` }));
    expect((await post(`/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status).toBe(200);
    return buyer;
  };

  const fulfilled = async (buyer: Buyer, orderId: string) => {
    const until = Date.now() + 60_000;
    for (;;) {
      const placed = await json(await system.request(`/v1/orders/${orderId}`, as(buyer)));
      if (placed.status === 'fulfilled') return placed;
      if (['cancelled', 'refunded'].includes(placed.status) || Date.now() > until) throw new Error(`order ${orderId} is ${placed.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const buy = async (buyer: Buyer, offerId: string): Promise<string> => {
    const placed = await order(buyer, offerId);
    const body = await json(placed);
    if (placed.status !== 201) throw new Error(`order of ${offerId}: ${placed.status} ${JSON.stringify(body)}`);
    await fulfilled(buyer, body.id);
    return body.id;
  };

  beforeAll(async () => {
    system = await TroveSystem.start({ env: { LOG_LEVEL: 'warn' } });
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean 独家');
    const { dataset } = await vendor.listing(speechListing({ title: '粤语与普通话车载语音 2,000 小时（独家）' }));
    datasetId = dataset.id;
    const path = `/v1/datasets/${datasetId}/offers`;
    const perpetualExclusive = exclusiveOffer(24, ['CN'], 90_000_000);
    (perpetualExclusive.license as { terms: { termMonths: number | null } }).terms.termMonths = null;
    mainland = (await vendor.expect(201, path, 'POST', perpetualExclusive)).id;
    hongKong = (await vendor.expect(201, path, 'POST', exclusiveOffer(24, ['HK'], 30_000_000))).id;
    const worldTerms = { uses: ['model_training', 'fine_tuning', 'evaluation'], termMonths: null, territories: ['WORLDWIDE'], seats: null, exclusive: false };
    worldwide = (await vendor.expect(201, path, 'POST', commercialOffer(5_000_000, { license: { template: 'commercial', terms: worldTerms } }))).id;
    gated = (await vendor.expect(201, path, 'POST', yearlyOffer(2_000_000, { requiresApproval: true }))).id;
    await vendor.expect(200, `/v1/datasets/${datasetId}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${datasetId}/approve`, 'admin')).status).toBe(200);

    holder = await signUpBuyer('蔚来汽车 NIO 语音团队');
    mainlandOrder = await buy(holder, mainland);
    const hongKongHolder = await signUpBuyer('香港科技园 HKSTP AI Lab');
    const hongKongOrder = await fulfilled(hongKongHolder, await buy(hongKongHolder, hongKong));
    const entitlements = (await json(await system.request('/v1/entitlements', as(hongKongHolder)))).items as { orderId: string; expiresAt: string }[];
    hongKongEnds = entitlements.find((e) => e.orderId === hongKongOrder.id)!.expiresAt;
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('tells the holder of a perpetual exclusive license who orders it again that it holds it (409 ALREADY_LICENSED naming its order), not that it is sold, and charges nothing', async () => {
    const before = await wallet(holder);
    const again = await problem(await order(holder, mainland));
    expect({ status: again.status, code: again.code }).toEqual({ status: 409, code: 'ALREADY_LICENSED' });
    expect(again.detail).toContain(mainlandOrder);
    expect(await wallet(holder)).toBe(before);
    expect(await orderCount(holder)).toBe(1);
  });

  it('asks a buyer without the approval an offer needs for it (403) before telling it an exclusive sale blocks the offer', async () => {
    const rival = await signUpBuyer('比亚迪 BYD 智能座舱');
    const refused = await problem(await order(rival, gated));
    expect({ status: refused.status, code: refused.code }).toEqual({ status: 403, code: 'ACCESS_NOT_APPROVED' });
    expect(await orderCount(rival)).toBe(0);
  });

  it('names the territories actually sold when an exclusive sale blocks an offer: a worldwide license meets the sales for CN and HK', async () => {
    const rival = await signUpBuyer('理想汽车 Li Auto 数据采购');
    const refused = await problem(await order(rival, worldwide));
    expect({ status: refused.status, code: refused.code }).toEqual({ status: 409, code: 'EXCLUSIVITY_CONFLICT' });
    expect(refused.detail).toBe(
      `Offer ${worldwide} cannot be bought now: an exclusive license for CN, which this offer's territory (WORLDWIDE) includes, is sold, with no end; ` +
        `and an exclusive license for HK, which this offer's territory (WORLDWIDE) includes, is sold, until ${hongKongEnds}.`,
    );
    expect(await wallet(rival)).toBe(FUNDS);
    expect(await orderCount(rival)).toBe(0);
  });

  it('tells a rival ordering the exclusive offer itself that it is sold for its own territory, with no end', async () => {
    const rival = await signUpBuyer('小鹏汽车 XPeng 数据采购');
    const refused = await problem(await order(rival, mainland));
    expect({ status: refused.status, code: refused.code, detail: refused.detail }).toEqual({
      status: 409,
      code: 'EXCLUSIVITY_CONFLICT',
      detail: `Offer ${mainland} cannot be bought now: an exclusive license for this offer's territory (CN) is sold, with no end.`,
    });
  });
});
