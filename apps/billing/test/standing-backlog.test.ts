import 'reflect-metadata';
import { BillingErrorCode, CommonErrorCode, type OrganizationStatus } from '@trove/contracts';
import { EventConsumers } from '@trove/messaging';
import type { NatsConnection } from 'nats';
import { connectNats, publishOrganizationStatus } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { BillingHarness, buyer, line, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const monthly = { model: 'subscription', period: 'month' } as const;
const PRICE = 459_900;

/**
 * Billing decides from what it last applied of the gateway's and the catalog's events whether a
 * vendor may be paid and a subscription renewed. Events published while billing was down wait
 * in the stream until it applies them: until then it neither renews nor approves a payout.
 * Here the suspension is held unapplied deterministically: it arrives ahead of the organization's
 * earlier change and waits for it, as an event of a backlog waits for its turn.
 */
describe('billing: nothing charged or paid out on standing it has not caught up with', () => {
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

  const statusChanged = (organizationId: string, status: OrganizationStatus, changedAt: string, seq: number) =>
    publishOrganizationStatus(nc, billing.namespace, { organizationId, status, changedAt, seq });
  const applied = async (id: string) => (await billing.sql.query(`SELECT 1 FROM inbox WHERE event_id = $1`, [id])).rows.length > 0;
  const entriesOf = async (orderId: string) => (await billing.sql.query(`SELECT kind FROM journal_entry WHERE order_id = $1 ORDER BY created_at`, [orderId])).rows.map((r) => r.kind as string);

  it('puts the renewal pass off and refuses payout approvals (503) until the suspension of the vendor is applied; then lapses and holds as for any suspension', async () => {
    const 标贝 = vendor();
    const 科大讯飞 = buyer();
    billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
    await billing.fund(科大讯飞, 2_000_000);
    const subscription = order(科大讯飞.organizationId, [line(标贝.organizationId, PRICE, 'CNY', monthly)]);
    expect(await billing.payments.charge(subscription)).toMatchObject({ outcome: 'captured' });
    const payout = await billing.wallets.requestPayout(标贝, { amount: { amount: 300_000, currency: 'CNY' } });

    // 标贝 signed up (billing applied it); an operator approved it, then suspended it, and the
    // suspension reaches billing before the approval: it waits for it, unapplied.
    const signup = await statusChanged(标贝.organizationId, 'pending', '2025-11-28T02:00:00.000Z', 1);
    await waitFor('billing to apply the sign-up', () => applied(signup), 15_000);
    const suspension = await statusChanged(标贝.organizationId, 'suspended', '2026-02-10T09:00:00.000Z', 3);
    billing.clock.set(new Date('2026-03-01T00:00:00.000Z'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await applied(suspension)).toBe(false);

    // The period due is not charged, and the payout is not paid: both wait for the suspension.
    expect(await billing.subscriptions.renewalPass()).toEqual({ renewed: 0, lapsed: 0 });
    await expect(billing.subscriptions.renewDueForOperator(subscription.orderId)).rejects.toMatchObject({ code: CommonErrorCode.SERVICE_UNAVAILABLE });
    await expect(billing.wallets.approvePayout(payout.id)).rejects.toMatchObject({
      code: CommonErrorCode.SERVICE_UNAVAILABLE,
      message: expect.stringContaining('organization-statuses'),
    });
    expect(await entriesOf(subscription.orderId)).toEqual(['charge']);
    expect(await billing.walletBalance(科大讯飞.organizationId)).toBe(2_000_000 - PRICE);
    expect((await billing.sql.query(`SELECT status FROM payout WHERE id = $1`, [payout.id])).rows[0].status).toBe('pending');

    // The earlier change arrives; billing applies both, and decides on the standing as it is.
    const approval = await statusChanged(标贝.organizationId, 'active', '2025-12-01T02:00:00.000Z', 2);
    await waitFor('billing to apply both status changes', async () => (await applied(approval)) && (await applied(suspension)), 15_000);
    await waitFor('the consumer to acknowledge them', async () => (await billing.app.get(EventConsumers).caughtUp(['organization-statuses'])).caughtUp, 15_000);
    expect(await billing.subscriptions.renewalPass()).toEqual({ renewed: 0, lapsed: 1 });
    expect(await entriesOf(subscription.orderId)).toEqual(['charge']);
    await expect(billing.wallets.approvePayout(payout.id)).rejects.toMatchObject({ code: BillingErrorCode.PAYOUT_HELD });
    await billing.invoices.numberPending();
    expect(await billing.violations()).toEqual([]);
  });
});
