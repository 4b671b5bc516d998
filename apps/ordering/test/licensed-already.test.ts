import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { OrdersService, type Commit } from '../src/orders/orders.service';
import { withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { OfferShelf, startOrdering, type OrderingUnderTest } from './ordering-harness';

jest.setTimeout(120_000);

const shelf = new OfferShelf();
const catalog = shelf.catalog();

const newBuyer = (): Caller => ({ organizationId: randomUUID(), role: 'buyer', keyId: randomUUID().replace(/-/g, '') });
const perpetual = () => shelf.list({ model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } }, { title: '普通话手机采集朗读语音 1,000 小时' });

/**
 * A buyer who holds an offer's perpetual license already is not charged for it again: ordering
 * on its own database, the catalog answered in-process.
 */
describe('ordering an offer whose license the buyer holds already', () => {
  let ordering: OrderingUnderTest;
  let db: TestDatabase;
  let orders: OrdersService;
  let commit: Commit;

  beforeAll(async () => {
    ordering = await startOrdering('licensed', catalog);
    ({ db, commit } = ordering);
    orders = ordering.app.get(OrdersService);
  });

  afterAll(async () => {
    await ordering?.stop();
  });

  const place = (buyer: Caller, offerId: string) => orders.place(buyer, { items: [{ offerId }], acceptLicense: true }, commit);
  const ordersOf = (buyer: Caller) =>
    withDatabase(db.url, async (c) => (await c.query(`SELECT status FROM purchase_order WHERE buyer_organization_id = $1 ORDER BY placed_at`, [buyer.organizationId])).rows.map((r: { status: string }) => r.status));
  const setStatus = (orderId: string, status: string) => withDatabase(db.url, (c) => c.query(`UPDATE purchase_order SET status = $2, closed_at = now() WHERE id = $1`, [orderId, status]));

  it.each([['pending_payment'], ['paid'], ['fulfilled']])('refuses a second order with 409 ALREADY_LICENSED naming the first, while it is %s, and writes nothing', async (status) => {
    const buyer = newBuyer();
    const offer = perpetual();
    const first = await place(buyer, offer.id);
    if (status !== 'pending_payment') await withDatabase(db.url, (c) => c.query(`UPDATE purchase_order SET status = $2 WHERE id = $1`, [first.id, status]));

    const again = place(buyer, offer.id);
    await expect(again).rejects.toMatchObject({ code: 'ALREADY_LICENSED', status: 409 });
    await expect(again).rejects.toThrow(first.id);
    expect(await ordersOf(buyer)).toEqual([status]);
    // Among other items too: the whole order is refused.
    const other = perpetual();
    await expect(orders.place(buyer, { items: [{ offerId: other.id }, { offerId: offer.id }], acceptLicense: true }, commit)).rejects.toMatchObject({ code: 'ALREADY_LICENSED' });
    expect(await ordersOf(buyer)).toEqual([status]);
  });

  it('tells a buyer that holds the offer so, naming its order, when the catalog answers the offer sold out: exclusivity is checked after what the buyer holds', async () => {
    const buyer = newBuyer();
    const offer = perpetual();
    const first = await place(buyer, offer.id);
    await withDatabase(db.url, (c) => c.query(`UPDATE purchase_order SET status = 'fulfilled', paid_at = now() WHERE id = $1`, [first.id]));
    // An exclusive sale made since covers the offer's territory (the catalog marks an exclusive offer so to its own holder, too).
    offer.exclusiveSoldOut = { until: null };

    const again = place(buyer, offer.id);
    await expect(again).rejects.toMatchObject({ code: 'ALREADY_LICENSED', status: 409 });
    await expect(again).rejects.toThrow(first.id);
    // Another buyer is told the offer is sold.
    await expect(place(newBuyer(), offer.id)).rejects.toMatchObject({ code: 'EXCLUSIVITY_CONFLICT', status: 409 });
    expect(await ordersOf(buyer)).toEqual(['fulfilled']);
  });

  it('lets exactly one of three placements sent at once through', async () => {
    const buyer = newBuyer();
    const offer = perpetual();
    const outcomes = await Promise.allSettled([place(buyer, offer.id), place(buyer, offer.id), place(buyer, offer.id)]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'placed' : (o.reason as { code: string }).code)).sort()).toEqual(['ALREADY_LICENSED', 'ALREADY_LICENSED', 'placed']);
    expect(await ordersOf(buyer)).toEqual(['pending_payment']);
  });

  it('places two orders of the same two offers listed in opposite orders, sent at once, without a deadlock: one is placed, the other refused', async () => {
    const buyer = newBuyer();
    const [a, b] = [perpetual(), perpetual()];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => orders.place(buyer, { items: i % 2 ? [{ offerId: a.id }, { offerId: b.id }] : [{ offerId: b.id }, { offerId: a.id }], acceptLicense: true }, commit)),
    );
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'placed' : (o.reason as { code: string }).code)).sort()).toEqual([...Array(5).fill('ALREADY_LICENSED'), 'placed']);
  });

  it.each([['cancelled'], ['refunded']])('takes the order again once the first is %s', async (status) => {
    const buyer = newBuyer();
    const offer = perpetual();
    const first = await place(buyer, offer.id);
    await setStatus(first.id, status);
    await expect(place(buyer, offer.id)).resolves.toMatchObject({ status: 'pending_payment' });
  });

  it('takes the order again once a version was released since: the new order brings it', async () => {
    const buyer = newBuyer();
    const offer = perpetual();
    await place(buyer, offer.id);
    offer.releasedVersionIds = [...offer.releasedVersionIds, randomUUID()];
    const second = await place(buyer, offer.id);
    expect(second.status).toBe('pending_payment');
    // And that order covers both: a third is refused again.
    await expect(place(buyer, offer.id)).rejects.toMatchObject({ code: 'ALREADY_LICENSED' });
  });

  it('takes a license with a term again while its term runs: a renewal (its term runs on from the first, saga-steps.test.ts)', async () => {
    const buyer = newBuyer();
    const yearly = perpetual();
    yearly.license = { ...yearly.license, terms: { ...yearly.license.terms, termMonths: 12 } };
    const first = await place(buyer, yearly.id);
    await withDatabase(db.url, (c) => c.query(`UPDATE purchase_order SET status = 'fulfilled', paid_at = now() WHERE id = $1`, [first.id]));
    await expect(place(buyer, yearly.id)).resolves.toMatchObject({ status: 'pending_payment' });
    expect(await ordersOf(buyer)).toEqual(['fulfilled', 'pending_payment']);
  });

  it('refuses a second subscription to an offer while the first has not lapsed, and takes one again once it has', async () => {
    const buyer = newBuyer();
    const monthly = shelf.list({ model: 'subscription', price: { amount: 2_000_000, currency: 'CNY' }, period: 'month' });
    const first = await place(buyer, monthly.id);
    await withDatabase(db.url, (c) => c.query(`UPDATE purchase_order SET status = 'fulfilled', paid_at = now() WHERE id = $1`, [first.id]));
    const again = place(buyer, monthly.id);
    await expect(again).rejects.toMatchObject({ code: 'ALREADY_LICENSED', status: 409 });
    await expect(again).rejects.toThrow(/live subscription .*resume/);
    // A version released since changes nothing: the subscription brings the new versions as they come.
    monthly.releasedVersionIds = [...monthly.releasedVersionIds, randomUUID()];
    await expect(place(buyer, monthly.id)).rejects.toMatchObject({ code: 'ALREADY_LICENSED' });
    expect(await ordersOf(buyer)).toEqual(['fulfilled']);

    await withDatabase(db.url, (c) => c.query(`UPDATE order_line SET subscription_lapsed_at = now() WHERE order_id = $1`, [first.id]));
    await expect(place(buyer, monthly.id)).resolves.toMatchObject({ status: 'pending_payment' });
  });

  it('takes orders again of a metered or a free offer, and of the same offer by another buyer', async () => {
    const buyer = newBuyer();
    const perHour = shelf.list({ model: 'metered', price: { amount: 18_000, currency: 'CNY' }, unit: 'hour' }, { defaultQuantity: 500 });
    const open = shelf.list({ model: 'free' }, { template: 'cc-by-4.0' });
    await place(buyer, open.id);
    await expect(place(buyer, open.id)).resolves.toHaveProperty('id');
    for (let i = 0; i < 2; i++) await orders.place(buyer, { items: [{ offerId: perHour.id, quantity: 10 }], acceptLicense: true }, commit);

    const offer = perpetual();
    await place(buyer, offer.id);
    await expect(place(newBuyer(), offer.id)).resolves.toMatchObject({ status: 'pending_payment' });
    const monthly = shelf.list({ model: 'subscription', price: { amount: 2_000_000, currency: 'CNY' }, period: 'month' });
    await place(buyer, monthly.id);
    await expect(place(newBuyer(), monthly.id)).resolves.toMatchObject({ status: 'pending_payment' });
  });
});
