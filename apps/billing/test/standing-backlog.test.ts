import 'reflect-metadata';
import { BillingErrorCode, CommonErrorCode, type OrganizationStatus } from '@trove/contracts';
import { publishOrganizationStatus } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { billingAndNats, buyer, line, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const monthly = { model: 'subscription', period: 'month' } as const;
const PRICE = 459_900;

/**
 * Billing decides from what it applied of the gateway's organization status changes whether a
 * vendor may be paid and a subscription renewed. Two things leave that stale: billing was down
 * while a suspension was published (it waits in the stream), or the suspension ended as a dead
 * letter. In neither case is a period charged or a payout paid on the old standing.
 */
describe('billing: nothing charged or paid out on standing it has not applied', () => {
  const running = billingAndNats();

  afterEach(async () => {
    await running.billing.invoices.numberPending();
    expect(await running.billing.violations()).toEqual([]);
  });

  const statusChanged = (organizationId: string, status: OrganizationStatus, changedAt: string, seq: number) =>
    publishOrganizationStatus(running.nc, running.billing.namespace, { organizationId, status, changedAt, seq });
  const applied = async (id: string) => (await running.billing.sql.query(`SELECT 1 FROM inbox WHERE event_id = $1`, [id])).rows.length > 0;
  const entriesOf = async (orderId: string) => (await running.billing.sql.query(`SELECT kind FROM journal_entry WHERE order_id = $1 ORDER BY created_at`, [orderId])).rows.map((r) => r.kind as string);
  const payoutStatus = async (id: string) => (await running.billing.sql.query(`SELECT status FROM payout WHERE id = $1`, [id])).rows[0].status as string;

  /** A vendor billing knows as signed up, a buyer subscribed monthly to it, and a payout the vendor asked for. */
  async function vendorWithSubscriberAndPayout() {
    const 标贝 = vendor();
    const 科大讯飞 = buyer();
    const signup = await statusChanged(标贝.organizationId, 'pending', '2025-11-28T02:00:00.000Z', 1);
    await waitFor('billing to apply the sign-up', () => applied(signup), 15_000);
    running.billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
    await running.billing.fund(科大讯飞, 2_000_000);
    const subscription = order(科大讯飞.organizationId, [line(标贝.organizationId, PRICE, 'CNY', monthly)]);
    expect(await running.billing.payments.charge(subscription)).toMatchObject({ outcome: 'captured' });
    const payout = await running.billing.wallets.requestPayout(标贝, { amount: { amount: 300_000, currency: 'CNY' } });
    return { 标贝, 科大讯飞, subscription, payout };
  }

  it('after a restart, puts the renewal pass off and refuses payout approvals (503) until the suspension published while it was down is applied; then lapses and holds as for any suspension', async () => {
    const { 标贝, 科大讯飞, subscription, payout } = await vendorWithSubscriberAndPayout();

    // Billing goes down; an operator approves 标贝, then suspends it. The suspension reaches the
    // stream before the approval, so it waits for it: unapplied when billing is back.
    let suspension = '';
    await running.billing.restart(
      async () => {
        suspension = await statusChanged(标贝.organizationId, 'suspended', '2026-02-10T09:00:00.000Z', 3);
      },
      { caughtUp: false },
    );
    running.billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await applied(suspension)).toBe(false);

    // The period due is not charged, and the payout is not paid: both wait for the suspension.
    expect(await running.billing.subscriptions.renewalPass()).toEqual({ renewed: 0, lapsed: 0 });
    await expect(running.billing.subscriptions.renewDueForOperator(subscription.orderId)).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE });
    await expect(running.billing.wallets.approvePayout(payout.id)).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE });
    expect(await entriesOf(subscription.orderId)).toEqual(['charge']);
    expect(await running.billing.walletBalance(科大讯飞.organizationId)).toBe(2_000_000 - PRICE);
    expect(await payoutStatus(payout.id)).toBe('pending');

    // The approval arrives; billing applies both, and decides on the standing as it is.
    const approval = await statusChanged(标贝.organizationId, 'active', '2025-12-01T02:00:00.000Z', 2);
    await waitFor('billing to apply both status changes', async () => (await applied(approval)) && (await applied(suspension)), 15_000);
    await running.billing.caughtUp();
    expect(await running.billing.subscriptions.renewalPass()).toEqual({ renewed: 0, lapsed: 1 });
    expect(await entriesOf(subscription.orderId)).toEqual(['charge']);
    await expect(running.billing.wallets.approvePayout(payout.id)).rejects.toMatchObject({ code: BillingErrorCode.PAYOUT_HELD });
  });

  it('holds the payout and renews nothing of a vendor whose suspension ended as a dead letter; another vendor is paid and renewed as usual', async () => {
    const { 标贝, subscription, payout } = await vendorWithSubscriberAndPayout();
    const other = await vendorWithSubscriberAndPayout();

    // 标贝's next status change is malformed (a dead letter), so its suspension after it is held
    // up by it and ends as a dead letter too: billing never applied it.
    await statusChanged(标贝.organizationId, 'frozen' as OrganizationStatus, '2026-02-09T09:00:00.000Z', 2);
    const suspension = await statusChanged(标贝.organizationId, 'suspended', '2026-02-10T09:00:00.000Z', 3);
    const deadLetters = async () => (await running.billing.sql.query(`SELECT event_id, reason FROM dead_letter WHERE aggregate_id = $1 ORDER BY aggregate_seq`, [标贝.organizationId])).rows;
    await waitFor('both changes to be dead letters', async () => (await deadLetters()).length === 2, 30_000);
    expect((await deadLetters()).map((d) => d.reason)).toEqual(['malformed', 'blocked']);
    expect(await applied(suspension)).toBe(false);

    running.billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
    expect(await running.billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 0 });
    expect(await entriesOf(subscription.orderId)).toEqual(['charge']);
    await expect(running.billing.wallets.approvePayout(payout.id)).rejects.toMatchObject({ code: BillingErrorCode.PAYOUT_HELD, message: expect.stringContaining('dead letter') });
    expect(await payoutStatus(payout.id)).toBe('pending');

    // The other vendor's standing is whole: renewed and paid.
    expect(await running.billing.subscriptions.renewDue(other.subscription.orderId)).toEqual({ renewed: 1, lapsed: 0 });
    expect(await running.billing.wallets.approvePayout(other.payout.id)).toMatchObject({ status: 'paid' });
  });
});
