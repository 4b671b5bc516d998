import { KeyStore } from '../src/auth/key-store';
import { GatewayHarness, HARNESS_START_TIMEOUT_MS } from './gateway-harness';

jest.setTimeout(60_000);

describe('API keys', () => {
  let harness: GatewayHarness;
  let buyerKey: string;

  beforeAll(async () => {
    harness = await GatewayHarness.start();
    const answer = await harness.inject({
      method: 'POST',
      url: '/v1/organizations',
      body: { name: '中国科学院 自动化所 数据采购', kind: 'buyer', contactEmail: 'data@example.ac.cn' },
    });
    buyerKey = answer.body.apiKey;
  }, HARNESS_START_TIMEOUT_MS);

  afterAll(async () => {
    await harness?.stop();
  });

  it('records when a key was last used, in batches rather than on every request', async () => {
    const created = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'training-cluster' } });
    const listed = async () => (await harness.inject({ method: 'GET', url: '/v1/api-keys', key: buyerKey })).body.items.find((k: { id: string }) => k.id === created.body.id);
    expect((await listed()).lastUsedAt).toBeNull();

    const usedAt = Date.now();
    expect((await harness.inject({ method: 'GET', url: '/v1/me', key: created.body.key })).status).toBe(200);
    // Not written by the request itself...
    expect((await listed()).lastUsedAt).toBeNull();
    // ...but by the next flush (every 15 s, and on shutdown).
    await harness.app.get(KeyStore).flushLastUsed();
    const lastUsedAt = new Date((await listed()).lastUsedAt).getTime();
    expect(lastUsedAt).toBeGreaterThanOrEqual(usedAt - 1000);
    expect(lastUsedAt).toBeLessThanOrEqual(Date.now());
  });

  it('refuses a key after its expiry, and an expiry in the past at creation', async () => {
    const past = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'too-late', expiresAt: '2020-01-01T00:00:00Z' } });
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ errors: [{ field: 'expiresAt' }] });

    const soon = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'short-lived', expiresAt: new Date(Date.now() + 1500).toISOString() } });
    expect(soon.status).toBe(201);
    expect((await harness.inject({ method: 'GET', url: '/v1/me', key: soon.body.key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2600));
    const expired = await harness.inject({ method: 'GET', url: '/v1/me', key: soon.body.key });
    expect(expired).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED', detail: expect.stringContaining('expired') } });
  });

  it('lets a key that expires make only keys that expire no later: a leaked short-lived key cannot mint a permanent one', async () => {
    const expiry = new Date(Date.now() + 3_600_000);
    const short = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'nightly-eval', expiresAt: expiry.toISOString() } });
    expect(short.status).toBe(201);
    const count = async () => (await harness.inject({ method: 'GET', url: '/v1/api-keys?limit=100', key: buyerKey })).body.items.length;
    const before = await count();

    const later = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: short.body.key, body: { name: 'forever', expiresAt: new Date(expiry.getTime() + 1000).toISOString() } });
    expect(later).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', errors: [{ field: 'expiresAt' }] } });
    expect(await count()).toBe(before);
    // Left out, the new key expires with the one that made it; earlier is taken as asked.
    const inherited = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: short.body.key, body: { name: 'eval-worker' } });
    expect(inherited).toMatchObject({ status: 201, body: { expiresAt: expiry.toISOString() } });
    const earlier = new Date(expiry.getTime() - 60_000).toISOString();
    expect((await harness.inject({ method: 'POST', url: '/v1/api-keys', key: short.body.key, body: { name: 'eval-shard', expiresAt: earlier } })).body.expiresAt).toBe(earlier);
    // A key without an expiry still makes keys without one.
    expect((await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'ingest' } })).body.expiresAt).toBeNull();
  });

  it('refuses an expiry without its UTC offset, which would be read as UTC: 8 hours late in Beijing', async () => {
    // A week date and an ordinal date passed the check and ended as a 500: no date parser here reads them. The year 10000 in UTC was stored.
    for (const expiresAt of ['2027-01-01T00:00:00', '2027-01-01T08:00:00.000', '2027-01-01', '2027-W26-3T00:00:00Z', '2027-181T00:00:00Z', '9999-12-31T23:59:59-23:59']) {
      const answer = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'batch-job', expiresAt } });
      expect([expiresAt, answer.status, answer.body.errors]).toEqual([expiresAt, 400, [{ field: 'expiresAt', problems: [expect.stringContaining('with its UTC offset')] }]]);
    }
    const beijing = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'batch-job', expiresAt: '2027-01-01T08:00:00+08:00' } });
    expect(beijing).toMatchObject({ status: 201, body: { expiresAt: '2027-01-01T00:00:00.000Z' } });
  });

  it('tells a blank name it is blank, and nothing about control characters it does not hold', async () => {
    for (const name of ['', '   ']) {
      const answer = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name } });
      expect([answer.status, answer.body.errors]).toEqual([400, [{ field: 'name', problems: ['name must not be empty or only spaces'] }]]);
    }
    const control = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'etl\u001b[2J' } });
    expect([control.status, control.body.errors]).toEqual([400, [{ field: 'name', problems: ['name must not contain control characters or line breaks'] }]]);
  });

  it('lists keys newest first, a page at a time, never with the secret', async () => {
    for (const name of ['etl-a', 'etl-b', 'etl-c']) {
      await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name } });
    }
    const first = await harness.inject({ method: 'GET', url: '/v1/api-keys?limit=2', key: buyerKey });
    expect(first.body.items.map((k: { name: string }) => k.name)).toEqual(['etl-c', 'etl-b']);
    const second = await harness.inject({ method: 'GET', url: `/v1/api-keys?limit=2&cursor=${first.body.nextCursor}`, key: buyerKey });
    expect(second.body.items[0].name).toBe('etl-a');
    for (const item of [...first.body.items, ...second.body.items]) {
      expect(Object.keys(item).sort()).toEqual(['access', 'createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt']);
    }
  });

  it('makes a read key for a training cluster: it reads what the organization may, and changes nothing', async () => {
    const listed = async () => (await harness.inject({ method: 'GET', url: '/v1/api-keys?limit=100', key: buyerKey })).body.items as { id: string; name: string; access: string; revokedAt: string | null }[];
    const read = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'gpu-cluster-downloads', access: 'read' } });
    expect(read).toMatchObject({ status: 201, body: { name: 'gpu-cluster-downloads', access: 'read' } });
    const full = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'procurement' } });
    expect(full.body.access).toBe('full');
    expect((await listed()).filter((k) => [read.body.id, full.body.id].includes(k.id)).map((k) => [k.name, k.access])).toEqual([
      ['procurement', 'full'],
      ['gpu-cluster-downloads', 'read'],
    ]);

    // It reads: who it is, and the organization's keys (never their secrets).
    expect(await harness.inject({ method: 'GET', url: '/v1/me', key: read.body.key })).toMatchObject({ status: 200, body: { role: 'buyer', keyId: read.body.id, access: 'read' } });
    expect((await harness.inject({ method: 'GET', url: '/v1/api-keys', key: read.body.key })).status).toBe(200);

    // It changes nothing: no key made (a read key would otherwise mint a full one), none revoked.
    const before = await listed();
    const mint = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: read.body.key, body: { name: 'escalate' } });
    expect(mint).toMatchObject({ status: 403, body: { code: 'KEY_READ_ONLY', status: 403 } });
    expect(mint.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(mint.body.detail).toContain('may GET and HEAD, not POST');
    const revoke = await harness.inject({ method: 'DELETE', url: `/v1/api-keys/${full.body.id}`, key: read.body.key });
    expect(revoke).toMatchObject({ status: 403, body: { code: 'KEY_READ_ONLY' } });
    expect(await listed()).toEqual(before);
    // Both refusals are in the audit log, by the read key.
    const audit = await harness.inject({ method: 'GET', url: `/v1/admin/audit?actor=${read.body.id}`, key: harness.adminKey });
    expect(audit.body.items.map((e: { action: string; outcome: string; status: number; errorCode: string }) => [e.action, e.outcome, e.status, e.errorCode])).toEqual([
      ['api-key.revoke', 'denied', 403, 'KEY_READ_ONLY'],
      ['api-key.create', 'denied', 403, 'KEY_READ_ONLY'],
    ]);
    // Nor can it revoke itself: a leaked read key is revoked with a full one.
    expect((await harness.inject({ method: 'DELETE', url: `/v1/api-keys/${read.body.id}`, key: read.body.key })).status).toBe(403);
    expect((await harness.inject({ method: 'DELETE', url: `/v1/api-keys/${read.body.id}`, key: buyerKey })).status).toBe(204);
    expect((await harness.inject({ method: 'GET', url: '/v1/me', key: read.body.key })).status).toBe(401);
  });

  it('names the access values it takes, and takes null as left out, as expiresAt', async () => {
    for (const access of ['write', 'READ', '', 1, ['read']]) {
      const answer = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'etl', access } });
      expect([access, answer.status, answer.body.errors?.[0]?.field]).toEqual([access, 400, 'access']);
    }
    expect(await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'etl', access: null } })).toMatchObject({ status: 201, body: { access: 'full' } });
  });

  it('pages through keys made in the same millisecond without skipping or repeating one', async () => {
    const org = await harness.inject({
      method: 'POST',
      url: '/v1/organizations',
      body: { name: '智谱华章 数据平台组', kind: 'buyer', contactEmail: 'data-platform@example.cn' },
    });
    const key: string = org.body.apiKey;
    // Made at once, many share a millisecond: the cursor carries milliseconds only.
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, i) => harness.inject({ method: 'POST', url: '/v1/api-keys', key, body: { name: `shard-loader-${i}` } })),
    );
    expect(created.every((answer) => answer.status === 201)).toBe(true);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await harness.inject({ method: 'GET', url: `/v1/api-keys?limit=3${cursor ? `&cursor=${cursor}` : ''}`, key });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((k: { id: string }) => k.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    // The 30 new keys and the organization's first one, each exactly once.
    expect(seen).toHaveLength(31);
    expect(new Set(seen).size).toBe(31);
    for (const answer of created) expect(seen).toContain(answer.body.id);
  });

  it('keeps a revoked key listed as revoked, and revoking it again changes nothing', async () => {
    const created = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, body: { name: 'leaked-in-a-notebook' } });
    expect((await harness.inject({ method: 'DELETE', url: `/v1/api-keys/${created.body.id}`, key: buyerKey })).status).toBe(204);
    const revokedAt = (await harness.inject({ method: 'GET', url: '/v1/api-keys?limit=100', key: buyerKey })).body.items.find((k: { id: string }) => k.id === created.body.id).revokedAt;
    expect(revokedAt).not.toBeNull();
    expect((await harness.inject({ method: 'DELETE', url: `/v1/api-keys/${created.body.id}`, key: buyerKey })).status).toBe(204);
    const again = (await harness.inject({ method: 'GET', url: '/v1/api-keys?limit=100', key: buyerKey })).body.items.find((k: { id: string }) => k.id === created.body.id).revokedAt;
    expect(again).toBe(revokedAt);
  });

  it('holds an organization to 50 keys that work at once, counting keys made at the same moment one by one, and frees a place when one is revoked', async () => {
    const org = await harness.inject({
      method: 'POST',
      url: '/v1/organizations',
      body: { name: '月之暗面 训练数据组', kind: 'buyer', contactEmail: 'training-data@example.cn' },
    });
    const key: string = org.body.apiKey;
    const make = (name: string) => harness.inject({ method: 'POST', url: '/v1/api-keys', key, body: { name } });
    // The sign-up's key and 44 more, then 10 at once for the last 5 places.
    for (let i = 0; i < 44; i++) expect((await make(`loader-${i}`)).status).toBe(201);
    const race = await Promise.all(Array.from({ length: 10 }, (_, i) => make(`burst-${i}`)));
    expect(race.filter((answer) => answer.status === 201)).toHaveLength(5);
    const refused = race.find((answer) => answer.status === 409)!;
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 409, code: 'CONFLICT' });
    expect(refused.body.detail).toMatch(/at most 50 keys that work.*revoke one/);
    const listed = async () => (await harness.inject({ method: 'GET', url: '/v1/api-keys?limit=100', key })).body.items as { id: string; revokedAt: string | null }[];
    expect((await listed()).filter((k) => k.revokedAt === null)).toHaveLength(50);

    // A revoked key no longer counts.
    const spare = race.find((answer) => answer.status === 201)!.body.id as string;
    expect((await harness.inject({ method: 'DELETE', url: `/v1/api-keys/${spare}`, key })).status).toBe(204);
    expect((await make('replacement')).status).toBe(201);
    expect((await make('one-too-many')).status).toBe(409);
    // An operator making a key for the organization is held to the same number.
    expect((await harness.inject({ method: 'POST', url: `/v1/admin/organizations/${org.body.organization.id}/api-keys`, key: harness.adminKey, body: { name: 'from-the-operator' } })).status).toBe(409);
  });
});
