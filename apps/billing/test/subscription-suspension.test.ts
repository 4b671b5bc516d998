import 'reflect-metadata';
import {
  CatalogEvents,
  type DatasetPublished,
  type DatasetSuspended,
  type EventSubject,
  type OfferChanged,
  type OrganizationStatus,
} from '@trove/contracts';
import { splitCommission } from '@trove/licensing';
import { encodeJson, Namespace, type EventEnvelope } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { createDataSource } from '../src/data-source';
import { SubscriptionListings1764840000000 } from '../src/migrations/1764840000000-SubscriptionListings';
import { VendorStanding1764850000000 } from '../src/migrations/1764850000000-VendorStanding';
import { DatasetWithdrawn1765300000000 } from '../src/migrations/1765300000000-DatasetWithdrawn';
import { connectNats, publishOrganizationStatus } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { BillingHarness, buyer, line, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const monthly = { model: 'subscription', period: 'month' } as const;
const PRICE = 100_000;

/**
 * Subscriptions to listings the catalog stopped selling: a dataset an operator suspended, an
 * offer its vendor withdrew. Billing learns of them from the catalog's events only, published
 * here exactly as the catalog's outbox relay publishes them (no aggregate: the catalog's
 * dataset and offer events are not numbered, so they may arrive in any order).
 */
describe('billing: subscriptions of suspended datasets and withdrawn offers', () => {
  let billing: BillingHarness;
  let nc: NatsConnection;

  beforeAll(async () => {
    billing = await BillingHarness.start();
    nc = await connectNats();
  });

  afterAll(async () => {
    await nc?.close();
    await billing?.stop();
  });

  beforeEach(() => billing.clock.set(new Date('2026-01-31T04:00:00.000Z')));

  afterEach(async () => {
    await billing.invoices.numberPending();
    expect(await billing.violations()).toEqual([]);
  });

  /** A catalog event as the catalog's relay publishes it, `occurredAt` the catalog's commit time; resolves once billing took it in. */
  async function catalogEvent<P extends object>(event: EventSubject<P>, payload: P, occurredAt: string, id = randomUUID()): Promise<string> {
    const envelope: EventEnvelope<P> = { id, subject: event.subject, occurredAt, producer: 'catalog', payload };
    const h = natsHeaders();
    // Another message id than the event's: a redelivery after JetStream's de-duplication window.
    h.set('Nats-Msg-Id', randomUUID());
    await nc.jetstream().publish(new Namespace(billing.namespace).subject(event.subject), encodeJson(envelope), { headers: h });
    await waitFor(`billing to take in ${event.subject} ${id}`, async () => (await billing.sql.query(`SELECT 1 FROM inbox WHERE event_id = $1`, [id])).rows.length > 0, 10_000);
    return id;
  }

  const suspended = (datasetId: string, vendorOrganizationId: string, at: string, byVendor?: true) =>
    catalogEvent<DatasetSuspended>(CatalogEvents.datasetSuspended, { datasetId, vendorOrganizationId, suspendedAt: at, ...(byVendor ? { byVendor } : {}) }, at);
  // A reinstated listing's event carries its first publication time; the envelope carries when it happened.
  const reinstated = (datasetId: string, vendorOrganizationId: string, at: string) =>
    catalogEvent<DatasetPublished>(
      CatalogEvents.datasetPublished,
      { datasetId, vendorOrganizationId, title: '普通话朗读语音 200 小时 / Mandarin read speech 200 h', publishedAt: '2025-11-02T08:00:00.000Z' },
      at,
    );
  const withdrawn = (offerId: string, datasetId: string, vendorOrganizationId: string, at: string) =>
    catalogEvent<OfferChanged>(CatalogEvents.offerChanged, { offerId, datasetId, vendorOrganizationId, change: 'withdrawn', termsSha256: 'a'.repeat(64), exclusive: false }, at);

  /** A buyer with `funds` fen subscribed monthly (bought at the clock's now) to a line of `vendorId`. */
  async function subscribe(funds: number, vendorId: string, overrides: { datasetId?: string; offerId?: string } = {}) {
    const subscriber = buyer();
    await billing.fund(subscriber, funds);
    const subscription = order(subscriber.organizationId, [{ ...line(vendorId, PRICE, 'CNY', monthly), ...overrides }]);
    expect(await billing.payments.charge(subscription)).toMatchObject({ outcome: 'captured' });
    return { subscriber, subscription, orderLine: subscription.lines[0] };
  }

  const subscriptionOf = async (orderId: string) =>
    (await billing.sql.query(`SELECT status, lapse_reason, period_end, renewals FROM subscription WHERE order_id = $1`, [orderId])).rows[0] as {
      status: string;
      lapse_reason: string | null;
      period_end: Date;
      renewals: number;
    };
  const entriesOf = async (orderId: string) => (await billing.sql.query(`SELECT kind FROM journal_entry WHERE order_id = $1 ORDER BY created_at`, [orderId])).rows.map((r) => r.kind as string);
  const lapseEvents = async (orderId: string) =>
    (await billing.sql.query(`SELECT payload FROM outbox WHERE subject = 'evt.billing.subscription.lapsed.v1' AND payload->>'orderId' = $1`, [orderId])).rows.map((r) => r.payload);
  const owed = PRICE - splitCommission({ amount: PRICE, currency: 'CNY' }, 2000).commission.amount;

  it('charges nothing for renewals that fall due while the dataset is suspended: the subscription lapses with its entitlement, the subscriber keeps every fen, the vendor earns nothing more', async () => {
    const 标贝 = vendor();
    const { subscriber: 科大讯飞, subscription, orderLine } = await subscribe(1_000_000, 标贝.organizationId);
    // Another subscriber of another listing of the same vendor: its renewals go on as before.
    const { subscriber: 商汤, subscription: other } = await subscribe(1_000_000, 标贝.organizationId);
    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(1_000_000 - PRICE);

    await suspended(orderLine.datasetId, 标贝.organizationId, '2026-02-10T09:00:00.000Z');
    // Billing was down for three months: three periods are due at once.
    billing.clock.set(new Date('2026-05-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await billing.subscriptions.renewDue(other.orderId)).toEqual({ renewed: 3, lapsed: 0 });

    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(1_000_000 - PRICE);
    expect(await entriesOf(subscription.orderId)).toEqual(['charge']);
    expect((await billing.invoices.list(科大讯飞, {})).items.map((i) => i.gross.amount)).toEqual([PRICE]);
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'dataset_suspended', renewals: 0, period_end: new Date('2026-02-28T04:00:00.000Z') });
    // Delivery ends the entitlement on this event, as for an empty wallet.
    expect(await lapseEvents(subscription.orderId)).toEqual([{ orderId: subscription.orderId, lineId: orderLine.lineId }]);

    expect(await billing.walletBalance(商汤.organizationId)).toBe(1_000_000 - 4 * PRICE);
    expect(await entriesOf(other.orderId)).toEqual(['charge', 'renewal', 'renewal', 'renewal']);
    expect(await billing.payable(标贝.organizationId)).toBe(5 * owed);
  });

  it('tells a subscriber its listing was taken off sale by its vendor, not suspended by an operator', async () => {
    const 数据堂 = vendor();
    const { subscriber: 月之暗面, subscription, orderLine } = await subscribe(1_000_000, 数据堂.organizationId);
    await suspended(orderLine.datasetId, 数据堂.organizationId, '2026-02-10T09:00:00.000Z', true);
    billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'dataset_withdrawn', renewals: 0 });
    expect(await billing.walletBalance(月之暗面.organizationId)).toBe(1_000_000 - PRICE);

    // Withdrawn, then suspended by an operator after it was put on sale again: the newest says why.
    const { subscription: later, orderLine: laterLine } = await subscribe(1_000_000, 数据堂.organizationId);
    await suspended(laterLine.datasetId, 数据堂.organizationId, '2026-02-10T09:00:00.000Z', true);
    await reinstated(laterLine.datasetId, 数据堂.organizationId, '2026-02-12T09:00:00.000Z');
    await suspended(laterLine.datasetId, 数据堂.organizationId, '2026-02-14T09:00:00.000Z');
    billing.clock.set(new Date('2026-04-02T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(later.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await subscriptionOf(later.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'dataset_suspended' });
  });

  it('renews as usual when the dataset was reinstated before the renewal fell due, and a lapsed one stays lapsed once its dataset is back', async () => {
    const 海天瑞声 = vendor();
    const { subscriber: 百度, subscription, orderLine } = await subscribe(1_000_000, 海天瑞声.organizationId);
    const { subscriber: 字节, subscription: late, orderLine: lateLine } = await subscribe(1_000_000, 海天瑞声.organizationId);

    // Suspended for a week in February, reinstated before the end of the period.
    await suspended(orderLine.datasetId, 海天瑞声.organizationId, '2026-02-10T09:00:00.000Z');
    await reinstated(orderLine.datasetId, 海天瑞声.organizationId, '2026-02-17T09:00:00.000Z');
    // The other listing is suspended over its renewal, and reinstated only later.
    await suspended(lateLine.datasetId, 海天瑞声.organizationId, '2026-02-20T09:00:00.000Z');
    billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
    await billing.subscriptions.renewDue();
    await reinstated(lateLine.datasetId, 海天瑞声.organizationId, '2026-03-05T09:00:00.000Z');

    billing.clock.set(new Date('2026-04-01T00:00:00.000Z'));
    await billing.subscriptions.renewDue();
    expect(await billing.walletBalance(百度.organizationId)).toBe(1_000_000 - 3 * PRICE);
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'active', renewals: 2, period_end: new Date('2026-04-30T04:00:00.000Z') });
    // Reinstating the listing charges nothing behind the subscriber's back: it orders again if it wants the data.
    expect(await billing.walletBalance(字节.organizationId)).toBe(1_000_000 - PRICE);
    expect(await subscriptionOf(late.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'dataset_suspended' });
    expect(await entriesOf(late.orderId)).toEqual(['charge']);
  });

  it("takes the catalog's events in the catalog's order, whatever order they arrive in", async () => {
    const 数据堂 = vendor();
    const { subscriber: 小米, subscription: reinstatedFirst, orderLine: a } = await subscribe(1_000_000, 数据堂.organizationId);
    const { subscriber: 美团, subscription: suspendedLast, orderLine: b } = await subscribe(1_000_000, 数据堂.organizationId);

    // A: the reinstatement arrives before the suspension it lifted; the suspension then changes nothing.
    await reinstated(a.datasetId, 数据堂.organizationId, '2026-02-17T09:00:00.000Z');
    await suspended(a.datasetId, 数据堂.organizationId, '2026-02-10T09:00:00.000Z');
    // B: suspended; then its first publication arrives late (a relay that died before marking
    // it, and published it again): it does not lift the suspension.
    await suspended(b.datasetId, 数据堂.organizationId, '2026-02-10T09:00:00.000Z');
    await reinstated(b.datasetId, 数据堂.organizationId, '2025-11-02T08:00:00.000Z');

    billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(reinstatedFirst.orderId)).toEqual({ renewed: 1, lapsed: 0 });
    expect(await billing.subscriptions.renewDue(suspendedLast.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await billing.walletBalance(小米.organizationId)).toBe(1_000_000 - 2 * PRICE);
    expect(await subscriptionOf(reinstatedFirst.orderId)).toMatchObject({ status: 'active', renewals: 1 });
    expect(await billing.walletBalance(美团.organizationId)).toBe(1_000_000 - PRICE);
    expect(await subscriptionOf(suspendedLast.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'dataset_suspended' });
  });

  it('ends a subscription whose offer was withdrawn at the end of the period paid, without a charge; the same listing\'s other offer renews', async () => {
    const 爱数智慧 = vendor();
    const datasetId = randomUUID();
    const { subscriber: 阿里, subscription: withdrawnOne, orderLine } = await subscribe(1_000_000, 爱数智慧.organizationId, { datasetId });
    const { subscriber: 腾讯, subscription: liveOne } = await subscribe(1_000_000, 爱数智慧.organizationId, { datasetId });

    await withdrawn(orderLine.offerId, datasetId, 爱数智慧.organizationId, '2026-02-03T10:00:00.000Z');
    // Nothing ends before the period the subscriber paid for is over.
    billing.clock.set(new Date('2026-02-28T03:59:59.999Z'));
    expect(await billing.subscriptions.renewDue(withdrawnOne.orderId)).toEqual({ renewed: 0, lapsed: 0 });
    expect(await subscriptionOf(withdrawnOne.orderId)).toMatchObject({ status: 'active' });
    // Its buyer reads no next charge: the period paid is the last one. The other offer's buyer does.
    const viewOf = async (subscriber: typeof 阿里) => billing.subscriptions.get(subscriber, (await billing.subscriptions.list(subscriber, {})).items[0].id);
    expect(await viewOf(阿里)).toMatchObject({ status: 'active', nextChargeAt: null, currentPeriodEnd: '2026-02-28T04:00:00.000Z' });
    expect(await viewOf(腾讯)).toMatchObject({ status: 'active', nextChargeAt: '2026-02-28T04:00:00.000Z' });
    expect((await billing.subscriptions.list(阿里, {})).items[0].nextChargeAt).toBeNull();

    billing.clock.set(new Date('2026-03-31T04:00:00.000Z'));
    await billing.subscriptions.renewDue();
    expect(await billing.walletBalance(阿里.organizationId)).toBe(1_000_000 - PRICE);
    expect(await entriesOf(withdrawnOne.orderId)).toEqual(['charge']);
    expect(await subscriptionOf(withdrawnOne.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'offer_withdrawn', period_end: new Date('2026-02-28T04:00:00.000Z') });
    expect(await lapseEvents(withdrawnOne.orderId)).toEqual([{ orderId: withdrawnOne.orderId, lineId: orderLine.lineId }]);
    expect(await billing.walletBalance(腾讯.organizationId)).toBe(1_000_000 - 3 * PRICE);
    expect(await subscriptionOf(liveOne.orderId)).toMatchObject({ status: 'active', renewals: 2 });
  });

  it('still lapses for an empty wallet, and a refund of a subscription that lapsed for a suspension gives back what was billed, once', async () => {
    const 标贝 = vendor();
    const { subscriber: 联通, subscription, orderLine } = await subscribe(PRICE, 标贝.organizationId);
    const { subscription: broke } = await subscribe(PRICE, 标贝.organizationId);
    await suspended(orderLine.datasetId, 标贝.organizationId, '2026-02-10T09:00:00.000Z');

    billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
    await billing.subscriptions.renewDue();
    expect(await subscriptionOf(broke.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'insufficient_funds' });

    await billing.payments.refund(subscription.orderId);
    expect(await billing.walletBalance(联通.organizationId)).toBe(PRICE);
    expect(await entriesOf(subscription.orderId)).toEqual(['charge', 'refund']);
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'dataset_suspended' });
  });

  // ---- the vendor's organization suspended by an operator ----

  /** The number of each organization's latest status change, as the gateway's outbox numbers them. */
  const gatewaySeq = new Map<string, number>();

  /**
   * An organization's status change as the gateway's relay publishes it, numbered after the
   * organization's last one unless `seq` says otherwise. Resolves once billing took it in, unless
   * `taken` is false (an event ahead of an earlier one waits for it).
   */
  async function statusChanged(organizationId: string, status: OrganizationStatus, changedAt: string, options: { seq?: number; taken?: boolean } = {}): Promise<string> {
    const seq = options.seq ?? (gatewaySeq.get(organizationId) ?? 0) + 1;
    gatewaySeq.set(organizationId, Math.max(seq, gatewaySeq.get(organizationId) ?? 0));
    const id = await publishOrganizationStatus(nc, billing.namespace, { organizationId, status, changedAt, seq });
    if (options.taken !== false) await tookIn(id);
    return id;
  }
  const tookIn = (id: string) =>
    waitFor(`billing to take in the organization status change ${id}`, async () => (await billing.sql.query(`SELECT 1 FROM inbox WHERE event_id = $1`, [id])).rows.length > 0, 10_000);

  it("charges nothing for renewals that fall due while the vendor's organization is suspended: every subscription to its listings lapses, other vendors' renew", async () => {
    const 标贝 = vendor();
    const 数据堂 = vendor();
    await statusChanged(标贝.organizationId, 'active', '2025-10-01T02:00:00.000Z');
    const { subscriber: 科大讯飞, subscription, orderLine } = await subscribe(1_000_000, 标贝.organizationId);
    const { subscriber: 商汤, subscription: sameVendor } = await subscribe(1_000_000, 标贝.organizationId);
    const { subscriber: 小米, subscription: otherVendor } = await subscribe(1_000_000, 数据堂.organizationId);

    // A licensing dispute: an operator suspends 标贝 in the middle of the period paid.
    await statusChanged(标贝.organizationId, 'suspended', '2026-02-10T09:00:00.000Z');
    // Billing was down for three months: three periods are due at once.
    billing.clock.set(new Date('2026-05-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await billing.subscriptions.renewDue(sameVendor.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await billing.subscriptions.renewDue(otherVendor.orderId)).toEqual({ renewed: 3, lapsed: 0 });

    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(1_000_000 - PRICE);
    expect(await billing.walletBalance(商汤.organizationId)).toBe(1_000_000 - PRICE);
    expect(await entriesOf(subscription.orderId)).toEqual(['charge']);
    expect((await billing.invoices.list(科大讯飞, {})).items.map((i) => i.gross.amount)).toEqual([PRICE]);
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'vendor_suspended', renewals: 0, period_end: new Date('2026-02-28T04:00:00.000Z') });
    expect(await subscriptionOf(sameVendor.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'vendor_suspended' });
    // Delivery ends the entitlement on this event.
    expect(await lapseEvents(subscription.orderId)).toEqual([{ orderId: subscription.orderId, lineId: orderLine.lineId }]);
    // The suspended vendor earns nothing more than the first periods; the other vendor its four.
    expect(await billing.payable(标贝.organizationId)).toBe(2 * owed);
    expect(await billing.walletBalance(小米.organizationId)).toBe(1_000_000 - 4 * PRICE);
    expect(await billing.payable(数据堂.organizationId)).toBe(4 * owed);
  });

  it('renews when the vendor was reinstated before the renewal fell due; one that lapsed during the suspension stays lapsed after the reinstatement', async () => {
    const 海天瑞声 = vendor();
    const 爱数智慧 = vendor();
    const { subscriber: 百度, subscription: reinstatedInTime } = await subscribe(1_000_000, 海天瑞声.organizationId);
    const { subscriber: 字节, subscription: lapsedOne } = await subscribe(1_000_000, 爱数智慧.organizationId);

    // Suspended for a week in February, reinstated before the end of the period.
    await statusChanged(海天瑞声.organizationId, 'suspended', '2026-02-10T09:00:00.000Z');
    await statusChanged(海天瑞声.organizationId, 'active', '2026-02-17T09:00:00.000Z');
    // The other vendor is suspended over its subscribers' renewal, and reinstated only later.
    await statusChanged(爱数智慧.organizationId, 'suspended', '2026-02-20T09:00:00.000Z');
    billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
    await billing.subscriptions.renewDue();
    await statusChanged(爱数智慧.organizationId, 'active', '2026-03-05T09:00:00.000Z');

    billing.clock.set(new Date('2026-04-01T00:00:00.000Z'));
    await billing.subscriptions.renewDue();
    expect(await billing.walletBalance(百度.organizationId)).toBe(1_000_000 - 3 * PRICE);
    expect(await subscriptionOf(reinstatedInTime.orderId)).toMatchObject({ status: 'active', renewals: 2, period_end: new Date('2026-04-30T04:00:00.000Z') });
    // The reinstatement charges nothing behind the subscriber's back: it orders again if it wants the data.
    expect(await billing.walletBalance(字节.organizationId)).toBe(1_000_000 - PRICE);
    expect(await subscriptionOf(lapsedOne.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'vendor_suspended' });
    expect(await entriesOf(lapsedOne.orderId)).toEqual(['charge']);
  });

  it("keeps the newest of a vendor's status changes, whatever order they arrive in, and a change delivered again changes nothing", async () => {
    const 标贝 = vendor();
    const 数据堂 = vendor();
    const { subscriber: 联通, subscription: suspendedOne } = await subscribe(1_000_000, 标贝.organizationId);
    const { subscriber: 美团, subscription: reinstatedOne } = await subscribe(1_000_000, 数据堂.organizationId);

    // 标贝: the suspension, then an approval made before it arriving late (numbered after it, as
    // two operators' requests may be): still suspended. The suspension delivered again, after
    // JetStream's de-duplication window, changes nothing either.
    await statusChanged(标贝.organizationId, 'active', '2025-10-01T02:00:00.000Z');
    await statusChanged(标贝.organizationId, 'suspended', '2026-02-10T09:00:00.000Z');
    await statusChanged(标贝.organizationId, 'suspended', '2026-02-10T09:00:00.000Z', { seq: 2, taken: false });
    await statusChanged(标贝.organizationId, 'active', '2026-02-10T08:59:00.000Z');
    // 数据堂: the reinstatement reaches NATS before the suspension it lifted; billing, which knows
    // 数据堂 from its approval, applies them in order.
    await statusChanged(数据堂.organizationId, 'active', '2025-10-01T02:00:00.000Z');
    const reinstatement = await statusChanged(数据堂.organizationId, 'active', '2026-02-17T09:00:00.000Z', { seq: 3, taken: false });
    await statusChanged(数据堂.organizationId, 'suspended', '2026-02-10T09:00:00.000Z', { seq: 2 });
    await tookIn(reinstatement);

    billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(suspendedOne.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await billing.subscriptions.renewDue(reinstatedOne.orderId)).toEqual({ renewed: 1, lapsed: 0 });
    expect(await billing.walletBalance(联通.organizationId)).toBe(1_000_000 - PRICE);
    expect(await subscriptionOf(suspendedOne.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'vendor_suspended' });
    expect(await billing.walletBalance(美团.organizationId)).toBe(1_000_000 - 2 * PRICE);
    expect(await subscriptionOf(reinstatedOne.orderId)).toMatchObject({ status: 'active', renewals: 1 });
  });

  // ---- the buyer's organization suspended by an operator ----

  it("charges nothing for renewals that fall due while the buyer's organization is suspended: it cannot use its keys, not even to cancel, so its subscriptions lapse; other buyers' renew", async () => {
    const 标贝 = vendor();
    // Both buyers subscribe to the same listing, so only the buyer's standing differs.
    const datasetId = randomUUID();
    const offerId = randomUUID();
    const { subscriber: 科大讯飞, subscription, orderLine } = await subscribe(1_000_000, 标贝.organizationId, { datasetId, offerId });
    const { subscriber: 商汤, subscription: otherBuyer } = await subscribe(1_000_000, 标贝.organizationId, { datasetId, offerId });
    await statusChanged(科大讯飞.organizationId, 'active', '2025-12-01T02:00:00.000Z');

    // An operator suspends 科大讯飞 (unpaid invoices elsewhere, a compliance review) in the middle of the period paid.
    await statusChanged(科大讯飞.organizationId, 'suspended', '2026-02-10T09:00:00.000Z');
    // Nothing ends before the period paid for is over.
    billing.clock.set(new Date('2026-02-28T03:59:59.999Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 0 });
    // Billing was down for two months: two periods are due at once.
    billing.clock.set(new Date('2026-04-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await billing.subscriptions.renewDue(otherBuyer.orderId)).toEqual({ renewed: 2, lapsed: 0 });

    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(1_000_000 - PRICE);
    expect(await entriesOf(subscription.orderId)).toEqual(['charge']);
    expect((await billing.invoices.list(科大讯飞, {})).items.map((i) => i.gross.amount)).toEqual([PRICE]);
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'buyer_suspended', renewals: 0, period_end: new Date('2026-02-28T04:00:00.000Z') });
    expect(await billing.subscriptions.get(科大讯飞, (await billing.subscriptions.list(科大讯飞, {})).items[0].id)).toMatchObject({ status: 'lapsed', lapseReason: 'buyer_suspended', nextChargeAt: null });
    expect(await lapseEvents(subscription.orderId)).toEqual([{ orderId: subscription.orderId, lineId: orderLine.lineId }]);
    expect(await billing.walletBalance(商汤.organizationId)).toBe(1_000_000 - 3 * PRICE);
    expect(await entriesOf(otherBuyer.orderId)).toEqual(['charge', 'renewal', 'renewal']);
    expect(await billing.payable(标贝.organizationId)).toBe(4 * owed);

    // Reinstated later, 科大讯飞 is charged nothing behind its back: it orders again if it wants the data.
    await statusChanged(科大讯飞.organizationId, 'active', '2026-04-02T09:00:00.000Z');
    billing.clock.set(new Date('2026-05-01T00:00:00.000Z'));
    await billing.subscriptions.renewDue();
    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(1_000_000 - PRICE);
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'buyer_suspended' });
  });

  it('renews when the buyer was reinstated before the renewal fell due, and records the listing\'s reason when the catalog stopped selling it too', async () => {
    const 海天瑞声 = vendor();
    const { subscriber: 百度, subscription: reinstatedInTime } = await subscribe(1_000_000, 海天瑞声.organizationId);
    const { subscriber: 字节, subscription: both, orderLine } = await subscribe(1_000_000, 海天瑞声.organizationId);

    await statusChanged(百度.organizationId, 'suspended', '2026-02-10T09:00:00.000Z');
    await statusChanged(百度.organizationId, 'active', '2026-02-17T09:00:00.000Z');
    // 字节 suspended, and its listing suspended too: the listing's reason is recorded.
    await statusChanged(字节.organizationId, 'suspended', '2026-02-12T09:00:00.000Z');
    await suspended(orderLine.datasetId, 海天瑞声.organizationId, '2026-02-13T09:00:00.000Z');

    billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(reinstatedInTime.orderId)).toEqual({ renewed: 1, lapsed: 0 });
    expect(await billing.subscriptions.renewDue(both.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await billing.walletBalance(百度.organizationId)).toBe(1_000_000 - 2 * PRICE);
    expect(await subscriptionOf(reinstatedInTime.orderId)).toMatchObject({ status: 'active', renewals: 1, period_end: new Date('2026-03-31T04:00:00.000Z') });
    expect(await billing.walletBalance(字节.organizationId)).toBe(1_000_000 - PRICE);
    expect(await subscriptionOf(both.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'dataset_suspended' });
  });

  it("joins a vendor's history midway: the first status change it meets of a vendor is applied, though the earlier ones left the stream long ago", async () => {
    // 海天瑞声 was approved, and changed status five more times, before this billing first read
    // the stream; those events are gone (JetStream keeps 7 days). Its 7th change, a suspension,
    // is the first billing meets: applied at once, not held for events that will never come.
    const 海天瑞声 = vendor();
    const { subscriber: 移动, subscription } = await subscribe(1_000_000, 海天瑞声.organizationId);
    await statusChanged(海天瑞声.organizationId, 'suspended', '2026-02-10T09:00:00.000Z', { seq: 7 });
    const deadLetters = async () => Number((await billing.sql.query(`SELECT count(*) AS n FROM dead_letter WHERE aggregate_id = $1`, [海天瑞声.organizationId])).rows[0].n);
    expect(await deadLetters()).toBe(0);

    billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'vendor_suspended' });
    expect(await billing.walletBalance(移动.organizationId)).toBe(1_000_000 - PRICE);
    // From there on its changes are taken in order: the 8th, a reinstatement, is applied too.
    await statusChanged(海天瑞声.organizationId, 'active', '2026-02-20T09:00:00.000Z', { seq: 8 });
    expect((await billing.sql.query(`SELECT status FROM organization_standing WHERE organization_id = $1`, [海天瑞声.organizationId])).rows[0]).toEqual({ status: 'active' });
  });
});

describe('billing: the migration that gives lapses their reason', () => {
  it('marks the subscriptions that lapsed before it as lapsed for an empty wallet, keeps a lapse without a reason out, and goes down again', async () => {
    const billing = await BillingHarness.start();
    const dataSource = createDataSource(billing.db.url);
    try {
      billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
      const 标贝 = vendor();
      const subscribed = [];
      for (const funds of [PRICE, 2 * PRICE, 2 * PRICE]) {
        const subscriber = buyer();
        await billing.fund(subscriber, funds);
        const subscription = order(subscriber.organizationId, [line(标贝.organizationId, PRICE, 'CNY', monthly)]);
        await billing.payments.charge(subscription);
        subscribed.push(subscription.orderId);
      }
      const [broke, renewed, refunded] = subscribed;
      await billing.payments.refund(refunded);
      await dataSource.initialize();
      const migration = new SubscriptionListings1764840000000();
      const runner = dataSource.createQueryRunner();
      await migration.down(runner);
      // Billing before it: the renewal lapses the subscription without a reason.
      billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
      await billing.sql.query(`UPDATE subscription SET status = 'lapsed' WHERE order_id = $1`, [broke]);

      await migration.up(runner);
      await runner.release();

      const reasons = async () =>
        Object.fromEntries((await billing.sql.query(`SELECT order_id, status, lapse_reason FROM subscription`)).rows.map((r) => [r.order_id, [r.status, r.lapse_reason]]));
      expect(await reasons()).toEqual({ [broke]: ['lapsed', 'insufficient_funds'], [renewed]: ['active', null], [refunded]: ['cancelled', null] });
      await expect(billing.sql.query(`UPDATE subscription SET status = 'lapsed' WHERE order_id = $1`, [renewed])).rejects.toThrow(/subscription_lapse_reason_status_check/);
      expect(await billing.subscriptions.renewDue()).toEqual({ renewed: 1, lapsed: 0 });
      expect(await billing.violations()).toEqual([]);

      const down = dataSource.createQueryRunner();
      await migration.down(down);
      await down.release();
      expect((await billing.sql.query(`SELECT to_regclass('dataset_standing') AS standing, to_regclass('withdrawn_offer') AS withdrawn`)).rows[0]).toEqual({ standing: null, withdrawn: null });
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await billing.stop();
    }
  });
});

describe('billing: the migration that lets a subscription lapse for its vendor', () => {
  it("refuses to go down while a subscription lapsed for its vendor's suspension, and otherwise goes down and up again", async () => {
    const billing = await BillingHarness.start();
    const dataSource = createDataSource(billing.db.url);
    try {
      billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
      const 标贝 = vendor();
      const subscriber = buyer();
      await billing.fund(subscriber, 2 * PRICE);
      const subscription = order(subscriber.organizationId, [line(标贝.organizationId, PRICE, 'CNY', monthly)]);
      await billing.payments.charge(subscription);
      await billing.sql.query(`INSERT INTO organization_standing (organization_id, status, changed_at) VALUES ($1, 'suspended', '2026-02-10T09:00:00Z')`, [标贝.organizationId]);
      billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
      expect(await billing.subscriptions.renewDue()).toEqual({ renewed: 0, lapsed: 1 });

      await dataSource.initialize();
      const migration = new VendorStanding1764850000000();
      const runner = dataSource.createQueryRunner();
      await expect(migration.down(runner)).rejects.toThrow(/1 subscriptions lapsed for their vendor's suspension/);
      expect((await billing.sql.query(`SELECT lapse_reason FROM subscription WHERE order_id = $1`, [subscription.orderId])).rows).toEqual([{ lapse_reason: 'vendor_suspended' }]);

      await billing.sql.query(`UPDATE subscription SET status = 'cancelled', lapse_reason = NULL WHERE order_id = $1`, [subscription.orderId]);
      await migration.down(runner);
      expect((await billing.sql.query(`SELECT to_regclass('organization_standing') AS standing`)).rows[0]).toEqual({ standing: null });
      await migration.up(runner);
      await runner.release();
      await expect(billing.sql.query(`UPDATE subscription SET status = 'lapsed', lapse_reason = 'vendor_gone' WHERE order_id = $1`, [subscription.orderId])).rejects.toThrow(
        /subscription_lapse_reason_check/,
      );
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await billing.stop();
    }
  });
});

describe('billing: the migration that tells a withdrawal from a suspension', () => {
  it('goes down by reading a withdrawal as the suspension it was read as before, and up again', async () => {
    const billing = await BillingHarness.start();
    const dataSource = createDataSource(billing.db.url);
    try {
      billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
      const 数据堂 = vendor();
      const subscriber = buyer();
      await billing.fund(subscriber, 2 * PRICE);
      const subscription = order(subscriber.organizationId, [line(数据堂.organizationId, PRICE, 'CNY', monthly)]);
      await billing.payments.charge(subscription);
      const datasetId = subscription.lines[0].datasetId;
      await billing.sql.query(`INSERT INTO dataset_standing (dataset_id, status, changed_at) VALUES ($1, 'withdrawn', '2026-02-10T09:00:00Z')`, [datasetId]);
      billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
      expect(await billing.subscriptions.renewDue()).toEqual({ renewed: 0, lapsed: 1 });

      await dataSource.initialize();
      const migration = new DatasetWithdrawn1765300000000();
      const runner = dataSource.createQueryRunner();
      await migration.down(runner);
      const read = async () => [
        (await billing.sql.query(`SELECT lapse_reason FROM subscription WHERE order_id = $1`, [subscription.orderId])).rows[0].lapse_reason,
        (await billing.sql.query(`SELECT status FROM dataset_standing WHERE dataset_id = $1`, [datasetId])).rows[0].status,
      ];
      expect(await read()).toEqual(['dataset_suspended', 'suspended']);
      await expect(billing.sql.query(`UPDATE dataset_standing SET status = 'withdrawn' WHERE dataset_id = $1`, [datasetId])).rejects.toThrow(/dataset_standing_status_check/);
      await migration.up(runner);
      await runner.release();
      await billing.sql.query(`UPDATE subscription SET lapse_reason = 'dataset_withdrawn' WHERE order_id = $1`, [subscription.orderId]);
      expect(await billing.violations()).toEqual([]);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await billing.stop();
    }
  });
});
