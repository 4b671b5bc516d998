import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { NatsConnection } from 'nats';
import { DeadLetterResponder, Namespace, SystemHealthResponder } from '@trove/messaging';
import { ConfigError, loadConfig, MetricsService, PlatformConfig } from '@trove/platform';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { connectNats, deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { startService, type ServiceEnv } from './messaging-harness';
import { behaviour, ENTITLEMENT_LOG, envelope, OrderEntitlements, OrderPaid, OrderRefunded, paid, publishRaw, refunded } from './order-events';

jest.setTimeout(120_000);

interface DeadLetterRow {
  id: string;
  consumer: string;
  subject: string;
  event_id: string | null;
  payload: unknown;
  body: string;
  headers: Record<string, string>;
  reason: string;
  error: string;
  attempts: number;
  replayed_at: Date | null;
  replay_outcome: string | null;
}

describe('dead letters: events a consumer gives up on', () => {
  let database: TestDatabase;
  let env: ServiceEnv;
  let nc: NatsConnection;
  let service: TestingModule;

  async function deadLetters(): Promise<DeadLetterRow[]> {
    return withDatabase(database.url, async (client) => (await client.query(`SELECT * FROM dead_letter ORDER BY dead_at, aggregate_seq`)).rows as DeadLetterRow[]);
  }

  async function applied(orderId: string): Promise<string[]> {
    return withDatabase(database.url, async (client) =>
      (await client.query(`SELECT subject FROM entitlement_log WHERE order_id = $1 ORDER BY applied`, [orderId])).rows.map((r) => r.subject as string),
    );
  }

  async function consumerIdle(): Promise<void> {
    const jsm = await nc.jetstreamManager();
    await waitFor('the consumer to have nothing left to deliver', async () => {
      const info = await jsm.consumers.info(new Namespace(env.namespace).stream, 'delivery_order-entitlements');
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.num_redelivered >= 0;
    }, 60_000);
  }

  async function metricsText(): Promise<string> {
    return service.get(MetricsService).registry.metrics();
  }

  beforeEach(async () => {
    behaviour.reset();
    database = await createAppDatabase('delivery', 'dead_letters');
    await withDatabase(database.url, (client) => client.query(ENTITLEMENT_LOG));
    env = { databaseUrl: database.url, namespace: newNamespace(), natsUrl: NATS_URL };
    nc = await connectNats();
    // The validated setting, read from the environment as in production.
    process.env.EVENT_MAX_ATTEMPTS = '3';
    service = await startService(env, { service: 'delivery', providers: [OrderEntitlements], messaging: { ackWaitMs: 5000 } });
  });

  afterEach(async () => {
    delete process.env.EVENT_MAX_ATTEMPTS;
    await service.close();
    await nc.close();
    await deleteStream(env.namespace);
    await database.drop();
  });

  it('moves an event whose handler always fails to the dead letters after EVENT_MAX_ATTEMPTS, and replays it once the handler is fixed', async () => {
    const orderId = randomUUID();
    behaviour.failAlways.add(orderId);
    const event = envelope(OrderPaid.subject, paid(orderId), { id: orderId, seq: 1, previous: {} });
    await publishRaw(nc, env.namespace, OrderPaid.subject, event);

    const [letter] = await waitFor('the dead letter', async () => {
      const rows = await deadLetters();
      return rows.length > 0 ? rows : undefined;
    }, 60_000);
    await consumerIdle();
    expect(behaviour.failures.get(orderId)).toBe(3);
    expect(letter).toMatchObject({
      consumer: 'order-entitlements',
      subject: OrderPaid.subject,
      event_id: event.id,
      payload: paid(orderId),
      reason: 'failed',
      attempts: 3,
      replayed_at: null,
    });
    expect(letter.error).toContain('开通下载权限失败');
    expect(letter.headers['x-correlation-id']).toMatch(/^order-test-/);
    expect(JSON.parse(letter.body)).toEqual(event);
    // Not redelivered any more, and nothing applied.
    expect(await applied(orderId)).toEqual([]);

    // Counted in /metrics and in the health the gateway asks for.
    expect(await metricsText()).toContain('trove_dead_letters{service="delivery",consumer="order-entitlements"} 1');
    expect((await service.get(SystemHealthResponder).health()).deadLetters).toBe(1);

    behaviour.failAlways.delete(orderId);
    const responder = service.get(DeadLetterResponder);
    const replay = await responder.replay({ id: letter.id });
    expect(replay).toMatchObject({ found: true, outcome: 'applied', deadLetter: { id: letter.id, service: 'delivery', replayOutcome: 'applied' } });
    expect(await applied(orderId)).toEqual([OrderPaid.subject]);
    // A second replay is harmless: the inbox knows the event.
    expect(await responder.replay({ id: letter.id })).toMatchObject({ found: true, outcome: 'already-applied' });
    expect(await applied(orderId)).toEqual([OrderPaid.subject]);

    expect(await metricsText()).not.toContain('trove_dead_letters{service="delivery",consumer="order-entitlements"} 1');
    expect((await service.get(SystemHealthResponder).health()).deadLetters).toBe(0);
    expect(await responder.replay({ id: randomUUID() })).toEqual({ found: false });
  });

  it('moves a malformed event to the dead letters at once, keeping the message as it arrived', async () => {
    const orderId = randomUUID();
    await publishRaw(nc, env.namespace, OrderPaid.subject, new TextEncoder().encode('{"id": "not json'));
    const missingAmount = envelope(OrderPaid.subject, { orderId, currency: 'CNY' });
    await publishRaw(nc, env.namespace, OrderPaid.subject, missingAmount);

    const letters = await waitFor('two dead letters', async () => {
      const rows = await deadLetters();
      return rows.length === 2 ? rows : undefined;
    });
    await consumerIdle();
    const notJson = letters.find((l) => l.event_id === null)!;
    const invalid = letters.find((l) => l.event_id === missingAmount.id)!;
    expect(notJson).toMatchObject({ reason: 'malformed', attempts: 1, subject: OrderPaid.subject, body: '{"id": "not json', payload: null });
    expect(notJson.error).toMatch(/not JSON/);
    expect(invalid).toMatchObject({ reason: 'malformed', attempts: 1, payload: { orderId, currency: 'CNY' } });
    expect(invalid.error).toMatch(/amount/);
    expect(behaviour.failures.size).toBe(0);
    expect(await applied(orderId)).toEqual([]);

    // Replaying it cannot help while the handler's contract still refuses it; it says so.
    expect(await service.get(DeadLetterResponder).replay({ id: invalid.id })).toMatchObject({ found: true, outcome: 'malformed' });
    const page = await service.get(DeadLetterResponder).list({ limit: 10 });
    expect(page.items.map((i) => i.id).sort()).toEqual([notJson.id, invalid.id].sort());
    expect(page.items.find((i) => i.id === notJson.id)).toMatchObject({ service: 'delivery', payload: null, body: '{"id": "not json', reason: 'malformed' });
  });

  it('moves an event nested too deep to validate to the dead letters, not into redelivery without end', async () => {
    const orderId = randomUUID();
    const deep = `{"id":"${randomUUID()}","subject":"${OrderPaid.subject}","occurredAt":"2026-12-06T07:00:00.000Z","producer":"ordering","payload":{"orderId":"${orderId}","currency":"CNY","amount":1,"terms":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}`;
    await publishRaw(nc, env.namespace, OrderPaid.subject, new TextEncoder().encode(deep));
    const [letter] = await waitFor('the dead letter', async () => {
      const rows = await deadLetters();
      return rows.length === 1 ? rows : undefined;
    });
    await consumerIdle();
    expect(letter).toMatchObject({ reason: 'malformed', attempts: 1, payload: null, body: deep });
    expect(letter.error).toMatch(/nested deeper than 64 levels/);
    expect(await applied(orderId)).toEqual([]);
  });

  it('sends the later events of an aggregate after its dead letter, and replays them in order', async () => {
    const orderId = randomUUID();
    behaviour.failAlways.add(orderId);
    await publishRaw(nc, env.namespace, OrderPaid.subject, envelope(OrderPaid.subject, paid(orderId), { id: orderId, seq: 1, previous: {} }));
    await publishRaw(nc, env.namespace, OrderRefunded.subject, envelope(OrderRefunded.subject, refunded(orderId), { id: orderId, seq: 2, previous: { [OrderPaid.subject]: 1 } }));

    const [payment, refund] = await waitFor('both dead letters', async () => {
      const rows = await deadLetters();
      return rows.length === 2 ? rows : undefined;
    }, 60_000);
    await consumerIdle();
    expect(payment).toMatchObject({ subject: OrderPaid.subject, reason: 'failed', attempts: 3 });
    expect(refund).toMatchObject({ subject: OrderRefunded.subject, reason: 'blocked' });
    expect(refund.error).toContain(payment.id);

    behaviour.failAlways.delete(orderId);
    const responder = service.get(DeadLetterResponder);
    const early = await responder.replay({ id: refund.id });
    expect(early).toMatchObject({ found: true, outcome: 'blocked' });
    expect(early.error).toContain(payment.id);
    expect(await applied(orderId)).toEqual([]);

    expect(await responder.replay({ id: payment.id })).toMatchObject({ outcome: 'applied' });
    expect(await responder.replay({ id: refund.id })).toMatchObject({ outcome: 'applied' });
    expect(await applied(orderId)).toEqual([OrderPaid.subject, OrderRefunded.subject]);
  });

  it('refuses an EVENT_MAX_ATTEMPTS that is not a positive whole number', () => {
    const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/trove_delivery', PORT: '3004' };
    expect(loadConfig(PlatformConfig, base).EVENT_MAX_ATTEMPTS).toBe(10);
    expect(loadConfig(PlatformConfig, { ...base, EVENT_MAX_ATTEMPTS: '5' }).EVENT_MAX_ATTEMPTS).toBe(5);
    for (const value of ['0', 'three', '2.5']) {
      expect(() => loadConfig(PlatformConfig, { ...base, EVENT_MAX_ATTEMPTS: value })).toThrow(ConfigError);
    }
  });
});
