import type { OrderPaidV1, OrderPlacedV1 } from '@trove/contracts';
import type { PricingValue } from '@trove/licensing';
import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { OrdersService, type Commit } from '../src/orders/orders.service';
import { withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { OfferShelf, startOrdering, type OrderingUnderTest } from './ordering-harness';

jest.setTimeout(120_000);

const shelf = new OfferShelf();
const listed = (pricing: PricingValue, template = 'commercial') => shelf.list(pricing, { template });

const catalog = shelf.catalog();

/**
 * Ordering on its own database with the catalog answered in-process: what a free, a metered and
 * a mixed order write and publish.
 */
describe('ordering free and metered offers', () => {
  let ordering: OrderingUnderTest;
  let db: TestDatabase;
  let orders: OrdersService;
  let commit: Commit;
  const buyer: Caller = { organizationId: randomUUID(), role: 'buyer', keyId: 'k'.repeat(32) };

  beforeAll(async () => {
    ordering = await startOrdering('pricing', catalog);
    ({ db, commit } = ordering);
    orders = ordering.app.get(OrdersService);
  });

  afterAll(async () => {
    await ordering?.stop();
  });

  const events = (orderId: string) => ordering.events(orderId);

  it('pays an order of free offers as it is placed and sends it to delivery, not to billing', async () => {
    const open = listed({ model: 'free' }, 'cc-by-4.0');
    const order = await orders.place(buyer, { items: [{ offerId: open.id }], acceptLicense: true }, commit);

    expect(order).toMatchObject({ status: 'paid', total: { amount: 0, currency: 'CNY' }, paymentId: null, items: [{ price: { amount: 0, currency: 'CNY' } }] });
    const written = await events(order.id);
    expect(written.map((e) => e.subject)).toEqual(['evt.ordering.order.paid.v1']);
    expect((written[0].payload as OrderPaidV1).lines).toEqual([expect.objectContaining({ offerId: open.id, licenseTemplate: 'cc-by-4.0', pricing: { model: 'free' } })]);
    expect((await ordering.unitOfWork.read(() => orders.receipt(buyer, order.id))).lines).toEqual([expect.objectContaining({ offerId: open.id, price: { amount: 0, currency: 'CNY' } })]);

    // A refund has nothing to give back: refunded at once, and delivery is told to revoke.
    const refunded = await orders.refund(order.id, '许可证误标 / license mislabelled');
    expect(refunded.status).toBe('refunded');
    expect((await events(order.id)).map((e) => e.subject)).toEqual(['evt.ordering.order.paid.v1', 'evt.ordering.order.refunded.v1']);
  });

  it('charges a mixed order for its priced lines only: the metered line at unit price x quantity, the free line left out of order.placed', async () => {
    const perHour = shelf.list({ model: 'metered', price: { amount: 18_000, currency: 'CNY' }, unit: 'hour' }, { defaultQuantity: 1000 });
    const once = listed({ model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } });
    const open = listed({ model: 'free' }, 'cdla-permissive-2.0');
    const order = await orders.place(buyer, { items: [{ offerId: perHour.id, quantity: 200 }, { offerId: open.id }, { offerId: once.id }], acceptLicense: true }, commit);

    expect(order).toMatchObject({ status: 'pending_payment', total: { amount: 3_600_000 + 12_800_000, currency: 'CNY' } });
    expect(order.items.map((i) => [i.price.amount, i.quantity])).toEqual([
      [3_600_000, 200],
      [0, undefined],
      [12_800_000, undefined],
    ]);
    const written = await events(order.id);
    expect(written.map((e) => e.subject)).toEqual(['evt.ordering.order.placed.v1']);
    const placed = written[0].payload as OrderPlacedV1;
    expect(placed.total).toEqual({ amount: 16_400_000, currency: 'CNY' });
    expect(placed.lines.map((l) => [l.offerId, l.price.amount, l.pricing])).toEqual([
      [perHour.id, 3_600_000, { model: 'metered', unit: 'hour', quantity: 200, of: 1000 }],
      [once.id, 12_800_000, { model: 'one_time' }],
    ]);
    const rows = await withDatabase(db.url, async (c) => (await c.query(`SELECT offer_id, quantity FROM order_line WHERE order_id = $1 ORDER BY position`, [order.id])).rows);
    expect(rows).toEqual([
      { offer_id: perHour.id, quantity: 200 },
      { offer_id: open.id, quantity: null },
      { offer_id: once.id, quantity: null },
    ]);
  });

  it('keeps the whole a metered line is part of, and says it in the saga: 200 of 1,000 hours, and nothing for the whole or per GiB', async () => {
    const perHour = shelf.list({ model: 'metered', price: { amount: 18_000, currency: 'CNY' }, unit: 'hour' }, { defaultQuantity: 1000 });
    const perGib = shelf.list({ model: 'metered', price: { amount: 50_000, currency: 'CNY' }, unit: 'gib' }, { defaultQuantity: 80 });
    const part = await orders.place(buyer, { items: [{ offerId: perHour.id, quantity: 200 }, { offerId: perGib.id, quantity: 10 }], acceptLicense: true }, commit);
    const whole = await orders.place(buyer, { items: [{ offerId: perHour.id }], acceptLicense: true }, commit);
    const pricingOf = async (orderId: string) => ((await events(orderId))[0].payload as OrderPlacedV1).lines.map((l) => l.pricing);
    expect(await pricingOf(part.id)).toEqual([
      { model: 'metered', unit: 'hour', quantity: 200, of: 1000 },
      { model: 'metered', unit: 'gib', quantity: 10 },
    ]);
    expect(await pricingOf(whole.id)).toEqual([{ model: 'metered', unit: 'hour', quantity: 1000 }]);
    const rows = await withDatabase(db.url, async (c) => (await c.query(`SELECT quantity, whole_quantity FROM order_line WHERE order_id = ANY($1) ORDER BY order_id = $2 DESC, position`, [[part.id, whole.id], part.id])).rows);
    expect(rows).toEqual([
      { quantity: 200, whole_quantity: '1000' },
      { quantity: 10, whole_quantity: null },
      { quantity: 1000, whole_quantity: '1000' },
    ]);
  });

  it('refuses a metered offer with no whole to measure a share of, before writing anything: one image of a speech corpus was every file for 5 fen', async () => {
    const perImage = listed({ model: 'metered', price: { amount: 5, currency: 'CNY' }, unit: 'image' });
    const count = () => withDatabase(db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM purchase_order`)).rows[0].n);
    const before = await count();
    for (const item of [{ offerId: perImage.id, quantity: 1 }, { offerId: perImage.id }]) {
      await expect(orders.place(buyer, { items: [item], acceptLicense: true }, commit)).rejects.toMatchObject({ code: 'OFFER_NOT_ORDERABLE', message: expect.stringContaining('declares no volume in that unit') });
    }
    expect(await count()).toBe(before);
  });

  it('refuses a bad quantity before writing anything, and the database refuses a quantity on a line that is not metered', async () => {
    const perHour = shelf.list({ model: 'metered', price: { amount: 18_000, currency: 'CNY' }, unit: 'hour' }, { defaultQuantity: 1000 });
    const before = await withDatabase(db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM purchase_order`)).rows[0].n);
    await expect(orders.place(buyer, { items: [{ offerId: perHour.id, quantity: 0 }], acceptLicense: true }, commit)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'items.0.quantity' }],
    });
    expect(await withDatabase(db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM purchase_order`)).rows[0].n)).toBe(before);

    // Two lines each within range whose sum is not: the refusal names the field, like any other.
    const [large, larger] = [listed({ model: 'one_time', price: { amount: 2 ** 52, currency: 'CNY' } }), listed({ model: 'one_time', price: { amount: 2 ** 52 + 2, currency: 'CNY' } })];
    await expect(orders.place(buyer, { items: [{ offerId: large.id }, { offerId: larger.id }], acceptLicense: true }, commit)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'items', problems: [expect.stringContaining('the order total is beyond the largest amount Trove handles')] }],
    });
    expect(await withDatabase(db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM purchase_order`)).rows[0].n)).toBe(before);

    const order = await orders.place(buyer, { items: [{ offerId: perHour.id, quantity: 3 }], acceptLicense: true }, commit);
    await expect(
      withDatabase(db.url, (c) => c.query(`UPDATE order_line SET pricing = '{"model": "one_time"}' WHERE order_id = $1`, [order.id])),
    ).rejects.toMatchObject({ constraint: 'order_line_quantity_check' });
  });
});
