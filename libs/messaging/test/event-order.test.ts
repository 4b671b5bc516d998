import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { decodeJson, Namespace, OutboxRelay, writeOutboxEvent, type EventEnvelope } from '@trove/messaging';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { connectNats, deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { NodeProcess, waitFor } from '../../../test/support/processes';
import { startService, type ServiceEnv } from './messaging-harness';
import {
  behaviour,
  DATASETS,
  ENTITLEMENT_LOG,
  envelope,
  OrderEntitlements,
  OrderPaid,
  OrderPlaced,
  OrderRefunded,
  paid,
  publishRaw,
  refunded,
} from './order-events';

jest.setTimeout(120_000);

interface LogRow {
  order_id: string;
  event_id: string;
  subject: string;
  seq: number | null;
}

describe('events of one aggregate, in the order they were written', () => {
  let database: TestDatabase;
  let env: ServiceEnv;
  let nc: NatsConnection;
  const running: TestingModule[] = [];
  const processes: NodeProcess[] = [];

  async function startConsumer(): Promise<TestingModule> {
    // Its own relay never sweeps, and its claim at start is over before this returns: only the
    // relays a test starts publish the outbox.
    const moduleRef = await startService(env, { service: 'delivery', providers: [OrderEntitlements], messaging: { ackWaitMs: 5000, outboxSweepMs: 3_600_000 } });
    running.push(moduleRef);
    await moduleRef.get(OutboxRelay).drain();
    return moduleRef;
  }

  function relay(extra: Record<string, string> = {}): NodeProcess {
    const process = new NodeProcess('dist/test/fixtures/outbox-relay.js', {
      DATABASE_URL: database.url,
      NATS_URL,
      TROVE_NAMESPACE: env.namespace,
      LOG_LEVEL: 'error',
      ...extra,
    }).start();
    processes.push(process);
    return process;
  }

  async function log(): Promise<LogRow[]> {
    return withDatabase(database.url, async (client) => (await client.query(`SELECT order_id, event_id, subject, seq FROM entitlement_log ORDER BY applied`)).rows as LogRow[]);
  }

  async function consumerIdle(): Promise<void> {
    const jsm = await nc.jetstreamManager();
    await waitFor('the consumer to catch up', async () => {
      const info = await jsm.consumers.info(new Namespace(env.namespace).stream, 'delivery_order-entitlements');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, 60_000);
  }

  /** Every message in the stream, in stream order. */
  async function streamContents(): Promise<EventEnvelope[]> {
    const jsm = await nc.jetstreamManager();
    const stream = new Namespace(env.namespace).stream;
    const { state } = await jsm.streams.info(stream);
    const envelopes: EventEnvelope[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      envelopes.push(decodeJson((await jsm.streams.getMessage(stream, { seq })).data) as EventEnvelope);
    }
    return envelopes;
  }

  /** Writes events into the outbox as a producer's transactions do, without publishing them. */
  async function writeEvents(write: (tx: <P extends object>(event: typeof OrderPaid | typeof OrderPlaced | typeof OrderRefunded, payload: P) => Promise<string>) => Promise<void>): Promise<void> {
    const producer = await startService(env, { service: 'ordering', messaging: { outboxSweepMs: 3_600_000 } });
    try {
      // A relay claims once as it starts, without being awaited: let that claim end before the
      // first write, or it may publish the first events the test meant to leave to its relays.
      await producer.get(OutboxRelay).drain();
      const dataSource = producer.get(DataSource);
      await write((event, payload) => dataSource.transaction((manager) => writeOutboxEvent(manager, event as never, payload as never)));
    } finally {
      await producer.close();
    }
  }

  beforeEach(async () => {
    behaviour.reset();
    database = await createAppDatabase('delivery', 'event_order');
    await withDatabase(database.url, (client) => client.query(ENTITLEMENT_LOG));
    env = { databaseUrl: database.url, namespace: newNamespace(), natsUrl: NATS_URL };
    nc = await connectNats();
  });

  afterEach(async () => {
    for (const process of processes.splice(0)) await process.stop();
    for (const moduleRef of running.splice(0)) await moduleRef.close();
    await nc.close();
    await deleteStream(env.namespace);
    await database.drop();
  });

  it('numbers each aggregate’s events as they are written, with the latest earlier event per subject', async () => {
    const orderId = randomUUID();
    await writeEvents(async (write) => {
      await write(OrderPlaced, { orderId, datasetTitle: DATASETS[0] });
      await write(OrderPaid, paid(orderId));
      await write(OrderPaid, paid(orderId, 640_000));
      await write(OrderRefunded, refunded(orderId));
    });
    const rows = await withDatabase(database.url, async (client) =>
      (await client.query(`SELECT subject, aggregate_type, aggregate_id, aggregate_seq::int AS seq, aggregate_previous FROM outbox ORDER BY seq`)).rows,
    );
    expect(rows).toEqual([
      { subject: OrderPlaced.subject, aggregate_type: 'ordering.order', aggregate_id: orderId, seq: 1, aggregate_previous: {} },
      { subject: OrderPaid.subject, aggregate_type: 'ordering.order', aggregate_id: orderId, seq: 2, aggregate_previous: { [OrderPlaced.subject]: 1 } },
      { subject: OrderPaid.subject, aggregate_type: 'ordering.order', aggregate_id: orderId, seq: 3, aggregate_previous: { [OrderPlaced.subject]: 1, [OrderPaid.subject]: 2 } },
      {
        subject: OrderRefunded.subject,
        aggregate_type: 'ordering.order',
        aggregate_id: orderId,
        seq: 4,
        aggregate_previous: { [OrderPlaced.subject]: 1, [OrderPaid.subject]: 3 },
      },
    ]);
  });

  it('keeps each order’s events in write order on the stream when two relays publish at once', async () => {
    // A few busy orders with many events each, interleaved as a busy market writes them, so
    // that the two replicas' small claims keep taking neighbouring events of the same order.
    const orders = Array.from({ length: 4 }, () => randomUUID());
    const rounds = 30;
    await writeEvents(async (write) => {
      for (const orderId of orders) await write(OrderPlaced, { orderId, datasetTitle: DATASETS[orders.indexOf(orderId) % DATASETS.length] });
      for (let round = 1; round < rounds; round++) {
        for (const orderId of orders) await write(OrderPaid, paid(orderId, 10_000 * round));
      }
    });
    relay({ OUTBOX_BATCH_SIZE: '3' });
    relay({ OUTBOX_BATCH_SIZE: '3' });
    await waitFor('every event to be published', async () =>
      withDatabase(database.url, async (client) => (await client.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)).rows[0].n === 0),
    60_000);

    const stream = await streamContents();
    expect(stream).toHaveLength(orders.length * rounds);
    expect(new Set(stream.map((e) => e.id)).size).toBe(orders.length * rounds);
    const inOrder = Array.from({ length: rounds }, (_, i) => i + 1);
    for (const orderId of orders) {
      const seqs = stream.filter((e) => e.aggregate?.id === orderId).map((e) => e.aggregate!.seq);
      expect({ orderId, seqs }).toEqual({ orderId, seqs: inOrder });
    }
  });

  it('applies an order’s refund after its payment when the refund reaches the stream first', async () => {
    await startConsumer();
    const orders = Array.from({ length: 30 }, () => randomUUID());
    // Each order's refund (seq 2) is on the stream before its payment (seq 1), so a consumer
    // taking 16 at a time sees the refund first.
    for (const orderId of orders) {
      await publishRaw(nc, env.namespace, OrderRefunded.subject, envelope(OrderRefunded.subject, refunded(orderId), { id: orderId, seq: 2, previous: { [OrderPaid.subject]: 1 } }));
    }
    for (const orderId of orders) {
      await publishRaw(nc, env.namespace, OrderPaid.subject, envelope(OrderPaid.subject, paid(orderId), { id: orderId, seq: 1, previous: {} }));
    }
    await waitFor('every event to be applied', async () => (await log()).length === orders.length * 2, 60_000);
    await consumerIdle();
    const applied = await log();
    expect(applied).toHaveLength(orders.length * 2);
    for (const orderId of orders) {
      expect(applied.filter((row) => row.order_id === orderId).map((row) => row.subject)).toEqual([OrderPaid.subject, OrderRefunded.subject]);
    }
  });

  it('gives no place in an order’s history to an envelope its producer cannot have written', async () => {
    await startConsumer();
    const orderId = randomUUID();
    await publishRaw(nc, env.namespace, OrderPaid.subject, envelope(OrderPaid.subject, paid(orderId), { id: orderId, seq: 1, previous: {} }));
    await waitFor('the payment to be applied', async () => (await log()).length === 1);
    // A copy of the payment that claims to be the order's last event ever: taken, it moved the
    // consumer's position so far that the real refund was acknowledged as a duplicate.
    await publishRaw(nc, env.namespace, OrderPaid.subject, envelope(OrderPaid.subject, paid(orderId), { id: orderId, seq: Number.MAX_SAFE_INTEGER, previous: {} }));
    await publishRaw(nc, env.namespace, OrderPaid.subject, envelope(OrderPaid.subject, paid(orderId), { id: orderId, seq: 900, previous: { [OrderPaid.subject]: 1 } }));
    // One whose aggregate is another order than its payload's, and one of another kind of aggregate.
    await publishRaw(nc, env.namespace, OrderPaid.subject, envelope(OrderPaid.subject, paid(orderId), { id: randomUUID(), seq: 2, previous: { [OrderPaid.subject]: 1 } }));
    await publishRaw(nc, env.namespace, OrderPaid.subject, { ...envelope(OrderPaid.subject, paid(orderId)), aggregate: { type: 'billing.wallet', id: orderId, seq: 2, previous: { [OrderPaid.subject]: 1 } } });
    await publishRaw(nc, env.namespace, OrderRefunded.subject, envelope(OrderRefunded.subject, refunded(orderId), { id: orderId, seq: 2, previous: { [OrderPaid.subject]: 1 } }));
    await waitFor('the refund to be applied', async () => (await log()).length === 2, 60_000);
    await consumerIdle();
    expect((await log()).map((row) => [row.order_id, row.subject])).toEqual([
      [orderId, OrderPaid.subject],
      [orderId, OrderRefunded.subject],
    ]);
    const dead = await withDatabase(database.url, async (client) => (await client.query(`SELECT reason, error FROM dead_letter ORDER BY dead_at`)).rows as { reason: string; error: string }[]);
    expect(dead.map((letter) => letter.reason)).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    expect(dead[0].error).toContain('does not follow its latest earlier event (0)');
  });

  it('holds an order’s refund back while its payment fails and is redelivered, and applies both once', async () => {
    await startConsumer();
    const stuck = randomUUID();
    const others: string[] = Array.from({ length: 5 }, () => randomUUID());
    behaviour.failuresLeft.set(stuck, 3);
    for (const orderId of [stuck, ...others]) {
      await publishRaw(nc, env.namespace, OrderPaid.subject, envelope(OrderPaid.subject, paid(orderId), { id: orderId, seq: 1, previous: {} }));
      await publishRaw(nc, env.namespace, OrderRefunded.subject, envelope(OrderRefunded.subject, refunded(orderId), { id: orderId, seq: 2, previous: { [OrderPaid.subject]: 1 } }));
    }
    // The other orders go on meanwhile: one stuck order holds back only itself.
    await waitFor('the other orders to be applied', async () => (await log()).filter((r) => others.includes(r.order_id)).length === others.length * 2);
    expect((await log()).filter((r) => r.order_id === stuck)).toEqual([]);

    await waitFor('the stuck order to be applied', async () => (await log()).filter((r) => r.order_id === stuck).length === 2, 60_000);
    await consumerIdle();
    expect(behaviour.failures.get(stuck)).toBe(3);
    const applied = await log();
    expect(applied.filter((r) => r.order_id === stuck).map((r) => r.subject)).toEqual([OrderPaid.subject, OrderRefunded.subject]);
    expect(applied).toHaveLength((others.length + 1) * 2);
    // The failures were counted and then forgotten once the event went through.
    const attempts = await withDatabase(database.url, async (client) => (await client.query(`SELECT count(*)::int AS n FROM event_attempt`)).rows[0].n);
    expect(attempts).toBe(0);
  });

  it('publishes again, and applies once, what a relay published but died before marking', async () => {
    await startConsumer();
    const orders = Array.from({ length: 12 }, () => randomUUID());
    await writeEvents(async (write) => {
      for (const orderId of orders) {
        await write(OrderPaid, paid(orderId));
        await write(OrderRefunded, refunded(orderId));
      }
    });
    const pending = () =>
      withDatabase(database.url, async (client) => (await client.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)).rows[0].n as number);

    const dying = relay({ OUTBOX_BATCH_SIZE: '100', OUTBOX_LEASE_MS: '1500', OUTBOX_DIE_BEFORE_MARK: '1' });
    const exit = await dying.exit(30_000);
    expect(exit.signal).toBe('SIGKILL');
    expect(dying.output).toContain('dying before marking');
    // On the stream and applied, yet still pending in the outbox: the one window a crash can leave.
    await waitFor('the consumer to apply the batch', async () => (await log()).length === orders.length * 2, 60_000);
    expect(await pending()).toBe(orders.length * 2);

    relay({ OUTBOX_LEASE_MS: '1500' });
    await waitFor('the batch to be published again and marked', async () => (await pending()) === 0, 60_000);
    const attempts = await withDatabase(database.url, async (client) => (await client.query(`SELECT DISTINCT attempts FROM outbox`)).rows.map((r) => r.attempts));
    expect(attempts).toEqual([2]);
    await consumerIdle();
    const applied = await log();
    expect(applied).toHaveLength(orders.length * 2);
    expect(new Set(applied.map((r) => r.event_id)).size).toBe(orders.length * 2);
    for (const orderId of orders) {
      expect(applied.filter((r) => r.order_id === orderId).map((r) => r.subject)).toEqual([OrderPaid.subject, OrderRefunded.subject]);
    }
  });
});
