import { Test, type TestingModule } from '@nestjs/testing';
import { OrderingEvents } from '@trove/contracts';
import { decodeJson, Namespace, UnitOfWork } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from 'nats';
import { AppModule } from '../src/app.module';
import { SagaSweep } from '../src/saga/saga-sweep';
import { connectNats, deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { withEnv } from '../../../test/support/env';

jest.setTimeout(120_000);

/**
 * An order whose `order.placed` never reached billing: the outbox says published, the stream
 * never had it (a lost event). The sweep hands the same event back to the relay.
 */
describe('the saga sweep', () => {
  const namespace = newNamespace();
  const subject = new Namespace(namespace).subject(OrderingEvents.orderPlaced.subject);
  let db: TestDatabase;
  let app: TestingModule;
  let nc: NatsConnection;
  let seen: string[];
  let sub: Subscription;

  beforeAll(async () => {
    db = await createAppDatabase('ordering', 'sweep');
    app = await withEnv({ DATABASE_URL: db.url, NATS_URL, TROVE_NAMESPACE: namespace, LOG_LEVEL: 'silent', ORDER_SWEEP_MS: '3600000', ORDER_REDRIVE_AFTER_MS: '30000' }, async () =>
      (await Test.createTestingModule({ imports: [AppModule] }).setLogger({ log() {}, warn() {}, error() {} }).compile()).init(),
    );
    nc = await connectNats();
    seen = [];
    sub = nc.subscribe(subject, {
      callback: (_error, msg) => seen.push((decodeJson(msg.data) as { id: string }).id),
    });
  });

  afterAll(async () => {
    sub?.unsubscribe();
    await nc?.close();
    await app?.close();
    await db?.drop();
    await deleteStream(namespace);
  });

  /** A placed order waiting for billing since `since`, whose event the stream never got. */
  async function lostOrder(since: Date): Promise<{ orderId: string; eventId: string }> {
    const orderId = randomUUID();
    const price = { amount: 1_280_000, currency: 'CNY' as const };
    const eventId = await app.get(UnitOfWork).run((tx) =>
      tx.publish(OrderingEvents.orderPlaced, {
        orderId,
        buyerOrganizationId: randomUUID(),
        lines: [
          {
            lineId: randomUUID(),
            offerId: randomUUID(),
            datasetId: randomUUID(),
            vendorOrganizationId: randomUUID(),
            price,
            pricing: { model: 'one_time' },
            licenseTemplate: 'commercial',
            termsSha256: 'a'.repeat(64),
          },
        ],
        total: price,
        placedAt: since.toISOString(),
      }),
    );
    await waitFor('the relay to publish the event', async () => seen.includes(eventId));
    await withDatabase(db.url, async (client) => {
      await client.query(
        `INSERT INTO purchase_order (id, buyer_organization_id, status, total_amount, currency, awaiting_event_id, placed_at, updated_at)
         VALUES ($1, gen_random_uuid(), 'pending_payment', $2, 'CNY', $3, $4, $4)`,
        [orderId, price.amount, eventId, since],
      );
    });
    // The stream loses it (JetStream would still drop a repeat of its message id for 10 minutes).
    const jsm = await nc.jetstreamManager();
    await jsm.streams.purge(new Namespace(namespace).stream, { filter: subject });
    seen.length = 0;
    return { orderId, eventId };
  }

  it('publishes the event of an order that waited too long again, with the same id, and leaves a recent one alone', async () => {
    const stuck = await lostOrder(new Date(Date.now() - 60_000));
    const recent = await lostOrder(new Date());

    expect(await app.get(SagaSweep).sweep()).toBe(1);
    await waitFor('the event to be published again', async () => seen.includes(stuck.eventId));
    expect(seen).not.toContain(recent.eventId);
    // ... and the stream took it: a consumer that never had it gets the same event id.
    const stored = await (await nc.jetstreamManager()).streams.getMessage(new Namespace(namespace).stream, { last_by_subj: subject });
    expect((decodeJson(stored.data) as { id: string; payload: { orderId: string } })).toMatchObject({ id: stuck.eventId, payload: { orderId: stuck.orderId } });

    const [row] = await withDatabase(db.url, async (client) => (await client.query(`SELECT redrives, updated_at FROM purchase_order WHERE id = $1`, [stuck.orderId])).rows);
    expect(row.redrives).toBe(1);
    // Waiting starts again: the next pass leaves it alone.
    expect(await app.get(SagaSweep).sweep()).toBe(0);
  });
});
