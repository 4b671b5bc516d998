import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { speechListing, type VendorClient } from './catalog';
import { withDatabase } from './postgres';
import { waitFor } from './processes';
import { apiPost, type Buyer } from './delivery-flow';
import { json, type TroveSystem } from './system';

export type { Buyer };

/**
 * What the subscription tests do through the public API with every app running: buyers with a
 * funded wallet, listings sold by the month, subscribing, and a month passing (the one thing the
 * API cannot do: the paid period's end moved into the past in billing's database, then billing's
 * renewal sweep waited for). `system()` and `vendor()` are read when a helper runs, so a test
 * file can start them in its `beforeAll`.
 */
export function subscriptionWorld(system: () => TroveSystem, vendor: () => VendorClient, { monthly, funds }: { monthly: number; funds: number }) {
  const as = (who: Buyer) => ({ as: { key: who.key } });
  const get = async (path: string, who: Buyer | 'admin') => {
    const response = await system().request(path, who === 'admin' ? {} : as(who));
    return { status: response.status, body: await json(response) };
  };
  const post = (path: string, who: Buyer | 'admin', body?: unknown) => apiPost(system(), path, who === 'admin' ? 'admin' : who.key, body);
  const billingDb = <T>(work: (client: Client) => Promise<T>) => withDatabase(system().databases.get('billing')!.url, work);

  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system().request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ai-data@example.cn' }) }));
    const buyer = { key: answer.apiKey, organizationId: answer.organization.id };
    const topUp = await json(await post('/v1/wallet/top-ups', buyer, { amount: { amount: funds, currency: 'CNY' }, reference: `招商银行 CMB-20261130-${randomUUID().slice(0, 4)}` }));
    expect((await post(`/v1/admin/top-ups/${topUp.id}/confirm`, 'admin')).status).toBe(200);
    return buyer;
  };
  /** A published listing of `by` (the vendor unless told) with a monthly subscription offer. */
  const listing = async (title: string, by: VendorClient = vendor()) => {
    const { dataset } = await by.listing(speechListing({ title }), undefined);
    const offer = await by.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', {
      license: { template: 'research' },
      pricing: { model: 'subscription', price: { amount: monthly, currency: 'CNY' }, period: 'month' },
    });
    await by.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${dataset.id}/approve`, 'admin')).status).toBe(200);
    return { datasetId: dataset.id as string, offerId: offer.id as string };
  };
  const entitlementOf = async (buyer: Buyer, orderId: string) => (await get('/v1/entitlements', buyer)).body.items.find((e: { orderId: string }) => e.orderId === orderId).id as string;
  const entitlementStatus = async (buyer: Buyer, id: string) => (await get('/v1/entitlements', buyer)).body.items.find((e: { id: string }) => e.id === id).status as string;
  /** Orders the offer and waits until the order is fulfilled: its entitlement and its subscription. */
  const subscribe = async (buyer: Buyer, offerId: string) => {
    const placed = await post('/v1/orders', buyer, { items: [{ offerId }], acceptLicense: true });
    expect(placed.status).toBe(201);
    const order = await json(placed);
    await waitFor(`order ${order.id} fulfilled`, async () => (await get(`/v1/orders/${order.id}`, buyer)).body.status === 'fulfilled', 60_000);
    const subscription = (await get('/v1/subscriptions', buyer)).body.items.find((s: { orderId: string }) => s.orderId === order.id);
    return { orderId: order.id as string, entitlementId: await entitlementOf(buyer, order.id), subscriptionId: subscription.id as string };
  };
  const wallet = async (buyer: Buyer) => (await get('/v1/wallet', buyer)).body.balance.amount as number;
  const invoiced = async (buyer: Buyer) => ((await get('/v1/invoices', buyer)).body.items as { orderId: string; gross: { amount: number } }[]).map((i) => [i.orderId, i.gross.amount]);
  /** The paid month of each order is over, for all of them at once: the sweep renews each subscription, or lets it lapse. */
  const monthPasses = async (...orderIds: string[]) => {
    await billingDb((c) => c.query(`UPDATE subscription SET period_end = now() - interval '1 second' WHERE order_id = ANY($1::uuid[])`, [orderIds]));
    await waitFor(`billing's sweep to renew or end orders ${orderIds.join(', ')}`, () =>
      billingDb(
        async (c) =>
          (await c.query(`SELECT 1 FROM subscription WHERE order_id = ANY($1::uuid[]) AND (status <> 'active' OR period_end > now())`, [orderIds])).rows.length === orderIds.length,
      ),
    );
  };
  return { as, get, post, billingDb, signUpBuyer, listing, subscribe, entitlementOf, entitlementStatus, wallet, invoiced, monthPasses };
}
