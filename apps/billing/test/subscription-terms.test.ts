import 'reflect-metadata';
import { OrderingEvents, type OrderPlacedV1 } from '@trove/contracts';
import { encodeJson, Namespace, type EventEnvelope } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { createDataSource } from '../src/data-source';
import { SubscriptionLicenseTerms1764950000000 } from '../src/migrations/1764950000000-SubscriptionLicenseTerms';
import { connectNats } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { BillingHarness, buyer, line, LISTINGS, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const monthly = { model: 'subscription', period: 'month' } as const;
const yearly = { model: 'subscription', period: 'year' } as const;
const BOUGHT_AT = '2026-03-15T02:00:00.000Z';
const MANDARIN = LISTINGS[0];
const LEGAL = LISTINGS[3];

/**
 * A subscription sells its license for the license's term: delivery grants the entitlement until
 * the term's end from the payment (`licenseEndsAt`), so billing sells no period after it. The
 * `research` template runs 12 months, `evaluation` 3.
 */
describe("billing: subscriptions end with their license's term", () => {
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

  beforeEach(() => billing.clock.set(new Date(BOUGHT_AT)));

  afterEach(async () => {
    await billing.invoices.numberPending();
    expect(await billing.violations()).toEqual([]);
  });

  /** `order.placed` as ordering's relay publishes it, the order's first event; resolves once billing charged it. */
  async function placed(event: OrderPlacedV1): Promise<void> {
    const envelope: EventEnvelope<OrderPlacedV1> = {
      id: randomUUID(),
      subject: OrderingEvents.orderPlaced.subject,
      occurredAt: event.placedAt,
      producer: 'ordering',
      payload: event,
      aggregate: { type: 'ordering.order', id: event.orderId, seq: 1, previous: {} },
    };
    const h = natsHeaders();
    h.set('Nats-Msg-Id', envelope.id);
    await nc.jetstream().publish(new Namespace(billing.namespace).subject(envelope.subject), encodeJson(envelope), { headers: h });
    await waitFor(`billing to charge order ${event.orderId}`, async () => (await billing.sql.query(`SELECT 1 FROM payment WHERE order_id = $1 AND status = 'captured'`, [event.orderId])).rows.length > 0, 10_000);
  }

  /** A `research` subscription line, by the month, as ordering places it: `termMonths` from the accepted terms, or none (an event from before). */
  function researchOrder(buyerOrganizationId: string, vendorOrganizationId: string, termMonths?: number): OrderPlacedV1 {
    return {
      orderId: randomUUID(),
      buyerOrganizationId,
      lines: [
        {
          lineId: randomUUID(),
          offerId: randomUUID(),
          datasetId: randomUUID(),
          vendorOrganizationId,
          datasetTitle: MANDARIN.title,
          price: { amount: 100_000, currency: 'CNY' },
          pricing: monthly,
          licenseTemplate: 'research',
          termsSha256: '3c1f0e8a2b7d4c6e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60',
          ...(termMonths !== undefined ? { termMonths } : {}),
        },
      ],
      total: { amount: 100_000, currency: 'CNY' },
      placedAt: BOUGHT_AT,
    };
  }

  const subscriptionOf = async (orderId: string) =>
    (await billing.sql.query(`SELECT status, lapse_reason, period_start, period_end, license_ends_at, renewals FROM subscription WHERE order_id = $1`, [orderId])).rows[0] as {
      status: string;
      lapse_reason: string | null;
      period_start: Date;
      period_end: Date;
      license_ends_at: Date | null;
      renewals: number;
    };
  const entriesOf = async (orderId: string) =>
    (await billing.sql.query(`SELECT kind, amount::int AS amount FROM journal_entry WHERE order_id = $1 ORDER BY created_at`, [orderId])).rows as { kind: string; amount: number }[];
  const lapseEvents = async (orderId: string) =>
    (await billing.sql.query(`SELECT payload FROM outbox WHERE subject = 'evt.billing.subscription.lapsed.v1' AND payload->>'orderId' = $1`, [orderId])).rows.map((r) => r.payload);
  const viewOf = async (orderId: string, caller: ReturnType<typeof buyer>) => (await billing.subscriptions.list(caller, {})).items.find((s) => s.orderId === orderId)!;

  it('charges a 12-month research license paid monthly exactly 12 times, then lets it lapse (`term_ended`) when the license ends; an order.placed from before, which names no term, renews as before', async () => {
    const 标贝 = vendor();
    const 科大讯飞 = buyer();
    const 商汤 = buyer();
    await billing.fund(科大讯飞, 2_000_000);
    await billing.fund(商汤, 2_000_000);
    const termed = researchOrder(科大讯飞.organizationId, 标贝.organizationId, 12);
    const older = researchOrder(商汤.organizationId, 标贝.organizationId);
    await placed(termed);
    await placed(older);
    // The license runs 12 months from the charge, the first paid moment, as delivery's entitlement does.
    expect(await subscriptionOf(termed.orderId)).toMatchObject({ license_ends_at: new Date('2027-03-15T02:00:00.000Z'), period_end: new Date('2026-04-15T02:00:00.000Z') });
    expect(await subscriptionOf(older.orderId)).toMatchObject({ license_ends_at: null });

    // Eleven months on: the twelfth period is paid, and it is the last.
    billing.clock.set(new Date('2027-02-15T02:00:00.000Z'));
    // A pass cut short by a shutdown after three renewals; the next pass takes up the rest.
    let asked = 0;
    expect(await billing.subscriptions.renewDue(termed.orderId, () => asked++ >= 3)).toEqual({ renewed: 3, lapsed: 0 });
    expect(await billing.subscriptions.renewDue(termed.orderId)).toEqual({ renewed: 8, lapsed: 0 });
    expect(await viewOf(termed.orderId, 科大讯飞)).toMatchObject({
      status: 'active',
      renewals: 11,
      currentPeriodStart: '2027-02-15T02:00:00.000Z',
      currentPeriodEnd: '2027-03-15T02:00:00.000Z',
      nextChargeAt: null,
    });

    // Billing comes by at the license end, and again two months later: nothing more is charged.
    billing.clock.set(new Date('2027-03-15T02:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(termed.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    billing.clock.set(new Date('2027-05-20T02:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(termed.orderId)).toEqual({ renewed: 0, lapsed: 0 });
    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(2_000_000 - 12 * 100_000);
    expect((await entriesOf(termed.orderId)).map((e) => e.amount)).toEqual(Array(12).fill(100_000));
    expect((await billing.invoices.list(科大讯飞, {})).items).toHaveLength(12);
    expect(await subscriptionOf(termed.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'term_ended', renewals: 11, period_end: new Date('2027-03-15T02:00:00.000Z') });
    expect(await viewOf(termed.orderId, 科大讯飞)).toMatchObject({ status: 'lapsed', lapseReason: 'term_ended', nextChargeAt: null });
    expect(await lapseEvents(termed.orderId)).toEqual([{ orderId: termed.orderId, lineId: termed.lines[0].lineId }]);

    // The subscription billing was never told the term of renews period after period, as before this release.
    expect(await billing.subscriptions.renewDue(older.orderId)).toEqual({ renewed: 14, lapsed: 0 });
    expect(await subscriptionOf(older.orderId)).toMatchObject({ status: 'active', renewals: 14 });
  });

  it('bills a monthly subscription bought on 31 January on the last day of every month, and a 12-month license exactly 12 times: 1,200,000 fen, no thirteenth prorated charge', async () => {
    const 标贝 = vendor();
    const 科大讯飞 = buyer();
    await billing.fund(科大讯飞, 2_000_000);
    billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
    const subscription = order(科大讯飞.organizationId, [{ ...line(标贝.organizationId, 100_000, 'CNY', monthly), termMonths: 12 }]);
    expect(await billing.payments.charge(subscription)).toMatchObject({ outcome: 'captured' });
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ period_end: new Date('2026-02-28T04:00:00.000Z'), license_ends_at: new Date('2027-01-31T04:00:00.000Z') });

    // Billing comes by as each period ends: the next one ends on the last day of its month, not on the 28th.
    const ends = ['2026-02-28', '2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30', '2026-07-31', '2026-08-31', '2026-09-30', '2026-10-31', '2026-11-30', '2026-12-31', '2027-01-31'];
    for (const [i, end] of ends.slice(0, -1).entries()) {
      billing.clock.set(new Date(`${end}T04:00:00.000Z`));
      expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 1, lapsed: 0 });
      expect(await subscriptionOf(subscription.orderId)).toMatchObject({ renewals: i + 1, period_start: new Date(`${end}T04:00:00.000Z`), period_end: new Date(`${ends[i + 1]}T04:00:00.000Z`) });
    }
    expect(await viewOf(subscription.orderId, 科大讯飞)).toMatchObject({ currentPeriodEnd: '2027-01-31T04:00:00.000Z', nextChargeAt: null });

    // The twelfth period ends with the license: nothing is left to sell.
    billing.clock.set(new Date('2027-01-31T04:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'term_ended', renewals: 11 });
    expect((await entriesOf(subscription.orderId)).map((e) => e.amount)).toEqual(Array(12).fill(100_000));
    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(2_000_000 - 1_200_000);
  });

  it('renews one that falls due long after, period after period, each on its day: bought on 31 January and renewed in one pass in May', async () => {
    const 标贝 = vendor();
    const 美团 = buyer();
    await billing.fund(美团, 1_000_000);
    billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
    const subscription = order(美团.organizationId, [{ ...line(标贝.organizationId, 100_000, 'CNY', monthly), termMonths: null }]);
    await billing.payments.charge(subscription);
    billing.clock.set(new Date('2026-05-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 3, lapsed: 0 });
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ renewals: 3, period_start: new Date('2026-04-30T04:00:00.000Z'), period_end: new Date('2026-05-31T04:00:00.000Z') });
  });

  it('cuts a last period that would run past the license end at that end, for its share of the price by time: an 18-month license paid yearly is a year, then half a year', async () => {
    const 数据堂 = vendor();
    const 百度 = buyer();
    await billing.fund(百度, 3_000_000);
    const subscription = order(百度.organizationId, [{ ...line(数据堂.organizationId, MANDARIN.price, 'CNY', yearly), termMonths: 18 }]);
    expect(await billing.payments.charge(subscription)).toMatchObject({ outcome: 'captured' });
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ period_end: new Date('2027-03-15T02:00:00.000Z'), license_ends_at: new Date('2027-09-15T02:00:00.000Z') });

    billing.clock.set(new Date('2027-03-15T02:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 1, lapsed: 0 });
    // 15 March 2027 to 15 September 2027 is 184 of the year's 366 days (to 15 March 2028, over 29 February):
    // 1,280,000 x 184 / 366 = 643,497.27 fen, rounded up to the fen.
    const share = 643_498;
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'active', renewals: 1, period_start: new Date('2027-03-15T02:00:00.000Z'), period_end: new Date('2027-09-15T02:00:00.000Z') });
    expect(await entriesOf(subscription.orderId)).toEqual([
      { kind: 'charge', amount: MANDARIN.price },
      { kind: 'renewal', amount: share },
    ]);
    const [renewal] = (await billing.invoices.list(百度, {})).items.filter((i) => i.gross.amount === share);
    expect(renewal.lines[0].item).toMatchObject({ pricingModel: 'subscription', period: 'year', quantity: 1, unitPrice: { amount: share, currency: 'CNY' } });
    expect(await viewOf(subscription.orderId, 百度)).toMatchObject({ currentPeriodEnd: '2027-09-15T02:00:00.000Z', nextChargeAt: null });

    billing.clock.set(new Date('2028-04-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'term_ended' });
    expect(await billing.walletBalance(百度.organizationId)).toBe(3_000_000 - MANDARIN.price - share);
  });

  it('ends the first period with a license shorter than it (a 3-month evaluation paid yearly), and charges nothing after', async () => {
    const 爱数智慧 = vendor();
    const 小米 = buyer();
    await billing.fund(小米, 1_000_000);
    const subscription = order(小米.organizationId, [{ ...line(爱数智慧.organizationId, LEGAL.price, 'CNY', yearly), termMonths: 3 }]);
    expect(await billing.payments.charge(subscription)).toMatchObject({ outcome: 'captured' });
    // The period paid is the license's three months: what delivery serves, and when the subscription ends.
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ period_end: new Date('2026-06-15T02:00:00.000Z'), license_ends_at: new Date('2026-06-15T02:00:00.000Z') });
    expect(await viewOf(subscription.orderId, 小米)).toMatchObject({ currentPeriodEnd: '2026-06-15T02:00:00.000Z', nextChargeAt: null });

    billing.clock.set(new Date('2026-06-15T01:59:59.999Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 0 });
    billing.clock.set(new Date('2027-03-15T02:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await subscriptionOf(subscription.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'term_ended', renewals: 0 });
    expect(await billing.walletBalance(小米.organizationId)).toBe(1_000_000 - LEGAL.price);
    expect(await entriesOf(subscription.orderId)).toEqual([{ kind: 'charge', amount: LEGAL.price }]);
  });

  it("lets a buyer's cancellation win over the term's end, as over any other reason, and a perpetual license renews as before", async () => {
    const 海天瑞声 = vendor();
    const 美团 = buyer();
    await billing.fund(美团, 1_000_000);
    const cancelled = order(美团.organizationId, [{ ...line(海天瑞声.organizationId, LEGAL.price, 'CNY', monthly), termMonths: 1 }]);
    const perpetual = order(美团.organizationId, [{ ...line(海天瑞声.organizationId, LEGAL.price, 'CNY', monthly), termMonths: null }]);
    await billing.payments.charge(cancelled);
    await billing.payments.charge(perpetual);
    await billing.subscriptions.cancel(美团, (await viewOf(cancelled.orderId, 美团)).id);

    billing.clock.set(new Date('2026-06-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(cancelled.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await subscriptionOf(cancelled.orderId)).toMatchObject({ status: 'lapsed', lapse_reason: 'cancelled_by_buyer' });
    expect(await billing.subscriptions.renewDue(perpetual.orderId)).toEqual({ renewed: 2, lapsed: 0 });
    expect(await subscriptionOf(perpetual.orderId)).toMatchObject({ status: 'active', license_ends_at: null });
  });

  it('names on every invoice the period it pays for: the first from the charge, each renewal the next, and the last one cut at the license end', async () => {
    const 数据堂 = vendor();
    const 百度 = buyer();
    await billing.fund(百度, 3_000_000);
    const item = { datasetTitle: MANDARIN.title, licenseTemplate: 'commercial', pricingModel: 'subscription', period: 'year', quantity: 1, unitPrice: { amount: MANDARIN.price, currency: 'CNY' as const } };
    const subscription = order(百度.organizationId, [{ ...line(数据堂.organizationId, MANDARIN.price, 'CNY', yearly), termMonths: 18, item }]);
    expect(await billing.payments.charge(subscription)).toMatchObject({ outcome: 'captured' });
    billing.clock.set(new Date('2027-03-15T02:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 1, lapsed: 0 });
    await billing.invoices.numberPending();

    const invoices = (await billing.invoices.list(百度, {})).items.filter((i) => i.orderId === subscription.orderId);
    const periods = invoices.map((i) => ({ issuedAt: i.issuedAt, gross: i.gross.amount, periodStart: i.lines[0].item?.periodStart, periodEnd: i.lines[0].item?.periodEnd }));
    expect(periods.sort((a, b) => a.issuedAt.localeCompare(b.issuedAt))).toEqual([
      { issuedAt: BOUGHT_AT, gross: MANDARIN.price, periodStart: BOUGHT_AT, periodEnd: '2027-03-15T02:00:00.000Z' },
      // The half year to the license end, at its share of the year's price.
      { issuedAt: '2027-03-15T02:00:00.000Z', gross: 643_498, periodStart: '2027-03-15T02:00:00.000Z', periodEnd: '2027-09-15T02:00:00.000Z' },
    ]);
    // A one-time line of the same kind of order says no period.
    const once = order(百度.organizationId, [{ ...line(数据堂.organizationId, LEGAL.price), item: { pricingModel: 'one_time', quantity: 1, unitPrice: { amount: LEGAL.price, currency: 'CNY' } } }]);
    await billing.payments.charge(once);
    const [oneTime] = (await billing.invoices.list(百度, {})).items.filter((i) => i.orderId === once.orderId);
    expect(oneTime.lines[0].item).toEqual({ pricingModel: 'one_time', quantity: 1, unitPrice: { amount: LEGAL.price, currency: 'CNY' } });
  });

  it('dates each renewal of a long pass when it is made: a pass that starts before midnight of 31 December in China numbers the renewals made after it in the new year', async () => {
    const 标贝 = vendor();
    const 京东 = buyer();
    await billing.fund(京东, 2_000_000);
    // One order of six monthly subscriptions (a dialect speech corpus each), all due when the pass comes.
    billing.clock.set(new Date('2026-11-30T04:00:00.000Z'));
    const subscription = order(
      京东.organizationId,
      Array.from({ length: 6 }, () => ({ ...line(标贝.organizationId, LEGAL.price, 'CNY', monthly), termMonths: null })),
    );
    await billing.payments.charge(subscription);
    // 23:57 on 31 December in Beijing (UTC+8), and a minute passes with every reading of the clock.
    billing.clock.set(new Date('2026-12-31T15:57:00.000Z'), 60_000);
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 6, lapsed: 0 });
    billing.clock.set(new Date('2027-01-05T00:00:00.000Z'));
    await billing.invoices.numberPending();

    const renewals = (await billing.invoices.list(京东, {})).items.filter((i) => i.orderId === subscription.orderId && i.issuedAt > '2026-12-01');
    expect(renewals).toHaveLength(6);
    // Each renewal is dated by the clock when it was made, one after another, not all at the pass's start...
    expect(new Set(renewals.map((i) => i.issuedAt)).size).toBe(6);
    // ...and numbered in the year of that date in China.
    for (const invoice of renewals) {
      const chinaYear = new Date(new Date(invoice.issuedAt).getTime() + 8 * 3_600_000).getUTCFullYear();
      expect(invoice.number!.startsWith(`${chinaYear}-`)).toBe(true);
    }
    expect(renewals.some((i) => i.number!.startsWith('2026-'))).toBe(true);
    expect(renewals.some((i) => i.number!.startsWith('2027-'))).toBe(true);
  });
});

describe('billing: the migration that ends subscriptions with their license', () => {
  it('refuses a period past the license end, refuses to go down while a subscription lapsed at its term or runs to one, and otherwise goes down and up again', async () => {
    const billing = await BillingHarness.start();
    const dataSource = createDataSource(billing.db.url);
    try {
      billing.clock.set(new Date(BOUGHT_AT));
      const 标贝 = vendor();
      const 联通 = buyer();
      await billing.fund(联通, 1_000_000);
      const subscription = order(联通.organizationId, [{ ...line(标贝.organizationId, LEGAL.price, 'CNY', monthly), termMonths: 3 }]);
      await billing.payments.charge(subscription);
      await expect(billing.sql.query(`UPDATE subscription SET period_end = license_ends_at + interval '1 day' WHERE order_id = $1`, [subscription.orderId])).rejects.toThrow(
        /subscription_license_end_check/,
      );
      billing.clock.set(new Date('2026-07-01T00:00:00.000Z'));
      expect(await billing.subscriptions.renewDue()).toEqual({ renewed: 2, lapsed: 1 });

      await dataSource.initialize();
      const migration = new SubscriptionLicenseTerms1764950000000();
      const runner = dataSource.createQueryRunner();
      await expect(migration.down(runner)).rejects.toThrow(/1 subscriptions lapsed at their license's end/);

      await billing.sql.query(`UPDATE subscription SET status = 'cancelled', lapse_reason = NULL WHERE order_id = $1`, [subscription.orderId]);
      await migration.down(runner);
      expect((await billing.sql.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'subscription' AND column_name = 'license_ends_at'`)).rows).toEqual([]);
      await expect(billing.sql.query(`UPDATE subscription SET status = 'lapsed', lapse_reason = 'term_ended' WHERE order_id = $1`, [subscription.orderId])).rejects.toThrow(
        /subscription_lapse_reason_check/,
      );
      await migration.up(runner);
      await runner.release();
      await billing.sql.query(`UPDATE subscription SET status = 'lapsed', lapse_reason = 'buyer_suspended' WHERE order_id = $1`, [subscription.orderId]);
      await expect(billing.sql.query(`UPDATE subscription SET lapse_reason = 'term_over' WHERE order_id = $1`, [subscription.orderId])).rejects.toThrow(/subscription_lapse_reason_check/);
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await billing.stop();
    }
  });
});
