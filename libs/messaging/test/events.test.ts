import { eventSubject } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { IsString, IsUUID } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import {
  encodeJson,
  EventConsumers,
  EventHandler,
  MessagingJanitor,
  Namespace,
  OutboxRelay,
  UnitOfWork,
  type EventContext,
  type EventEnvelope,
  type MessagingOptions,
} from '@trove/messaging';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { connectNats, deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { NodeProcess, waitFor } from '../../../test/support/processes';
import { startService, type ServiceEnv } from './messaging-harness';

jest.setTimeout(120_000);

class DatasetPublishedV1 {
  @IsUUID()
  datasetId: string;

  @IsString()
  title: string;
}

const DatasetPublished = eventSubject<DatasetPublishedV1>('evt.catalog.dataset.published.v1', DatasetPublishedV1);

/** The effect under test: one search-index row per event applied, with no unique key to hide doubles. */
@Injectable()
class SearchIndexer {
  @EventHandler(DatasetPublished, { consumer: 'index-published-datasets' })
  async index(payload: DatasetPublishedV1, { tx, event }: EventContext<DatasetPublishedV1>): Promise<void> {
    await tx.manager.query(`INSERT INTO search_index_entry (event_id, dataset_id, title) VALUES ($1, $2, $3)`, [
      event.id,
      payload.datasetId,
      payload.title,
    ]);
  }
}

const TITLES = ['普通话朗读语音 200 小时', '四川话自然对话 120 小时', '医疗影像分割标注 5 万张', '多轮中文客服对话 SFT 10 万条', '中英偏好对 RLHF 3 万对'];

function published(i: number): DatasetPublishedV1 {
  return { datasetId: randomUUID(), title: `${TITLES[i % TITLES.length]} #${i}` };
}

describe('domain events over JetStream with the outbox and inbox', () => {
  let database: TestDatabase;
  let env: ServiceEnv;
  let nc: NatsConnection;
  const running: TestingModule[] = [];

  async function start(withIndexer: boolean, service: 'ordering' | 'catalog' = 'ordering', messaging: Partial<MessagingOptions> = {}): Promise<TestingModule> {
    const moduleRef = await startService(env, { service, providers: withIndexer ? [SearchIndexer] : [], messaging: { ackWaitMs: 2000, ...messaging } });
    running.push(moduleRef);
    return moduleRef;
  }

  async function stop(moduleRef: TestingModule): Promise<void> {
    running.splice(running.indexOf(moduleRef), 1);
    await moduleRef.close();
  }

  async function effects(): Promise<{ total: number; distinct: number }> {
    return withDatabase(database.url, async (client) => {
      const { rows } = await client.query(`SELECT count(*)::int AS total, count(DISTINCT event_id)::int AS distinct FROM search_index_entry`);
      return rows[0] as { total: number; distinct: number };
    });
  }

  /** Waits until the indexer's durable consumer has nothing left to deliver or to ack. */
  async function consumerIdle(): Promise<void> {
    const jsm = await nc.jetstreamManager();
    await waitFor('the consumer to catch up', async () => {
      const info = await jsm.consumers.info(new Namespace(env.namespace).stream, 'ordering_index-published-datasets');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, 60_000);
  }

  beforeEach(async () => {
    database = await createAppDatabase('ordering', 'events');
    await withDatabase(database.url, (client) => client.query(`CREATE TABLE search_index_entry (event_id uuid NOT NULL, dataset_id uuid NOT NULL, title text NOT NULL)`));
    env = { databaseUrl: database.url, namespace: newNamespace(), natsUrl: NATS_URL };
    nc = await connectNats();
  });

  afterEach(async () => {
    for (const moduleRef of running.splice(0)) await moduleRef.close();
    await nc.close();
    await deleteStream(env.namespace);
    await database.drop();
  });

  it('handles an event published while its consumer was stopped, once, when the consumer is back', async () => {
    await stop(await start(true));

    const producer = await start(false, 'catalog');
    const payload = published(1);
    const eventId = await producer.get(UnitOfWork).run((tx) => tx.publish(DatasetPublished, payload));
    await producer.get(OutboxRelay).drain();
    await stop(producer);
    expect(await effects()).toEqual({ total: 0, distinct: 0 });

    await start(true);
    await waitFor('the event to be applied', async () => (await effects()).total > 0);
    await consumerIdle();
    expect(await effects()).toEqual({ total: 1, distinct: 1 });
    const row = await withDatabase(database.url, (client) => client.query(`SELECT event_id, dataset_id, title FROM search_index_entry`));
    expect(row.rows[0]).toEqual({ event_id: eventId, dataset_id: payload.datasetId, title: payload.title });
  });

  it('turns 1,000 events each delivered twice, and redelivered again, into exactly 1,000 effects', async () => {
    const namespace = new Namespace(env.namespace);
    const consumer = await start(true);
    const js = nc.jetstream();
    const envelopes: EventEnvelope<DatasetPublishedV1>[] = Array.from({ length: 1000 }, (_, i) => ({
      id: randomUUID(),
      subject: DatasetPublished.subject,
      occurredAt: new Date().toISOString(),
      producer: 'catalog',
      payload: published(i),
    }));
    const publish = (envelope: EventEnvelope, msgID: string) => {
      const h = natsHeaders();
      h.set('x-correlation-id', `seed-${envelope.id}`);
      return js.publish(namespace.subject(envelope.subject), encodeJson(envelope), { msgID, headers: h });
    };

    // Twice with the same message id: JetStream keeps one.
    const first = await Promise.all(envelopes.map((e) => publish(e, e.id)));
    const second = await Promise.all(envelopes.map((e) => publish(e, e.id)));
    expect(first.every((ack) => !ack.duplicate)).toBe(true);
    expect(second.every((ack) => ack.duplicate)).toBe(true);
    // Again past the de-duplication (a relay retry after the window): the stream now holds each
    // event twice, and only the inbox stands between them and a double effect.
    await Promise.all(envelopes.map((e) => publish(e, `${e.id}-retry`)));

    await consumerIdle();
    expect(await effects()).toEqual({ total: 1000, distinct: 1000 });

    // Forced redelivery of everything: the durable consumer is dropped and recreated from the
    // start of the stream, as after an operator reset.
    await stop(consumer);
    const jsm = await nc.jetstreamManager();
    await jsm.consumers.delete(namespace.stream, 'ordering_index-published-datasets');
    const restarted = await start(true);
    await consumerIdle();
    const info = await jsm.consumers.info(namespace.stream, 'ordering_index-published-datasets');
    expect(info.delivered.stream_seq).toBe(2000);
    expect(await effects()).toEqual({ total: 1000, distinct: 1000 });
    expect(restarted.get(EventConsumers).durableName('index-published-datasets')).toBe('ordering_index-published-datasets');
  });

  it('publishes every outbox row, each effect once, when the relay is killed mid-stream', async () => {
    // The consumer's own relay never sweeps: only the relays this test starts and kills publish.
    await start(true, 'ordering', { outboxSweepMs: 3_600_000 });
    const rows = Array.from({ length: 1000 }, (_, i) => ({ id: randomUUID(), payload: published(i) }));
    // Committed transactions' events, waiting in the outbox as a producer leaves them.
    await withDatabase(database.url, (client) =>
      client.query(
        `INSERT INTO outbox (id, subject, payload, headers, occurred_at)
         SELECT id, $1, payload, '{}'::jsonb, now() + (ord || ' microseconds')::interval
           FROM unnest($2::uuid[], $3::jsonb[]) WITH ORDINALITY AS t(id, payload, ord)`,
        [DatasetPublished.subject, rows.map((r) => r.id), rows.map((r) => JSON.stringify(r.payload))],
      ),
    );
    const publishedCount = () =>
      withDatabase(database.url, async (client) => (await client.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NOT NULL`)).rows[0].n as number);
    const relayEnv = { DATABASE_URL: database.url, NATS_URL, TROVE_NAMESPACE: env.namespace, OUTBOX_BATCH_SIZE: '10', OUTBOX_LEASE_MS: '2000', LOG_LEVEL: 'error' };

    const relay = new NodeProcess('dist/test/fixtures/outbox-relay.js', relayEnv).start();
    const atKill = await waitFor('the relay to be part-way through', async () => {
      const n = await publishedCount();
      return n >= 50 ? n : undefined;
    }, 30_000, 5);
    relay.kill('SIGKILL');
    await relay.exit();
    const afterKill = await publishedCount();
    expect(afterKill).toBeLessThan(1000);

    const again = new NodeProcess('dist/test/fixtures/outbox-relay.js', relayEnv).start();
    try {
      await waitFor('every outbox row to be published', async () => (await publishedCount()) === 1000, 60_000);
    } finally {
      await again.stop();
    }
    await consumerIdle();
    expect(await effects()).toEqual({ total: 1000, distinct: 1000 });
    expect(atKill).toBeGreaterThanOrEqual(50);
  });

  it('publishes a commit made while an earlier pass is still under way without waiting for that pass', async () => {
    const producer = await start(false, 'catalog');
    const relay = producer.get(OutboxRelay) as unknown as { markPublished(ids: string[]): Promise<void> };
    const mark = relay.markPublished.bind(relay);
    let release!: () => void;
    const slowDatabase = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    // The first pass publishes its event and then hangs before marking it (a slow database).
    jest.spyOn(relay, 'markPublished').mockImplementationOnce(async (ids) => {
      held++;
      await slowDatabase;
      await mark(ids);
    });
    const unpublished = (id: string) =>
      withDatabase(database.url, async (client) => (await client.query(`SELECT published_at FROM outbox WHERE id = $1`, [id])).rows[0].published_at === null);
    const first = await producer.get(UnitOfWork).run((tx) => tx.publish(DatasetPublished, published(1)));
    try {
      await waitFor('the first pass to publish and hang', async () => held === 1);
      const second = await producer.get(UnitOfWork).run((tx) => tx.publish(DatasetPublished, published(2)));
      await waitFor('the second event to be published', async () => !(await unpublished(second)), 15_000);
      expect(await unpublished(first)).toBe(true);
    } finally {
      release();
    }
    await waitFor('the first pass to mark its event', async () => !(await unpublished(first)));
  });

  it('prunes published outbox rows, inbox rows, stale attempt counts and old replayed dead letters, never what is still pending', async () => {
    const service = await start(false);
    const old = new Date(Date.now() - 9 * 24 * 60 * 60 * 1000);
    const recent = new Date();
    await withDatabase(database.url, async (client) => {
      // The old unpublished row is held by a claim (a relay that died mid-publish), so this
      // service's running relay leaves it alone while the janitor prunes.
      await client.query(
        `INSERT INTO outbox (id, subject, payload, occurred_at, published_at, claimed_until) VALUES
           (gen_random_uuid(), $1, '{}', $2, $2, NULL), (gen_random_uuid(), $1, '{}', $2, NULL, now() + interval '1 hour'), (gen_random_uuid(), $1, '{}', $3, $3, NULL)`,
        [DatasetPublished.subject, old, recent],
      );
      await client.query(
        `INSERT INTO inbox (consumer, event_id, subject, handled_at) VALUES ('index-published-datasets', gen_random_uuid(), $1, $2), ('index-published-datasets', gen_random_uuid(), $1, $3)`,
        [DatasetPublished.subject, old, recent],
      );
    });
    await withDatabase(database.url, async (client) => {
      await client.query(
        `INSERT INTO event_attempt (consumer, event_id, attempts, last_error, first_failed_at, last_failed_at) VALUES
           ('index-published-datasets', gen_random_uuid(), 2, 'search index unavailable', $1, $1),
           ('index-published-datasets', gen_random_uuid(), 1, 'search index unavailable', $2, $2)`,
        [old, recent],
      );
      const letter = (id: string, replayedAt: Date | null, deadAt: Date) =>
        client.query(
          `INSERT INTO dead_letter (id, consumer, subject, body, headers, reason, error, attempts, first_failed_at, dead_at, replayed_at, replay_outcome)
           VALUES ($1, 'index-published-datasets', $2, '{}', '{}', 'failed', 'search index unavailable', 10, $3, $3, $4, $5)`,
          [id, DatasetPublished.subject, deadAt, replayedAt, replayedAt ? 'applied' : null],
        );
      const longAgo = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000);
      await letter(randomUUID(), longAgo, longAgo); // replayed long ago: history
      await letter(randomUUID(), recent, longAgo); // replayed today: kept a while for the record
      await letter(randomUUID(), null, longAgo); // never replayed: kept however old
    });
    expect(await service.get(MessagingJanitor).prune()).toEqual({ outbox: 1, inbox: 1, attempts: 1, deadLetters: 1 });
    const left = await withDatabase(database.url, async (client) => ({
      outbox: (await client.query(`SELECT count(*)::int AS n FROM outbox`)).rows[0].n,
      unpublished: (await client.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)).rows[0].n,
      inbox: (await client.query(`SELECT count(*)::int AS n FROM inbox`)).rows[0].n,
      attempts: (await client.query(`SELECT count(*)::int AS n FROM event_attempt`)).rows[0].n,
      unreplayed: (await client.query(`SELECT count(*)::int AS n FROM dead_letter WHERE replayed_at IS NULL`)).rows[0].n,
      replayed: (await client.query(`SELECT count(*)::int AS n FROM dead_letter WHERE replayed_at IS NOT NULL`)).rows[0].n,
    }));
    // An unpublished row is never pruned, however old: it still has to reach the stream. Nor is
    // a dead letter nobody has replayed.
    expect(left).toEqual({ outbox: 2, unpublished: 1, inbox: 1, attempts: 1, unreplayed: 1, replayed: 1 });
  });
});
