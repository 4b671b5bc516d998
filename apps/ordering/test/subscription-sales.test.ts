import { BillingEvents, type EventSubject, type PaymentCapturedV1, type SaleView } from '@trove/contracts';
import { addMonthsUtc, type PricingValue } from '@trove/licensing';
import { encodeJson, EventConsumers, Namespace, type EventEnvelope } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { OrdersService } from '../src/orders/orders.service';
import { connectNats } from '../../../test/support/nats';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { OfferShelf, startOrdering, type OrderingUnderTest } from './ordering-harness';

jest.setTimeout(120_000);

const shelf = new OfferShelf();
const RENEWED = BillingEvents.subscriptionRenewed.subject;
const CAPTURED = BillingEvents.paymentCaptured.subject;

/**
 * A vendor's subscription sales (`GET /v1/sales`) after the first period: billing's renewals and
 * lapses, published on the stream as billing's relay publishes them (numbered in the order's
 * history), reach the sale through ordering's consumers: how many periods were paid, until
 * when, what they came to, and whether the subscription still runs.
 */
describe("a vendor's subscription sales follow billing's renewals and lapses", () => {
  let ordering: OrderingUnderTest;
  let orders: OrdersService;
  let nc: NatsConnection;
  const 数据堂: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: 'v'.repeat(32) };
  const 标贝: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: 'w'.repeat(32) };
  const 智谱: Caller = { organizationId: randomUUID(), role: 'buyer', keyId: 'b'.repeat(32) };

  beforeAll(async () => {
    ordering = await startOrdering('subscription_sales', shelf.catalog());
    orders = ordering.app.get(OrdersService);
    nc = await connectNats();
  });

  afterAll(async () => {
    await nc?.close();
    await ordering?.stop();
  });

  /** A subscription offer of 数据堂's whose license runs `termMonths` (null: no end). */
  const subscription = (title: string, pricing: PricingValue, termMonths: number | null) => {
    const offer = shelf.list(pricing, { title, vendorOrganizationId: 数据堂.organizationId });
    offer.license = { ...offer.license, terms: { ...offer.license.terms, termMonths } };
    return offer;
  };

  /** Billing's event, the aggregate's `seq`-th after `previous` (its earlier events, by subject). */
  const publish = async <P extends object>(event: EventSubject<P>, payload: P & { orderId: string }, seq: number, previous: Record<string, number>, options: { id?: string; at?: Date } = {}) => {
    const id = options.id ?? randomUUID();
    const envelope: EventEnvelope<P> = {
      id,
      subject: event.subject,
      occurredAt: (options.at ?? new Date()).toISOString(),
      producer: 'billing',
      payload,
      aggregate: { type: event.subject.split('.').slice(1, 3).join('.'), id: payload.orderId, seq, previous },
    };
    const h = natsHeaders();
    // A new message id each time: a repeat of the same event id gets past JetStream's de-duplication, as the sweep's does.
    h.set('Nats-Msg-Id', `${id}.${randomUUID()}`);
    await nc.jetstream().publish(ordering.app.get(Namespace).subject(event.subject), encodeJson(envelope), { headers: h });
    return id;
  };

  const salesOf = async (vendor: Caller, request: { datasetId?: string } = {}) => (await ordering.unitOfWork.read(() => orders.sales(vendor, { limit: 100, ...request }))).items;
  const saleOf = async (orderId: string, lineId: string): Promise<SaleView | undefined> => (await salesOf(数据堂)).find((s) => s.orderId === orderId && s.lineId === lineId);
  /** Everything the stream holds for ordering's consumers is taken: no event is still in flight. */
  const settled = () => waitFor('ordering to take every event', async () => (await ordering.app.get(EventConsumers).caughtUp(['order-payments', 'subscription-lapses'])).caughtUp);
  const deadLetters = () => withDatabase(ordering.db.url, async (c) => (await c.query(`SELECT subject, reason, error FROM dead_letter`)).rows);

  it('counts each renewal once and in billing order, adds what billing charged, and shows the lapse; another vendor sees none of it', async () => {
    // 8 months paid quarterly: two whole quarters, then two months at their share of the price.
    const speech = subscription('普通话对话语音 10,000 小时 / Mandarin conversational speech', { model: 'subscription', period: 'quarter', price: { amount: 3_600_000, currency: 'CNY' } }, 8);
    const lexicon = shelf.list({ model: 'one_time', price: { amount: 1_280_000, currency: 'CNY' } }, { title: '中文发音词典 / Mandarin pronunciation lexicon', vendorOrganizationId: 数据堂.organizationId });
    const placed = await orders.place(智谱, { items: [{ offerId: speech.id }, { offerId: lexicon.id }], acceptLicense: true }, ordering.commit);
    const [speechLine, lexiconLine] = placed.items.map((i) => i.lineId);

    const capturedAt = new Date();
    await publish(BillingEvents.paymentCaptured, { orderId: placed.id, paymentId: randomUUID(), amount: placed.total, capturedAt: capturedAt.toISOString() } as PaymentCapturedV1, 1, {});
    const first = await waitFor('the sale', () => saleOf(placed.id, speechLine));
    expect(first.subscription).toEqual({ status: 'active', periodsPaid: 1, paidThrough: addMonthsUtc(capturedAt, 3).toISOString(), lapsedAt: null, billed: { amount: 3_600_000, currency: 'CNY' } });
    // A one-time line of the same order is a sale as before, without a subscription.
    expect(await saleOf(placed.id, lexiconLine)).not.toHaveProperty('subscription');

    const secondEnd = addMonthsUtc(capturedAt, 6);
    const licenseEnd = addMonthsUtc(capturedAt, 8);
    // The second renewal reaches ordering first: it waits for the first, and nothing is counted meanwhile.
    const second = await publish(BillingEvents.subscriptionRenewed, { orderId: placed.id, lineId: speechLine, periodEnd: licenseEnd.toISOString(), amount: { amount: 2_400_000, currency: 'CNY' } }, 2, { [RENEWED]: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await saleOf(placed.id, speechLine))?.subscription?.periodsPaid).toBe(1);
    await publish(BillingEvents.subscriptionRenewed, { orderId: placed.id, lineId: speechLine, periodEnd: secondEnd.toISOString(), amount: { amount: 3_600_000, currency: 'CNY' } }, 1, {});
    await waitFor('both renewals', async () => (await saleOf(placed.id, speechLine))?.subscription?.periodsPaid === 3);
    // The second renewal delivered again (as a redelivery or the sweep would): counted once.
    await publish(BillingEvents.subscriptionRenewed, { orderId: placed.id, lineId: speechLine, periodEnd: licenseEnd.toISOString(), amount: { amount: 2_400_000, currency: 'CNY' } }, 2, { [RENEWED]: 1 }, { id: second });
    await settled();
    expect((await saleOf(placed.id, speechLine))?.subscription).toEqual({
      status: 'active',
      periodsPaid: 3,
      paidThrough: licenseEnd.toISOString(),
      lapsedAt: null,
      billed: { amount: 3_600_000 + 3_600_000 + 2_400_000, currency: 'CNY' },
    });

    // The term is over: billing lets it lapse at the next pass.
    const lapsedAt = new Date(licenseEnd.getTime() + 60_000);
    const lapse = await publish(BillingEvents.subscriptionLapsed, { orderId: placed.id, lineId: speechLine }, 3, { [RENEWED]: 2 }, { at: lapsedAt });
    await waitFor('the lapse', async () => (await saleOf(placed.id, speechLine))?.subscription?.status === 'lapsed');
    await publish(BillingEvents.subscriptionLapsed, { orderId: placed.id, lineId: speechLine }, 3, { [RENEWED]: 2 }, { id: lapse, at: new Date(lapsedAt.getTime() + 3_600_000) });
    await settled();
    const sale = await saleOf(placed.id, speechLine);
    expect(sale).toMatchObject({ orderStatus: 'paid', price: { amount: 3_600_000, currency: 'CNY' }, pricing: { model: 'subscription', period: 'quarter' } });
    expect(sale?.subscription).toEqual({
      status: 'lapsed',
      periodsPaid: 3,
      paidThrough: licenseEnd.toISOString(),
      lapsedAt: lapsedAt.toISOString(),
      billed: { amount: 9_600_000, currency: 'CNY' },
    });

    // 标贝 sold nothing here: its sales, and its view of 数据堂's listing, are empty.
    expect(await salesOf(标贝)).toEqual([]);
    expect(await salesOf(标贝, { datasetId: speech.datasetId })).toEqual([]);
    expect(await deadLetters()).toEqual([]);
  });

  it("keeps a renewal's later end when the first charge is taken after it, and says a refunded order's subscription ended", async () => {
    const text = subscription('中文网页清洗语料 / cleaned Chinese web text', { model: 'subscription', period: 'month', price: { amount: 500_000, currency: 'CNY' } }, null);
    const placed = await orders.place(智谱, { items: [{ offerId: text.id }], acceptLicense: true }, ordering.commit);
    const lineId = placed.items[0].lineId;
    const capturedAt = new Date();
    const renewedTo = addMonthsUtc(capturedAt, 2);

    // Payments and subscriptions are two consumers: the renewal may be taken before the capture.
    await publish(BillingEvents.subscriptionRenewed, { orderId: placed.id, lineId, periodEnd: renewedTo.toISOString(), amount: { amount: 500_000, currency: 'CNY' } }, 1, {});
    await settled();
    await publish(BillingEvents.paymentCaptured, { orderId: placed.id, paymentId: randomUUID(), amount: placed.total, capturedAt: capturedAt.toISOString() } as PaymentCapturedV1, 1, {});
    const paid = await waitFor('the sale', () => saleOf(placed.id, lineId));
    expect(paid.subscription).toEqual({ status: 'active', periodsPaid: 2, paidThrough: renewedTo.toISOString(), lapsedAt: null, billed: { amount: 1_000_000, currency: 'CNY' } });

    await orders.refund(placed.id, '买方误购，双方协商退款');
    await publish(BillingEvents.paymentRefunded, { orderId: placed.id, refundId: randomUUID() }, 2, { [CAPTURED]: 1 });
    await waitFor('the refund', async () => (await saleOf(placed.id, lineId))?.orderStatus === 'refunded');
    expect((await saleOf(placed.id, lineId))?.subscription).toEqual({ status: 'ended', periodsPaid: 2, paidThrough: renewedTo.toISOString(), lapsedAt: null, billed: { amount: 1_000_000, currency: 'CNY' } });
    expect(await deadLetters()).toEqual([]);
  });
});
