import 'reflect-metadata';
import { OrderingEvents, type OrderPlacedV1 } from '@trove/contracts';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { encodeJson, Namespace, type EventEnvelope } from '@trove/messaging';
import { connectNats } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { BillingHarness, buyer, LISTINGS, vendor } from './billing-harness';

jest.setTimeout(120_000);

/** An ordering event as ordering's relay publishes it: the order's n-th event. */
async function publishOrderEvent(nc: NatsConnection, namespace: string, subject: string, orderId: string, payload: object, seq: number, previous: Record<string, number> = {}) {
  const envelope: EventEnvelope = {
    id: randomUUID(),
    subject,
    occurredAt: new Date().toISOString(),
    producer: 'ordering',
    payload,
    aggregate: { type: 'ordering.order', id: orderId, seq, previous },
  };
  const h = natsHeaders();
  h.set('Nats-Msg-Id', envelope.id);
  await nc.jetstream().publish(new Namespace(namespace).subject(subject), encodeJson(envelope), { headers: h });
}

function placed(buyerOrganizationId: string, vendorOrganizationId: string, price: number): OrderPlacedV1 {
  const orderId = randomUUID();
  return {
    orderId,
    buyerOrganizationId,
    lines: [
      {
        lineId: randomUUID(),
        offerId: randomUUID(),
        datasetId: randomUUID(),
        vendorOrganizationId,
        price: { amount: price, currency: 'CNY' },
        pricing: { model: 'one_time' },
        licenseTemplate: 'commercial',
        termsSha256: '9f1782bb0aa46d20b773450a85d699b12e8beb79fc670c6a0a30380f8ad54737',
      },
    ],
    total: { amount: price, currency: 'CNY' },
    placedAt: new Date().toISOString(),
  };
}

describe('billing: orders arriving as events', () => {
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

  it('with credit for exactly 10 purchases, 50 orders at once: 10 captured, 40 declined, and the wallet never below zero', async () => {
    const 蔚来 = buyer();
    const 数据堂 = vendor();
    const price = LISTINGS[1].price;
    await billing.fund(蔚来, price * 10);
    const orders = Array.from({ length: 50 }, () => placed(蔚来.organizationId, 数据堂.organizationId, price));

    let lowest = Number.MAX_SAFE_INTEGER;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        lowest = Math.min(lowest, await billing.walletBalance(蔚来.organizationId));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all(orders.map((o) => publishOrderEvent(nc, billing.namespace, OrderingEvents.orderPlaced.subject, o.orderId, o, 1)));
    const outcomes = await waitFor('an answer for every order', async () => {
      const rows = (await billing.sql.query(`SELECT subject, payload FROM outbox WHERE subject LIKE '%evt.billing.payment.%'`)).rows as { subject: string; payload: { orderId: string } }[];
      return rows.length >= 50 && rows;
    }, 60_000);
    watching = false;
    await watcher;

    expect(outcomes.filter((r) => r.subject.endsWith('payment.captured.v1'))).toHaveLength(10);
    const declined = outcomes.filter((r) => r.subject.endsWith('payment.declined.v1'));
    expect(declined).toHaveLength(40);
    expect(declined[0].payload).toMatchObject({ reason: 'INSUFFICIENT_FUNDS' });
    expect(new Set(outcomes.map((r) => r.payload.orderId)).size).toBe(50);
    expect(await billing.walletBalance(蔚来.organizationId)).toBe(0);
    expect(lowest).toBeGreaterThanOrEqual(0);
    expect(await billing.payable(数据堂.organizationId)).toBe(10 * (price - Math.round(price * 0.2)));
    expect(await billing.violations()).toEqual([]);
  });

  it('a refund request after the order reverses its charge; even when the request is delivered before the order', async () => {
    const 理想 = buyer();
    const 澳鹏 = vendor();
    await billing.fund(理想, 1_000_000);
    const order = placed(理想.organizationId, 澳鹏.organizationId, LISTINGS[3].price);
    // The refund request arrives first: it waits for the order's charge, by the order's event numbers.
    await publishOrderEvent(nc, billing.namespace, OrderingEvents.orderRefundRequested.subject, order.orderId, { orderId: order.orderId, reason: '样本与数据不符' }, 2, {
      [OrderingEvents.orderPlaced.subject]: 1,
    });
    await publishOrderEvent(nc, billing.namespace, OrderingEvents.orderPlaced.subject, order.orderId, order, 1);
    await waitFor('the refund', async () => (await billing.sql.query(`SELECT 1 FROM outbox WHERE subject LIKE '%payment.refunded.v1' AND payload->>'orderId' = $1`, [order.orderId])).rows.length > 0);
    expect(await billing.walletBalance(理想.organizationId)).toBe(1_000_000);
    // The refund reverses the charge. (Not ordered by created_at: that is each transaction's
    // start, and the refund's may start while it waits for the charge to commit.)
    const entries = (await billing.sql.query(`SELECT id, kind, reverses_entry_id FROM journal_entry WHERE order_id = $1 ORDER BY kind`, [order.orderId])).rows;
    expect(entries.map((e) => e.kind)).toEqual(['charge', 'refund']);
    expect(entries[1].reverses_entry_id).toBe(entries[0].id);
    expect(await billing.violations()).toEqual([]);
  });
});
