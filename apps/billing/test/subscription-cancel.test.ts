import 'reflect-metadata';
import { BillingSubjects, type SubscriptionView } from '@trove/contracts';
import { RpcClient } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource } from '../src/data-source';
import { SubscriptionCancellation1764890000000 } from '../src/migrations/1764890000000-SubscriptionCancellation';
import { waitFor } from '../../../test/support/processes';
import { invoiceItem } from '../src/payments/order-payments.consumer';
import { BillingHarness, buyer, line, OPERATOR, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const monthly = { model: 'subscription', period: 'month' } as const;
const PRICE = 100_000;
const BOUGHT_AT = '2026-01-31T04:00:00.000Z';
// 31 January + 1 month is 28 February; then 31 January + 2 months, 31 March (each end is counted from the start).
const FIRST_END = '2026-02-28T04:00:00.000Z';
const SECOND_END = '2026-03-31T04:00:00.000Z';

/**
 * A buyer sees its subscriptions and stops one at the end of the period it paid for: the period
 * runs out, nothing more is charged, and the subscription lapses with the event on which
 * delivery ends the entitlement.
 */
describe('billing: a buyer lists, cancels and resumes its subscriptions', () => {
  let billing: BillingHarness;

  beforeAll(async () => {
    billing = await BillingHarness.start();
  });

  afterAll(async () => {
    await billing?.stop();
  });

  beforeEach(() => billing.clock.set(new Date(BOUGHT_AT)));

  afterEach(async () => {
    await billing.invoices.numberPending();
    expect(await billing.violations()).toEqual([]);
  });

  /** A buyer with `funds` fen subscribed monthly (bought at the clock's now). */
  async function subscribe(funds = 1_000_000, subscriber = buyer()) {
    if (funds > 0) await billing.fund(subscriber, funds);
    const placed = order(subscriber.organizationId, [line(vendor().organizationId, PRICE, 'CNY', monthly)]);
    expect(await billing.payments.charge(placed)).toMatchObject({ outcome: 'captured' });
    const [subscription] = (await billing.subscriptions.list(subscriber, {})).items.filter((s) => s.orderId === placed.orderId);
    return { subscriber, orderId: placed.orderId, lineId: placed.lines[0].lineId, subscription };
  }

  const entriesOf = async (orderId: string) => (await billing.sql.query(`SELECT kind FROM journal_entry WHERE order_id = $1 ORDER BY created_at`, [orderId])).rows.map((r) => r.kind as string);
  const lapseEvents = async (orderId: string) =>
    (await billing.sql.query(`SELECT payload FROM outbox WHERE subject = 'evt.billing.subscription.lapsed.v1' AND payload->>'orderId' = $1`, [orderId])).rows.map((r) => r.payload);
  const refusal = (work: Promise<unknown>) => work.then(
    () => 'answered',
    (error: { code?: string }) => error.code,
  );

  it('shows a buyer its subscription: price and period, the period paid, the next charge', async () => {
    const { subscriber, orderId, lineId, subscription } = await subscribe();
    expect(subscription).toEqual<SubscriptionView>({
      id: expect.any(String),
      orderId,
      lineId,
      buyerOrganizationId: subscriber.organizationId,
      vendorOrganizationId: expect.any(String),
      datasetId: expect.any(String),
      offerId: expect.any(String),
      price: { amount: PRICE, currency: 'CNY' },
      period: 'month',
      status: 'active',
      subscribedAt: BOUGHT_AT,
      currentPeriodStart: BOUGHT_AT,
      currentPeriodEnd: FIRST_END,
      nextChargeAt: FIRST_END,
      cancelAtPeriodEnd: false,
      cancelledAt: null,
      lapseReason: null,
      renewals: 0,
    });
    expect(await billing.subscriptions.get(subscriber, subscription.id)).toEqual(subscription);

    billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 1, lapsed: 0 });
    expect(await billing.subscriptions.get(subscriber, subscription.id)).toMatchObject({
      subscribedAt: BOUGHT_AT,
      currentPeriodStart: FIRST_END,
      currentPeriodEnd: SECOND_END,
      nextChargeAt: SECOND_END,
      renewals: 1,
    });
  });

  it('names on every renewal invoice what the first invoice named: the listing as it was titled when ordered, and its license', async () => {
    const subscriber = buyer();
    await billing.fund(subscriber, 1_000_000);
    const placedLine = {
      ...line(vendor().organizationId, PRICE, 'CNY', monthly),
      datasetTitle: '中文多轮对话 SFT 数据（月度更新）/ Chinese multi-turn SFT, monthly',
      licenseTemplate: 'commercial',
      termsSha256: 'a'.repeat(64),
    };
    // The line as the order.placed consumer hands it to the charge.
    const placed = order(subscriber.organizationId, [{ ...placedLine, item: invoiceItem(placedLine) }]);
    expect(await billing.payments.charge(placed)).toMatchObject({ outcome: 'captured' });
    billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(placed.orderId)).toEqual({ renewed: 1, lapsed: 0 });
    await billing.invoices.numberPending();
    const invoices = (await billing.invoices.list(subscriber, {})).items.filter((i) => i.orderId === placed.orderId);
    const unitPrice = { amount: PRICE, currency: 'CNY' };
    const named = { datasetTitle: '中文多轮对话 SFT 数据（月度更新）/ Chinese multi-turn SFT, monthly', licenseTemplate: 'commercial', pricingModel: 'subscription', period: 'month', quantity: 1, unitPrice };
    // Each invoice also says the month it pays for: the first from the charge, the renewal the next.
    expect(invoices.map((i) => i.lines.map((l) => l.item)).sort((a, b) => a[0]!.periodStart!.localeCompare(b[0]!.periodStart!))).toEqual([
      [{ ...named, periodStart: BOUGHT_AT, periodEnd: FIRST_END }],
      [{ ...named, periodStart: FIRST_END, periodEnd: SECOND_END }],
    ]);
    // A subscription of an order placed before titles were recorded renews as it always did.
    const { orderId } = await subscribe();
    billing.clock.set(new Date('2026-04-02T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 1, lapsed: 0 });
    await billing.invoices.numberPending();
    const renewals = (await billing.sql.query(`SELECT lines FROM invoice WHERE order_id = $1 AND lines->0 ? 'item' ORDER BY lines->0->'item'->>'periodStart'`, [orderId])).rows;
    expect(renewals.map((r: { lines: { item: unknown }[] }) => r.lines.map((l) => l.item))).toEqual([
      // Subscribed at the clock's 1 March above: its renewal pays for April.
      [{ pricingModel: 'subscription', period: 'month', periodStart: '2026-04-01T00:00:00.000Z', periodEnd: '2026-05-01T00:00:00.000Z', quantity: 1, unitPrice }],
    ]);
  });

  it('cancels at the period end: the month paid runs, nothing more is charged, and the subscription lapses with the event that ends the entitlement', async () => {
    const { subscriber, orderId, lineId, subscription } = await subscribe();
    const control = await subscribe();
    billing.clock.set(new Date('2026-02-10T09:30:00.000Z'));

    const cancelled = await billing.subscriptions.cancel(subscriber, subscription.id);
    expect(cancelled).toEqual({ ...subscription, cancelAtPeriodEnd: true, cancelledAt: '2026-02-10T09:30:00.000Z', nextChargeAt: null });
    // Asked again (a retry), the same answer; nothing changes.
    billing.clock.set(new Date('2026-02-11T00:00:00.000Z'));
    expect(await billing.subscriptions.cancel(subscriber, subscription.id)).toEqual(cancelled);

    // Before the end nothing is due; the entitlement stays.
    expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 0, lapsed: 0 });
    expect(await lapseEvents(orderId)).toEqual([]);

    // Billing was down: two periods are due at once. Neither is charged.
    billing.clock.set(new Date('2026-04-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await billing.subscriptions.renewDue(control.orderId)).toEqual({ renewed: 2, lapsed: 0 });
    expect(await billing.walletBalance(subscriber.organizationId)).toBe(1_000_000 - PRICE);
    expect(await entriesOf(orderId)).toEqual(['charge']);
    const lapsed = await billing.subscriptions.get(subscriber, subscription.id);
    expect(lapsed).toEqual({ ...cancelled, status: 'lapsed', lapseReason: 'cancelled_by_buyer' });
    expect(await lapseEvents(orderId)).toEqual([{ orderId, lineId }]);

    // Never again: later passes charge nothing; a retried cancellation answers what it did.
    billing.clock.set(new Date('2026-09-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 0, lapsed: 0 });
    expect(await billing.subscriptions.cancel(subscriber, subscription.id)).toEqual(lapsed);
    expect(await entriesOf(orderId)).toEqual(['charge']);
    expect(await billing.subscriptions.resume(subscriber, subscription.id).catch((e: { code: string }) => e.code)).toBe('INVALID_STATE');
  });

  it('refuses to cancel one that lapsed otherwise or was refunded (INVALID_STATE), and another organization\'s is NOT_FOUND', async () => {
    const broke = await subscribe(PRICE);
    billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(broke.orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await refusal(billing.subscriptions.cancel(broke.subscriber, broke.subscription.id))).toBe('INVALID_STATE');
    expect(await billing.subscriptions.get(broke.subscriber, broke.subscription.id)).toMatchObject({ status: 'lapsed', lapseReason: 'insufficient_funds', cancelAtPeriodEnd: false, nextChargeAt: null });

    billing.clock.set(new Date(BOUGHT_AT));
    const refunded = await subscribe();
    await billing.payments.refund(refunded.orderId);
    expect(await billing.subscriptions.get(refunded.subscriber, refunded.subscription.id)).toMatchObject({ status: 'refunded', nextChargeAt: null });
    expect(await refusal(billing.subscriptions.cancel(refunded.subscriber, refunded.subscription.id))).toBe('INVALID_STATE');
    // Also when the buyer had cancelled it before the refund: the refund, not the cancel, ended it.
    const cancelledThenRefunded = await subscribe();
    await billing.subscriptions.cancel(cancelledThenRefunded.subscriber, cancelledThenRefunded.subscription.id);
    await billing.payments.refund(cancelledThenRefunded.orderId);
    expect(await refusal(billing.subscriptions.cancel(cancelledThenRefunded.subscriber, cancelledThenRefunded.subscription.id))).toBe('INVALID_STATE');

    const mine = await subscribe();
    const stranger = buyer();
    expect(await refusal(billing.subscriptions.cancel(stranger, mine.subscription.id))).toBe('NOT_FOUND');
    expect(await refusal(billing.subscriptions.resume(stranger, mine.subscription.id))).toBe('NOT_FOUND');
    expect(await refusal(billing.subscriptions.get(stranger, mine.subscription.id))).toBe('NOT_FOUND');
    expect(await refusal(billing.subscriptions.cancel(mine.subscriber, randomUUID()))).toBe('NOT_FOUND');
    expect(await billing.subscriptions.get(mine.subscriber, mine.subscription.id)).toMatchObject({ cancelAtPeriodEnd: false, nextChargeAt: FIRST_END });
  });

  it('resumes before the period ends (renewals go on), not after it', async () => {
    const { subscriber, orderId, subscription } = await subscribe();
    // Resuming what was never cancelled answers it as it is.
    expect(await billing.subscriptions.resume(subscriber, subscription.id)).toEqual(subscription);
    await billing.subscriptions.cancel(subscriber, subscription.id);
    expect(await billing.subscriptions.resume(subscriber, subscription.id)).toEqual(subscription);
    billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 1, lapsed: 0 });
    expect(await entriesOf(orderId)).toEqual(['charge', 'renewal']);

    // Cancelled, and the period ended before the renewal pass came by: too late to resume.
    await billing.subscriptions.cancel(subscriber, subscription.id);
    billing.clock.set(new Date(SECOND_END));
    expect(await refusal(billing.subscriptions.resume(subscriber, subscription.id))).toBe('INVALID_STATE');
    expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 0, lapsed: 1 });
    expect(await entriesOf(orderId)).toEqual(['charge', 'renewal']);
  });

  it('pages a buyer\'s own subscriptions newest first, by status; an operator sees every organization\'s', async () => {
    const subscriber = buyer();
    await billing.fund(subscriber, 10 * PRICE);
    const ids: string[] = [];
    for (let day = 1; day <= 5; day++) {
      billing.clock.set(new Date(`2026-01-0${day}T08:00:00.000Z`));
      ids.push((await subscribe(0, subscriber)).subscription.id);
    }
    const neighbour = await subscribe();
    await billing.subscriptions.cancel(subscriber, ids[1]);
    await billing.payments.refund((await billing.subscriptions.get(subscriber, ids[3])).orderId);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await billing.subscriptions.list(subscriber, { limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect((await billing.subscriptions.list(subscriber, { status: 'refunded' })).items.map((s) => s.id)).toEqual([ids[3]]);
    expect((await billing.subscriptions.list(subscriber, { status: 'active' })).items.map((s) => s.id)).toEqual([ids[4], ids[2], ids[1], ids[0]]);
    // A buyer naming another organization still sees its own alone.
    expect((await billing.subscriptions.list(subscriber, { organizationId: neighbour.subscriber.organizationId })).items.map((s) => s.id)).toEqual([...ids].reverse());

    expect((await billing.subscriptions.list(OPERATOR, { organizationId: neighbour.subscriber.organizationId })).items.map((s) => s.id)).toEqual([neighbour.subscription.id]);
    const everyone = (await billing.subscriptions.list(OPERATOR, { limit: 100 })).items.map((s) => s.id);
    expect(everyone).toEqual(expect.arrayContaining([...ids, neighbour.subscription.id]));
    expect(await billing.subscriptions.get(OPERATOR, ids[0])).toMatchObject({ id: ids[0], buyerOrganizationId: subscriber.organizationId });
    expect(await refusal(billing.subscriptions.list(subscriber, { cursor: 'bm90LWEtY3Vyc29y' }))).toBe('VALIDATION_FAILED');
  });

  it('answers on the bus to the buyer and operators alone, each scoped as over the API', async () => {
    const { subscriber, subscription } = await subscribe();
    const rpc = billing.app.get(RpcClient);
    const page = await billing.as(subscriber, () => rpc.send(BillingSubjects.listSubscriptions, {}));
    expect(page.items.map((s) => s.id)).toEqual([subscription.id]);
    expect(await billing.as(subscriber, () => rpc.send(BillingSubjects.cancelSubscription, { subscriptionId: subscription.id }, { idempotencyKey: randomUUID() }))).toMatchObject({ cancelAtPeriodEnd: true });
    expect(await refusal(billing.as(vendor(), () => rpc.send(BillingSubjects.getSubscription, { subscriptionId: subscription.id })))).toBe('FORBIDDEN');
    expect(await refusal(billing.as(OPERATOR, () => rpc.send(BillingSubjects.cancelSubscription, { subscriptionId: subscription.id }, { idempotencyKey: randomUUID() })))).toBe('FORBIDDEN');
    expect(await billing.as(OPERATOR, () => rpc.send(BillingSubjects.getSubscription, { subscriptionId: subscription.id }))).toMatchObject({ id: subscription.id });
  });

  describe('a cancellation racing the renewal of the same subscription', () => {
    let holder: Client;

    beforeEach(async () => {
      holder = new Client({ connectionString: billing.db.url });
      await holder.connect();
    });

    afterEach(async () => {
      await holder.end();
    });

    /** Resolves once `count` of billing's statements wait for a row lock. */
    const waitingOnLocks = (count: number) =>
      waitFor(`${count} statements waiting for a row lock`, async () => {
        const rows = (await billing.sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows;
        return rows[0].n >= count;
      });

    it('a renewal that comes while the cancellation holds the row skips it, and later lapses it without a charge', async () => {
      const { subscriber, orderId, subscription } = await subscribe();
      billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
      // The period is due; the cancellation is the first to take the row (held here while it waits).
      await holder.query('BEGIN');
      await holder.query(`SELECT id FROM subscription WHERE id = $1 FOR UPDATE`, [subscription.id]);
      const cancelling = billing.subscriptions.cancel(subscriber, subscription.id);
      await waitingOnLocks(1);
      expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 0, lapsed: 0 });
      await holder.query('COMMIT');
      expect(await cancelling).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, currentPeriodEnd: FIRST_END });

      expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 0, lapsed: 1 });
      expect(await entriesOf(orderId)).toEqual(['charge']);
      expect(await billing.walletBalance(subscriber.organizationId)).toBe(1_000_000 - PRICE);
    });

    it('a cancellation that comes while the renewal holds the row waits for it: the period due is charged and served, and the next is not', async () => {
      const { subscriber, orderId, subscription } = await subscribe();
      billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
      // The renewal locks the subscription, then waits for the buyer's wallet, held here.
      await holder.query('BEGIN');
      await holder.query(
        `SELECT w.account_id FROM account a JOIN wallet_balance w ON w.account_id = a.id WHERE a.type = 'wallet' AND a.organization_id = $1 FOR UPDATE OF w`,
        [subscriber.organizationId],
      );
      const renewing = billing.subscriptions.renewDue(orderId);
      await waitingOnLocks(1);
      const cancelling = billing.subscriptions.cancel(subscriber, subscription.id);
      await waitingOnLocks(2);
      await holder.query('COMMIT');
      expect(await renewing).toEqual({ renewed: 1, lapsed: 0 });
      expect(await cancelling).toMatchObject({ status: 'active', cancelAtPeriodEnd: true, currentPeriodStart: FIRST_END, currentPeriodEnd: SECOND_END, nextChargeAt: null });
      expect(await entriesOf(orderId)).toEqual(['charge', 'renewal']);

      billing.clock.set(new Date('2026-04-01T00:00:00.000Z'));
      expect(await billing.subscriptions.renewDue(orderId)).toEqual({ renewed: 0, lapsed: 1 });
      expect(await entriesOf(orderId)).toEqual(['charge', 'renewal']);
      expect(await billing.walletBalance(subscriber.organizationId)).toBe(1_000_000 - 2 * PRICE);
    });
  });
});

describe('billing: the migration that lets buyers see and cancel their subscriptions', () => {
  it('gives existing subscriptions the start of their period and of the subscription, and refuses to go down while one is cancelled', async () => {
    const billing = await BillingHarness.start();
    const dataSource = createDataSource(billing.db.url);
    try {
      const subscribeAt = async (at: string) => {
        billing.clock.set(new Date(at));
        const subscriber = buyer();
        await billing.fund(subscriber, 10 * PRICE);
        const placed = order(subscriber.organizationId, [line(vendor().organizationId, PRICE, 'CNY', monthly)]);
        await billing.payments.charge(placed);
        return { subscriber, orderId: placed.orderId };
      };
      const renewed = await subscribeAt('2026-01-15T04:00:00.000Z');
      const endOfMonth = await subscribeAt(BOUGHT_AT);
      billing.clock.set(new Date('2026-02-20T00:00:00.000Z'));
      expect(await billing.subscriptions.renewDue(renewed.orderId)).toEqual({ renewed: 1, lapsed: 0 });

      await dataSource.initialize();
      const migration = new SubscriptionCancellation1764890000000();
      const runner = dataSource.createQueryRunner();
      await migration.down(runner);
      await migration.up(runner);

      const [again] = (await billing.subscriptions.list(renewed.subscriber, {})).items;
      expect(again).toMatchObject({ currentPeriodStart: '2026-02-15T04:00:00.000Z', currentPeriodEnd: '2026-03-15T04:00:00.000Z', renewals: 1, cancelAtPeriodEnd: false });
      // After a renewal the subscription began with its order's charge.
      expect(again.subscribedAt).toEqual((await billing.sql.query(`SELECT created_at FROM journal_entry WHERE order_id = $1 AND kind = 'charge'`, [renewed.orderId])).rows[0].created_at.toISOString());
      // A month that began on the 31st and ended on 28 February reads as begun on the 28th (the limit the migration states).
      const [clamped] = (await billing.subscriptions.list(endOfMonth.subscriber, {})).items;
      expect(clamped).toMatchObject({ subscribedAt: '2026-01-28T04:00:00.000Z', currentPeriodStart: '2026-01-28T04:00:00.000Z', currentPeriodEnd: FIRST_END });

      await billing.subscriptions.cancel(endOfMonth.subscriber, clamped.id);
      await expect(migration.down(runner)).rejects.toThrow(/1 subscriptions were cancelled by their buyers/);
      await runner.release();
      expect(await billing.subscriptions.get(endOfMonth.subscriber, clamped.id)).toMatchObject({ cancelAtPeriodEnd: true });
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await billing.stop();
    }
  });
});
