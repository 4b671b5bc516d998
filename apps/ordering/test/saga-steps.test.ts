import { CatalogSubjects, type OrderPaidV1, type PaymentCapturedV1, type RpcSubject } from '@trove/contracts';
import { licenseEndsAt, type PricingValue } from '@trove/licensing';
import type { EventContext, EventEnvelope } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { OrdersService, type Commit } from '../src/orders/orders.service';
import { PurchaseSaga } from '../src/saga/purchase-saga';
import { withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { OfferShelf, startOrdering, type OrderingUnderTest } from './ordering-harness';

jest.setTimeout(120_000);

const shelf = new OfferShelf();
const listed = (pricing: PricingValue, exclusive = false) => shelf.list(pricing, { exclusive, title: '气象数据 / weather data', versions: 2 });

// The catalog answers placements, and is down for everything else: no saga step may need it.
const rpc = {
  send: async <Req, Res>(subject: RpcSubject<Req, Res>, request: Req): Promise<Res> => {
    if (subject.subject === CatalogSubjects.getOffer.subject) return shelf.get((request as { offerId: string }).offerId) as Res;
    if (subject.subject === CatalogSubjects.reserveExclusive.subject) return {} as Res;
    throw new Error(`SERVICE_UNAVAILABLE: catalog did not answer ${subject.subject}`);
  },
};

/**
 * The saga's steps on ordering's own database, each event handled as the consumer would (in a
 * unit of work): what an order, its lines and its receipt look like once written and read back,
 * and what each answer from billing and delivery changes and publishes.
 */
describe('the purchase saga steps', () => {
  let ordering: OrderingUnderTest;
  let db: TestDatabase;
  let orders: OrdersService;
  let saga: PurchaseSaga;
  let commit: Commit;
  const buyer: Caller = { organizationId: randomUUID(), role: 'buyer', keyId: 'k'.repeat(32) };

  beforeAll(async () => {
    ordering = await startOrdering('steps', rpc);
    ({ db, commit } = ordering);
    orders = ordering.app.get(OrdersService);
    saga = ordering.app.get(PurchaseSaga);
  });

  afterAll(async () => {
    await ordering?.stop();
  });

  /** Runs a saga step as its consumer does: in a transaction, with the event's envelope. */
  function handle<P>(step: (payload: P, context: EventContext<P>) => Promise<void>, payload: P): Promise<void> {
    return ordering.unitOfWork.run((tx) => step.call(saga, payload, { tx, event: { id: randomUUID(), occurredAt: new Date().toISOString() } as EventEnvelope<P>, deliveryCount: 1 }));
  }

  const events = (orderId: string) => ordering.events(orderId);
  const row = (orderId: string) =>
    withDatabase(db.url, async (c) => (await c.query(`SELECT status, payment_id, entitlement_ids, awaiting_event_id, paid_at, fulfilled_at, closed_at, refund_reason, cancellation_reason FROM purchase_order WHERE id = $1`, [orderId])).rows[0]);

  it('reads an order back exactly as it was placed: lines in order, money, quantities, receipt', async () => {
    const metered = shelf.list({ model: 'metered', unit: 'hour', price: { amount: 18_000, currency: 'CNY' } }, { title: '气象数据 / weather data', versions: 2, defaultQuantity: 100 });
    const once = listed({ model: 'one_time', price: { amount: 9_007_199_254_000_000, currency: 'CNY' } });
    const open = listed({ model: 'free' });
    const placed = await orders.place(buyer, { items: [{ offerId: metered.id, quantity: 7 }, { offerId: once.id }, { offerId: open.id }], acceptLicense: true }, commit);

    expect(placed.total).toEqual({ amount: 126_000 + 9_007_199_254_000_000, currency: 'CNY' });
    expect(await ordering.unitOfWork.read(() => orders.get(buyer, placed.id))).toEqual(placed);
    const stored = await withDatabase(db.url, async (c) => (await c.query(`SELECT total_amount::text AS total FROM purchase_order WHERE id = $1`, [placed.id])).rows[0]);
    expect(stored.total).toBe('9007199254126000');
    const receipt = await ordering.unitOfWork.read(() => orders.receipt(buyer, placed.id));
    expect(receipt.lines.map((l) => [l.offerId, l.price.amount, l.quantity])).toEqual([
      [metered.id, 126_000, 7],
      [once.id, 9_007_199_254_000_000, undefined],
      [open.id, 0, undefined],
    ]);
  });

  it('pays, fulfils and refunds an order, publishing each step, and ignores answers that do not fit its state', async () => {
    const metered = listed({ model: 'metered', unit: 'gib', price: { amount: 500, currency: 'CNY' } });
    const once = listed({ model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } });
    const placed = await orders.place(buyer, { items: [{ offerId: once.id }, { offerId: metered.id, quantity: 40 }], acceptLicense: true }, commit);
    const paymentId = randomUUID();

    await handle(saga.captured, { orderId: placed.id, paymentId, amount: placed.total, capturedAt: new Date().toISOString() } as PaymentCapturedV1);
    const paid = await row(placed.id);
    expect(paid).toMatchObject({ status: 'paid', payment_id: paymentId, closed_at: null, fulfilled_at: null });
    const written = await events(placed.id);
    expect(written.map((e) => e.subject)).toEqual(['evt.ordering.order.placed.v1', 'evt.ordering.order.paid.v1']);
    const paidEvent = written[1].payload as OrderPaidV1;
    expect(paidEvent.paidAt).toBe((paid.paid_at as Date).toISOString());
    expect(paidEvent.lines.map((l) => [l.offerId, l.pricing, l.coversFutureVersions, l.versionIds])).toEqual([
      [once.id, { model: 'one_time' }, false, once.releasedVersionIds],
      [metered.id, { model: 'metered', unit: 'gib', quantity: 40 }, false, metered.releasedVersionIds],
    ]);
    expect(paid.awaiting_event_id).toBe(await withDatabase(db.url, async (c) => (await c.query(`SELECT id FROM outbox WHERE subject = 'evt.ordering.order.paid.v1' AND payload->>'orderId' = $1`, [placed.id])).rows[0].id));

    // A decline that comes after the capture changes nothing.
    await handle(saga.declined, { orderId: placed.id, reason: 'INSUFFICIENT_FUNDS' });
    expect(await row(placed.id)).toEqual(paid);

    const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
    await handle(saga.granted, { orderId: placed.id, entitlementIds: [first, second] });
    expect(await row(placed.id)).toMatchObject({ status: 'fulfilled', entitlement_ids: [first, second], awaiting_event_id: null, closed_at: null });
    // A second grant for the same order adds only the ids it did not have, in order.
    await handle(saga.granted, { orderId: placed.id, entitlementIds: [second, third] });
    expect(await row(placed.id)).toMatchObject({ status: 'fulfilled', entitlement_ids: [first, second, third] });

    const refunding = await orders.refund(placed.id, 'wrong dataset');
    expect(refunding).toMatchObject({ status: 'refund_pending', refundReason: 'wrong dataset', entitlementIds: [first, second, third], items: placed.items });
    await handle(saga.refunded, { orderId: placed.id, refundId: randomUUID() });
    const refunded = await row(placed.id);
    expect(refunded).toMatchObject({ status: 'refunded', awaiting_event_id: null, refund_reason: 'wrong dataset' });
    expect(refunded.closed_at).toBeInstanceOf(Date);
    expect((await events(placed.id)).map((e) => e.subject)).toEqual([
      'evt.ordering.order.placed.v1',
      'evt.ordering.order.paid.v1',
      'evt.ordering.order.refund-requested.v1',
      'evt.ordering.order.refunded.v1',
    ]);
  });

  /** A license with a term of `termMonths` on the shelf, a buyer of its own, and the steps that buy it and pay for it. */
  function termLicense(termMonths: number, amount: number) {
    const renewer: Caller = { organizationId: randomUUID(), role: 'buyer', keyId: randomUUID().replace(/-/g, '') };
    const offer = listed({ model: 'one_time', price: { amount, currency: 'CNY' } });
    offer.license = { ...offer.license, terms: { ...offer.license.terms, termMonths } };
    return {
      offer,
      place: (buyer: Caller = renewer) => orders.place(buyer, { items: [{ offerId: offer.id }], acceptLicense: true }, commit),
      capture: (orderId: string) => handle(saga.captured, { orderId, paymentId: randomUUID(), amount: { amount, currency: 'CNY' }, capturedAt: new Date().toISOString() } as PaymentCapturedV1),
    };
  }
  const paidLine = async (orderId: string) => ((await events(orderId)).find((e) => e.subject === 'evt.ordering.order.paid.v1')!.payload as OrderPaidV1).lines[0];

  it('renews a license with a term bought again: its term starts where the terms paid already end, and two payments at once take turns', async () => {
    const { place, capture } = termLicense(12, 1_200_000);
    const termStart = async (orderId: string) => (await paidLine(orderId)).termStartsAt;
    const [first, second, third] = [await place(), await place(), await place()];

    // The first runs from its payment, as ever.
    await capture(first.id);
    expect(await termStart(first.id)).toBeUndefined();
    const firstPaid = (await row(first.id)).paid_at as Date;
    const yearsOn = (years: number) => licenseEndsAt({ termMonths: 12 * years }, firstPaid)!.toISOString();

    // The next two, paid at once: one after the first's year, the other after that one's, each
    // ending whole years after the first began.
    await Promise.all([capture(second.id), capture(third.id)]);
    const starts = [await termStart(second.id), await termStart(third.id)].sort();
    expect(starts).toEqual([yearsOn(1), yearsOn(2)]);
    const ends = [(await paidLine(second.id)).termEndsAt, (await paidLine(third.id)).termEndsAt].sort();
    expect(ends).toEqual([yearsOn(2), yearsOn(3)]);
    const stored = await withDatabase(db.url, async (c) => (await c.query(`SELECT term_starts_at FROM order_line WHERE order_id = ANY($1::uuid[]) ORDER BY term_starts_at NULLS FIRST`, [[first.id, second.id, third.id]])).rows.map((r) => (r.term_starts_at as Date | null)?.toISOString() ?? null));
    expect(stored).toEqual([null, ...starts]);

    // Terms that have ended are not renewed: a license bought after them runs from its payment.
    const later: Caller = { organizationId: randomUUID(), role: 'buyer', keyId: 'l'.repeat(32) };
    const lapsed = await place(later);
    await capture(lapsed.id);
    await withDatabase(db.url, (c) => c.query(`UPDATE purchase_order SET paid_at = now() - interval '13 months' WHERE id = $1`, [lapsed.id]));
    const anew = await place(later);
    await capture(anew.id);
    expect(await termStart(anew.id)).toBeUndefined();
  });

  it('ends each renewal of a monthly license counted from where the run began, so a short month clamps no day off the next', async () => {
    const { place, capture } = termLicense(1, 300_000);
    const [first, second, third] = [await place(), await place(), await place()];
    await capture(first.id);
    // Its month began on a 31st (a year on, so that it still runs): it ends on the 28th of February.
    await withDatabase(db.url, (c) => c.query(`UPDATE purchase_order SET paid_at = '2027-01-31T02:00:00Z' WHERE id = $1`, [first.id]));
    await capture(second.id);
    await capture(third.id);
    expect([await paidLine(second.id), await paidLine(third.id)].map((l) => [l.termStartsAt, l.termEndsAt])).toEqual([
      ['2027-02-28T02:00:00.000Z', '2027-03-31T02:00:00.000Z'],
      ['2027-03-31T02:00:00.000Z', '2027-04-30T02:00:00.000Z'],
    ]);
  });

  it('cancels a declined order and gives its exclusive sale back through its events, the catalog down; an unknown order changes nothing', async () => {
    const sole = listed({ model: 'one_time', price: { amount: 50_000_000, currency: 'CNY' } }, true);
    const placed = await orders.place(buyer, { items: [{ offerId: sole.id }], acceptLicense: true }, commit);

    await handle(saga.declined, { orderId: placed.id, reason: 'INSUFFICIENT_FUNDS' });
    const cancelled = await row(placed.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancellation_reason: 'INSUFFICIENT_FUNDS', awaiting_event_id: null, paid_at: null });
    expect(cancelled.closed_at).toBeInstanceOf(Date);
    expect(await events(placed.id)).toEqual([
      expect.objectContaining({ subject: 'evt.ordering.order.placed.v1' }),
      { subject: 'evt.ordering.order.cancelled.v1', payload: { orderId: placed.id, reason: 'INSUFFICIENT_FUNDS' } },
      { subject: 'evt.ordering.order.exclusive-ended.v1', payload: { orderId: placed.id, reason: 'cancelled' } },
    ]);
    // Billing's capture arriving after the cancellation is ignored.
    await handle(saga.captured, { orderId: placed.id, paymentId: randomUUID(), amount: placed.total, capturedAt: new Date().toISOString() } as PaymentCapturedV1);
    expect(await row(placed.id)).toEqual(cancelled);

    const unknown = randomUUID();
    await handle(saga.captured, { orderId: unknown, paymentId: randomUUID(), amount: placed.total, capturedAt: new Date().toISOString() } as PaymentCapturedV1);
    await handle(saga.granted, { orderId: unknown, entitlementIds: [randomUUID()] });
    expect(await row(unknown)).toBeUndefined();
    expect(await events(unknown)).toEqual([]);
  });

  it('refunds an exclusive order and ends its subscription line while the catalog is down, each release written as an event', async () => {
    const sole = listed({ model: 'one_time', price: { amount: 98_000_000, currency: 'CNY' } }, true);
    const placed = await orders.place(buyer, { items: [{ offerId: sole.id }], acceptLicense: true }, commit);
    await handle(saga.captured, { orderId: placed.id, paymentId: randomUUID(), amount: placed.total, capturedAt: new Date().toISOString() } as PaymentCapturedV1);
    await orders.refund(placed.id, '授权地域与合同不符 / territory not as contracted');
    await handle(saga.refunded, { orderId: placed.id, refundId: randomUUID() });
    expect(await row(placed.id)).toMatchObject({ status: 'refunded', awaiting_event_id: null });
    expect((await events(placed.id)).slice(-2)).toEqual([
      { subject: 'evt.ordering.order.refunded.v1', payload: { orderId: placed.id } },
      { subject: 'evt.ordering.order.exclusive-ended.v1', payload: { orderId: placed.id, reason: 'refunded' } },
    ]);

    // A lapsed exclusive subscription keeps its order fulfilled and gives the sale back; a lapse
    // of a line that is not exclusive writes nothing.
    const monthly = listed({ model: 'subscription', period: 'month', price: { amount: 3_000_000, currency: 'CNY' } }, true);
    const shared = listed({ model: 'subscription', period: 'month', price: { amount: 800_000, currency: 'CNY' } });
    const subscribed = await orders.place(buyer, { items: [{ offerId: monthly.id }, { offerId: shared.id }], acceptLicense: true }, commit);
    await handle(saga.captured, { orderId: subscribed.id, paymentId: randomUUID(), amount: subscribed.total, capturedAt: new Date().toISOString() } as PaymentCapturedV1);
    await handle(saga.granted, { orderId: subscribed.id, entitlementIds: [randomUUID(), randomUUID()] });
    const before = (await events(subscribed.id)).length;
    await handle(saga.lapsed, { orderId: subscribed.id, lineId: subscribed.items[1].lineId });
    expect(await events(subscribed.id)).toHaveLength(before);
    await handle(saga.lapsed, { orderId: subscribed.id, lineId: subscribed.items[0].lineId });
    expect(await row(subscribed.id)).toMatchObject({ status: 'fulfilled' });
    expect((await events(subscribed.id)).slice(before)).toEqual([{ subject: 'evt.ordering.order.exclusive-ended.v1', payload: { orderId: subscribed.id, reason: 'lapsed' } }]);
  });

  it("lists one buying organization's orders for an operator who asks, and a buyer only its own whatever it names", async () => {
    const once = listed({ model: 'one_time', price: { amount: 2_400_000, currency: 'CNY' } });
    const [百川, 零一] = [{ ...buyer, organizationId: randomUUID() }, { ...buyer, organizationId: randomUUID() }];
    const mine = await orders.place(百川, { items: [{ offerId: once.id }], acceptLicense: true }, commit);
    const theirs = await orders.place(零一, { items: [{ offerId: once.id }], acceptLicense: true }, commit);
    const admin: Caller = { organizationId: randomUUID(), role: 'admin', keyId: 'a'.repeat(32) };
    const ids = async (caller: Caller, request: Record<string, unknown>) => (await ordering.unitOfWork.read(() => orders.list(caller, request))).items.map((o) => o.id);

    expect(await ids(admin, { buyer: 百川.organizationId })).toEqual([mine.id]);
    expect(await ids(admin, { buyer: 零一.organizationId })).toEqual([theirs.id]);
    expect(await ids(admin, {})).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    expect(await ids(百川, { buyer: 零一.organizationId })).toEqual([mine.id]);
  });
});
