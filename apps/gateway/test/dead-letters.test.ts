import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { NATS_URL } from '../../../test/support/nats';
import { freePort } from '../../../test/support/processes';
import { AppProcess } from '../../../test/support/system';
import { GatewayHarness } from './gateway-harness';

jest.setTimeout(180_000);

interface Letter {
  id: string;
  consumer: string;
  subject: string;
  error: string;
  deadAt: Date;
}

/** A dead letter as a consumer of that service leaves it: the handler failed ten times. */
async function leaveDeadLetter(databaseUrl: string, letter: Letter): Promise<void> {
  const eventId = randomUUID();
  const payload = { datasetId: randomUUID(), title: '方言语音识别语料 四川话 120 小时' };
  const body = JSON.stringify({ id: eventId, subject: letter.subject, occurredAt: letter.deadAt.toISOString(), producer: 'catalog', payload });
  await withDatabase(databaseUrl, (client) =>
    client.query(
      `INSERT INTO dead_letter (id, consumer, subject, event_id, payload, body, headers, reason, error, attempts, first_failed_at, dead_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'failed', $8, 10, $9, $9)`,
      [letter.id, letter.consumer, letter.subject, eventId, JSON.stringify(payload), body, JSON.stringify({ 'x-correlation-id': `corr-${eventId}` }), letter.error, letter.deadAt],
    ),
  );
}

describe('dead letters through the gateway', () => {
  let harness: GatewayHarness;
  const others: { app: AppProcess; db: TestDatabase }[] = [];
  let down: ('ordering' | 'billing' | 'delivery')[] = [];
  const storageDir = mkdtempSync(join(tmpdir(), 'trove-dead-letters-'));
  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
  const catalogLetters: Letter[] = [
    { id: randomUUID(), consumer: 'index-published-datasets', subject: 'evt.catalog.dataset.published.v1', error: '搜索索引写入失败: connection reset', deadAt: minutesAgo(1) },
    { id: randomUUID(), consumer: 'index-published-datasets', subject: 'evt.catalog.dataset.published.v1', error: '搜索索引写入失败: timeout', deadAt: minutesAgo(3) },
  ];
  const gatewayLetter: Letter = {
    id: randomUUID(),
    consumer: 'revoke-suspended-vendor-keys',
    subject: 'evt.catalog.dataset.suspended.v1',
    error: 'key cache unavailable',
    deadAt: minutesAgo(2),
  };

  const admin = (method: string, url: string) => harness.inject({ method, url, key: harness.adminKey });

  beforeAll(async () => {
    harness = await GatewayHarness.start();
    // One service is down, as in an outage: its dead letters cannot be listed, and it says so.
    await harness.billing.stop();
    for (const letter of catalogLetters) await leaveDeadLetter(harness.catalogDb.url, letter);
    await leaveDeadLetter(harness.gatewayDb.url, gatewayLetter);
  });

  afterAll(async () => {
    for (const { app, db } of others) {
      await app.stop();
      await db.drop();
    }
    await harness?.stop();
    rmSync(storageDir, { recursive: true, force: true });
  });

  it('lists every service’s dead letters newest first, page by page, and names the services that did not answer', async () => {
    const first = await admin('GET', '/v1/admin/dead-letters?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.items.map((i: { id: string; service: string }) => [i.service, i.id])).toEqual([
      ['catalog', catalogLetters[0].id],
      ['gateway', gatewayLetter.id],
    ]);
    expect(first.body.items[0]).toMatchObject({
      consumer: 'index-published-datasets',
      subject: 'evt.catalog.dataset.published.v1',
      reason: 'failed',
      attempts: 10,
      error: '搜索索引写入失败: connection reset',
      replayedAt: null,
    });
    expect(first.body.nextCursor).toEqual(expect.any(String));
    // Billing is stopped: it is reported, not a 500.
    down = first.body.unreachable.map((u: { service: string; error: string }) => u.service);
    expect(down).toEqual(['billing']);
    expect(down).not.toContain('catalog');
    expect(down).not.toContain('gateway');
    expect(first.body.unreachable[0].error).toMatch(/not running|did not answer/);

    const second = await admin('GET', `/v1/admin/dead-letters?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body.items.map((i: { id: string }) => i.id)).toEqual([catalogLetters[1].id]);
    expect(second.body.nextCursor).toBeNull();

    const onlyCatalog = await admin('GET', '/v1/admin/dead-letters?service=catalog');
    expect(onlyCatalog.body.items.map((i: { id: string }) => i.id)).toEqual(catalogLetters.map((l) => l.id));
    expect(onlyCatalog.body.unreachable).toEqual([]);

    const bad = await admin('GET', '/v1/admin/dead-letters?service=warehouse');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });

  it('shows admin health degraded with the count, and the catalog’s /metrics counts them per consumer', async () => {
    const health = await admin('GET', '/v1/admin/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.deadLetters).toBe(3);
    expect(health.body.services.catalog).toMatchObject({ status: 'ok', deadLetters: 2 });
    expect(health.body.services.gateway).toMatchObject({ status: 'ok', deadLetters: 1 });

    const metrics = await (await fetch(`${harness.catalog.url}/metrics`)).text();
    expect(metrics).toContain('trove_dead_letters{service="catalog",consumer="index-published-datasets"} 2');
  });

  it('replays a dead letter in the service that holds it and answers the outcome; an unknown id is a 404 once every service answers', async () => {
    // No handler of that consumer runs in this catalog build: the replay says so, and changes nothing.
    const replay = await admin('POST', `/v1/admin/dead-letters/${catalogLetters[1].id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ outcome: 'failed', deadLetter: { id: catalogLetters[1].id, service: 'catalog', attempts: 11, replayedAt: null } });
    expect(replay.body.error).toContain('no handler');

    // While some services are down, an id no answering service holds may be theirs.
    const unsure = await admin('POST', `/v1/admin/dead-letters/${randomUUID()}/replay`);
    expect(unsure.status).toBe(503);
    expect(unsure.body.code).toBe('SERVICE_UNAVAILABLE');

    for (const name of down) {
      const db = await createAppDatabase(name, `gw_dl_${name}`);
      const app = new AppProcess(name, await freePort(), {
        DATABASE_URL: db.url,
        NATS_URL,
        TROVE_NAMESPACE: harness.namespace,
        LOG_LEVEL: 'warn',
        DELIVERY_SIGNING_KEYS: `dl:${randomBytes(32).toString('base64')}`,
        STORAGE_DIR: storageDir,
      });
      app.start();
      others.push({ app, db });
    }
    await Promise.all(others.map(({ app }) => app.ready()));

    const unknown = await admin('POST', `/v1/admin/dead-letters/${randomUUID()}/replay`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    const malformedId = await admin('POST', '/v1/admin/dead-letters/not-a-uuid/replay');
    expect(malformedId.status).toBe(400);

    const listed = await admin('GET', '/v1/admin/dead-letters');
    expect(listed.body.unreachable).toEqual([]);
    expect(listed.body.items).toHaveLength(3);

    const audit = await admin('GET', '/v1/admin/audit?action=dead-letter.replay');
    expect(audit.body.items.map((e: { target: { id: string } }) => e.target.id)).toContain(catalogLetters[1].id);
  });
});
