import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { exclusiveOffer, speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

interface Buyer {
  key: string;
  organizationId: string;
}

const FUNDS = 200_000_000;

/**
 * An exclusive offer whose listing is taken off sale (an operator's suspension, its vendor's
 * withdrawal, its vendor's suspension) between ordering's offer lookup (`catalog.offer.get`, which
 * said `available`) and its exclusive reservation (`catalog.exclusive.reserve`): the reservation
 * checks the listing again under its lock and refuses (409 OFFER_NOT_AVAILABLE), so no exclusive
 * sale is recorded and nothing is charged.
 *
 * The window is widened deterministically: a transaction in ordering's database holds a lock on
 * `exclusive_hold`, so the placement waits after the lookup, before the reservation, on the
 * hold ordering writes before it reserves (ExclusiveHolds.hold). RPC_TIMEOUT_MS is raised so the
 * wait does not end the request.
 */
describe('an exclusive reservation after the listing went off sale', () => {
  let system: TroveSystem;

  const as = (who: Buyer | VendorClient) => ({ as: { key: who.key } });
  const post = (path: string, who: Buyer | 'admin', body?: unknown) =>
    system.request(path, { method: 'POST', ...(who === 'admin' ? {} : as(who)), headers: { 'idempotency-key': randomUUID() }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ai-data@example.cn' }) }));
    const buyer = { key: answer.apiKey, organizationId: answer.organization.id };
    const topUp = await json(await post('/v1/wallet/top-ups', buyer, { amount: { amount: FUNDS, currency: 'CNY' }, reference: `招商银行 CMB-20261205-${randomUUID().slice(0, 6)}` }));
    expect((await post(`/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status).toBe(200);
    return buyer;
  };

  /** A published listing with an exclusive CN offer (and the helper's commercial one). */
  const publishExclusive = async (vendor: VendorClient, title: string) => {
    const { dataset } = await vendor.listing(speechListing({ title }));
    const offer = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', exclusiveOffer(24, ['CN']));
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    return { datasetId: dataset.id as string, offerId: offer.id as string };
  };

  /**
   * Orders `offerId` as `buyer` while ordering's exclusive_hold is locked; runs `meanwhile` once
   * the placement waits there (after the catalog answered the offer as available), then lets it go.
   */
  const orderStalledBeforeReservation = async (buyer: Buyer, offerId: string, meanwhile: () => Promise<void>) => {
    const orderingDb = system.databases.get('ordering')!.url;
    const locker = new Client({ connectionString: orderingDb });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE exclusive_hold IN EXCLUSIVE MODE');
      const placing = post('/v1/orders', buyer, { items: [{ offerId }], acceptLicense: true });
      await waitFor('the placement to wait on exclusive_hold (offer looked up, not yet reserved)', () =>
        withDatabase(orderingDb, async (c) =>
          Number(
            (
              await c.query(
                `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class r ON r.oid = l.relation WHERE r.relname = 'exclusive_hold' AND NOT l.granted`,
              )
            ).rows[0].n,
          ) > 0,
        ),
      );
      await meanwhile();
      await locker.query('COMMIT');
      const answer = await placing;
      return { status: answer.status, body: await json(answer) };
    } finally {
      await locker.end().catch(() => undefined);
    }
  };

  /**
   * What the race left: the answer, the live exclusive sales of the listing, and where the order
   * (if one was placed) ends: the buyer is charged and entitled to a listing taken off sale.
   */
  const outcome = async (buyer: Buyer, datasetId: string, placed: { status: number; body: { id?: string; code?: string } }) => {
    let orderStatus: string | null = null;
    if (placed.status === 201) {
      await waitFor('the order to settle', async () => ['fulfilled', 'cancelled'].includes((await json(await system.request(`/v1/orders/${placed.body.id}`, as(buyer)))).status), 60_000).catch(() => undefined);
      orderStatus = (await json(await system.request(`/v1/orders/${placed.body.id}`, as(buyer)))).status;
    }
    return { status: placed.status, code: placed.body.code ?? null, liveExclusiveSales: await liveSales(datasetId), orderStatus };
  };
  const refused = { status: 409, code: 'OFFER_NOT_AVAILABLE', liveExclusiveSales: 0, orderStatus: null };

  const liveSales = (datasetId: string) =>
    withDatabase(system.databases.get('catalog')!.url, async (c) => (await c.query(`SELECT order_id FROM exclusive_sale WHERE dataset_id = $1 AND status = 'live'`, [datasetId])).rowCount);

  beforeAll(async () => {
    system = await TroveSystem.start({ env: { LOG_LEVEL: 'warn', RPC_TIMEOUT_MS: '20000' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('refuses an exclusive order whose offer was withdrawn in the same window: the reservation checks the offer again', async () => {
    const vendor = await VendorClient.signUp(system, '标贝科技 DataBaker 独家');
    const listing = await publishExclusive(vendor, '儿童朗读语音 独家授权 100 小时');
    const buyer = await signUpBuyer('科大讯飞 iFLYTEK 数据采购 独家');

    const placed = await orderStalledBeforeReservation(buyer, listing.offerId, async () => {
      await vendor.expect(200, `/v1/datasets/${listing.datasetId}/offers/${listing.offerId}/withdraw`, 'POST');
    });

    expect(await outcome(buyer, listing.datasetId, placed)).toEqual(refused);
  });

  it('refuses an exclusive order whose listing an operator suspended before the sale was reserved, and records no sale', async () => {
    const vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean 独家');
    const listing = await publishExclusive(vendor, '车载普通话语音 独家授权 300 小时');
    const buyer = await signUpBuyer('蔚来汽车 NIO 数据采购');

    const placed = await orderStalledBeforeReservation(buyer, listing.offerId, async () => {
      const suspended = await post(`/v1/admin/datasets/${listing.datasetId}/suspend`, 'admin', { reason: '授权链存在争议 / licensing dispute' });
      expect(suspended.status).toBe(200);
      // Off sale now: its page is 404 to the buyer.
      expect((await system.request(`/v1/datasets/${listing.datasetId}`, as(buyer))).status).toBe(404);
    });

    // The catalog had already stopped selling the listing when it was asked to reserve the sale.
    expect(await outcome(buyer, listing.datasetId, placed)).toEqual(refused);
  });

  it('refuses an exclusive order whose listing its vendor withdrew before the sale was reserved, and records no sale', async () => {
    const vendor = await VendorClient.signUp(system, '爱数智慧 MagicData 独家');
    const listing = await publishExclusive(vendor, '四川话自由对话语音 独家授权 200 小时');
    const buyer = await signUpBuyer('理想汽车 Li Auto 数据采购');

    const placed = await orderStalledBeforeReservation(buyer, listing.offerId, async () => {
      // Consent withdrawn by the speakers: the vendor takes its listing off sale.
      await vendor.expect(200, `/v1/datasets/${listing.datasetId}/withdraw`, 'POST');
      expect((await system.request(`/v1/datasets/${listing.datasetId}`, as(buyer))).status).toBe(404);
    });

    expect(await outcome(buyer, listing.datasetId, placed)).toEqual(refused);
  });

  it('refuses an exclusive order whose vendor an operator suspended before the sale was reserved, and records no sale', async () => {
    const vendor = await VendorClient.signUp(system, '数据堂 Datatang 独家');
    const listing = await publishExclusive(vendor, '粤语客服对话语音 独家授权 500 小时');
    const buyer = await signUpBuyer('小鹏汽车 XPeng 数据采购');

    const placed = await orderStalledBeforeReservation(buyer, listing.offerId, async () => {
      expect((await post(`/v1/admin/organizations/${vendor.organizationId}/suspend`, 'admin')).status).toBe(200);
      // The catalog has recorded the vendor's suspension: the page is 404 and the offer is no longer sold.
      await waitFor('the catalog to hear of the vendor suspension', async () => (await system.request(`/v1/datasets/${listing.datasetId}`, as(buyer))).status === 404, 15_000);
    });

    expect(await outcome(buyer, listing.datasetId, placed)).toEqual(refused);
  });
});
