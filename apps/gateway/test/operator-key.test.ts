import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { issueKey } from '../src/auth/api-key-token';
import { createAppDatabase, type TestDatabase } from '../../../test/support/postgres';
import { deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { waitFor } from '../../../test/support/processes';
import { gatewayApp } from './gateway-harness';

jest.setTimeout(90_000);

/** One gateway process's worth of app, started with `adminKey` as TROVE_ADMIN_KEY. */
function startGateway(database: TestDatabase, namespace: string, adminKey: string): Promise<NestFastifyApplication> {
  return gatewayApp({ DATABASE_URL: database.url, NATS_URL, TROVE_NAMESPACE: namespace, TROVE_ADMIN_KEY: adminKey, LOG_LEVEL: 'silent' });
}

async function call(app: NestFastifyApplication, url: string, key: string) {
  const response = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

const me = (app: NestFastifyApplication, key: string) => call(app, '/v1/me', key);
const rotations = async (app: NestFastifyApplication, key: string) =>
  (await call(app, '/v1/admin/audit?action=operator-key.rotate', key)).body.items as {
    actor: { organizationId: string; keyId: string; role: string };
    target: { type: string; id: string };
    outcome: string;
  }[];

describe('operator key rotation: a new TROVE_ADMIN_KEY retires the previous one', () => {
  const namespace = newNamespace();
  let database: TestDatabase;
  const running: NestFastifyApplication[] = [];
  const first = issueKey();
  const second = issueKey();

  beforeAll(async () => {
    database = await createAppDatabase('gateway', 'operator_key');
  });

  afterAll(async () => {
    for (const app of running) await app.close();
    await database?.drop();
    await deleteStream(namespace);
  });

  async function start(key: string): Promise<NestFastifyApplication> {
    const app = await startGateway(database, namespace, key);
    running.push(app);
    return app;
  }

  async function stop(app: NestFastifyApplication): Promise<void> {
    await app.close();
    running.splice(running.indexOf(app), 1);
  }

  it('refuses the old key with 401 after a start with a new one, on the replica still running too, and audits it', async () => {
    const old = await start(first.token);
    expect(await me(old, first.token)).toMatchObject({ status: 200, body: { role: 'admin' } });
    expect(await rotations(old, first.token)).toEqual([]);

    // A rolling deploy: the new replica starts while one with the old setting still runs.
    const replacement = await start(second.token);
    expect(await me(replacement, second.token)).toMatchObject({ status: 200, body: { role: 'admin' } });
    expect(await me(replacement, first.token)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED', detail: expect.stringContaining('revoked') } });
    await waitFor('the running replica to refuse the old key', async () => (await me(old, first.token)).status === 401, 3000, 50);

    const audited = await rotations(replacement, second.token);
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({
      actor: { organizationId: (await me(replacement, second.token)).body.organization.id, keyId: second.id, role: 'admin' },
      target: { type: 'api-key', id: first.id },
      outcome: 'success',
    });
    await stop(old);
    await stop(replacement);
  });

  it('changes nothing on a restart with the same key, and an old setting cannot bring the old key back or retire the new one', async () => {
    const restarted = await start(second.token);
    expect((await me(restarted, second.token)).status).toBe(200);
    expect(await rotations(restarted, second.token)).toHaveLength(1);
    await stop(restarted);

    const stale = await start(first.token);
    expect((await me(stale, first.token)).status).toBe(401);
    expect((await me(stale, second.token)).status).toBe(200);
    expect(await rotations(stale, second.token)).toHaveLength(1);
    await stop(stale);
  });

  it('leaves admin keys made through the API alone', async () => {
    const app = await start(second.token);
    const response = await app.getHttpAdapter().getInstance().inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${second.token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'settlement-batch' }),
    });
    expect(response.statusCode).toBe(201);
    const made = JSON.parse(response.body) as { key: string };
    await stop(app);

    const third = issueKey();
    const rotated = await start(third.token);
    expect((await me(rotated, second.token)).status).toBe(401);
    expect((await me(rotated, made.key)).status).toBe(200);
    expect(await rotations(rotated, third.token)).toHaveLength(2);
  });
});
