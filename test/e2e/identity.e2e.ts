import { randomUUID } from 'node:crypto';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { sendRawUntilAnswered } from '../support/http';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(120_000);

const FULL_KEY = /trv_[0-9a-f]{32}_[A-Za-z0-9_-]{43}/g;

describe('organizations, API keys, roles and audit across two gateway replicas', () => {
  let system: TroveSystem;
  const issuedKeys: string[] = [];

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog'], replicas: { gateway: 1 } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  /** Calls one gateway replica (0 or 1) with a key, or anonymously. */
  const call = (replica: 0 | 1, path: string, key?: string, init: RequestInit = {}) =>
    system.request(path, { ...init, replica, as: key ? { key } : 'anonymous' });

  async function signUp(kind: 'buyer' | 'vendor', name: string) {
    const response = await call(0, '/v1/organizations', undefined, {
      method: 'POST',
      body: JSON.stringify({ name, kind, contactEmail: 'procurement@example.cn' }),
    });
    expect(response.status).toBe(201);
    const body = await json<{ organization: { id: string; status: string }; apiKey: string }>(response);
    issuedKeys.push(body.apiKey);
    return body;
  }

  async function organizationCount(): Promise<number> {
    return withDatabase(system.databases.get('gateway')!.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM organization')).rows[0].n);
  }

  it('signs up a buyer active and a vendor pending, each with a working key shown once', async () => {
    const buyer = await signUp('buyer', '国家电网 大模型项目组');
    expect(buyer.organization.status).toBe('active');
    const me = await json(await call(1, '/v1/me', buyer.apiKey));
    expect(me).toMatchObject({ role: 'buyer', organization: { id: buyer.organization.id, kind: 'buyer', status: 'active' } });

    const vendor = await signUp('vendor', '北京数据标注有限公司');
    expect(vendor.organization.status).toBe('pending');
    const keys = await json(await call(0, '/v1/api-keys', buyer.apiKey));
    expect(keys.items).toHaveLength(1);
    expect(JSON.stringify(keys)).not.toMatch(FULL_KEY);
    expect(keys.items[0].prefix).toBe(buyer.apiKey.slice(0, 12));
  });

  it("keeps an organization's last key with full access from being revoked, also by two keys revoking each other at once", async () => {
    const buyer = await signUp('buyer', '小红书 多模态数据组');
    const keyId = async (key: string) => (await json(await call(0, '/v1/me', key))).keyId as string;
    const revoke = (id: string, key: string, replica: 0 | 1 = 0) => call(replica, `/v1/api-keys/${id}`, key, { method: 'DELETE' });
    const only = await keyId(buyer.apiKey);
    // Revoked, the organization could never make a key again: no key, no POST /v1/api-keys.
    const refused = await revoke(only, buyer.apiKey);
    expect([refused.status, (await json(refused)).code]).toEqual([409, 'CONFLICT']);
    expect((await call(1, '/v1/me', buyer.apiKey)).status).toBe(200);
    // A read key is not one to keep: it makes no keys.
    const reader = await json(await call(0, '/v1/api-keys', buyer.apiKey, { method: 'POST', body: JSON.stringify({ name: '训练集群只读', access: 'read' }) }));
    expect((await revoke(only, buyer.apiKey)).status).toBe(409);
    // A full key that expires soon keeps nothing: the organization would be stranded at its expiry.
    const brief = await json(await call(0, '/v1/api-keys', buyer.apiKey, { method: 'POST', body: JSON.stringify({ name: '临时排查', expiresAt: new Date(Date.now() + 60_000).toISOString() }) }));
    expect((await revoke(only, brief.key)).status).toBe(409);
    // But it may go itself, the lasting key kept.
    expect((await revoke(brief.id, buyer.apiKey)).status).toBe(204);
    // With a second full key, either may go; two revoking each other at once leave one.
    const second = await json(await call(0, '/v1/api-keys', buyer.apiKey, { method: 'POST', body: JSON.stringify({ name: '数据管道' }) }));
    const crossed = await Promise.all([revoke(second.id, buyer.apiKey, 0), revoke(only, second.key, 1)]);
    expect(crossed.map((r) => r.status).sort()).toEqual([204, 409]);
    const alive = [await call(0, '/v1/me', buyer.apiKey), await call(0, '/v1/me', second.key)].map((r) => r.status).sort();
    expect(alive).toEqual([200, 401]);
    // The one left keeps the organization going: it revokes the read key, not itself.
    const survivor = (await call(0, '/v1/me', buyer.apiKey)).status === 200 ? buyer.apiKey : second.key;
    expect((await revoke(reader.id, survivor)).status).toBe(204);
    expect((await revoke(await keyId(survivor), survivor)).status).toBe(409);
  });

  it("lets an operator find and revoke an organization's leaked last key, on every replica, and make it a new one", async () => {
    const buyer = await signUp('buyer', '面壁智能 ModelBest 数据组');
    const other = await signUp('buyer', '零一万物 01.AI 采购');
    const me = await json(await call(0, '/v1/me', buyer.apiKey));
    // The operator sees the organization's keys as it does: prefixes, never the keys.
    const listed = await json(await call(0, `/v1/admin/organizations/${buyer.organization.id}/api-keys`, system.adminKey));
    expect(listed.items.map((k: { id: string }) => k.id)).toEqual([me.keyId]);
    expect(JSON.stringify(listed)).not.toContain(buyer.apiKey);
    // A cursor of one organization's keys pages no other's.
    const paged = await json(await call(0, `/v1/admin/organizations/${buyer.organization.id}/api-keys?limit=1`, system.adminKey));
    expect(paged.nextCursor).toBeNull();
    expect((await call(0, `/v1/admin/organizations/${randomUUID()}/api-keys`, system.adminKey)).status).toBe(404);
    // Not the buyer's to ask, nor another buyer's to do.
    expect((await call(0, `/v1/admin/organizations/${buyer.organization.id}/api-keys`, buyer.apiKey)).status).toBe(403);
    expect((await call(0, `/v1/admin/api-keys/${me.keyId}`, other.apiKey, { method: 'DELETE' })).status).toBe(403);

    // Its only key with full access leaked: the organization may not revoke it (it could make no
    // other), the operator may.
    expect((await call(0, `/v1/admin/api-keys/${me.keyId}`, system.adminKey, { method: 'DELETE' })).status).toBe(204);
    expect((await call(1, '/v1/me', buyer.apiKey)).status).toBe(401);
    expect((await call(0, '/v1/me', buyer.apiKey)).status).toBe(401);
    expect((await call(1, `/v1/admin/api-keys/${me.keyId}`, system.adminKey, { method: 'DELETE' })).status).toBe(204);
    expect((await call(0, `/v1/admin/api-keys/${randomUUID()}`, system.adminKey, { method: 'DELETE' })).status).toBe(404);
    expect((await call(0, '/v1/me', other.apiKey)).status).toBe(200);

    // A new key for the organization, shown to the operator once, to hand over.
    const made = await call(1, `/v1/admin/organizations/${buyer.organization.id}/api-keys`, system.adminKey, { method: 'POST', body: JSON.stringify({ name: '泄露后补发 / after the leak' }) });
    expect(made.status).toBe(201);
    const replacement = await json(made);
    issuedKeys.push(replacement.key);
    expect(await json(await call(0, '/v1/me', replacement.key))).toMatchObject({ organization: { id: buyer.organization.id }, keyId: replacement.id, role: 'buyer', access: 'full' });
    expect((await call(0, `/v1/admin/organizations/${randomUUID()}/api-keys`, system.adminKey, { method: 'POST', body: JSON.stringify({ name: 'nobody' }) })).status).toBe(404);

    const audit = await json(await call(0, `/v1/admin/audit?action=api-key.revoke&limit=100`, system.adminKey));
    expect(audit.items.find((e: { target: { id: string } }) => e.target.id === me.keyId)).toMatchObject({ actor: { role: 'admin' }, outcome: 'success', status: 204 });
    const creation = await json(await call(0, `/v1/admin/audit?action=api-key.create&limit=100`, system.adminKey));
    expect(creation.items.find((e: { actor: { role: string }; status: number }) => e.actor.role === 'admin' && e.status === 201)).toMatchObject({ target: { type: 'organization', id: buyer.organization.id } });
  });

  it('refuses a key name that would read otherwise than it is', async () => {
    const buyer = await signUp('buyer', '快手 可灵 数据组');
    for (const name of ['pipeline\u202Egnp.exe', '下载\u200b脚本', 'nightly\u0085sync']) {
      const answer = await call(0, '/v1/api-keys', buyer.apiKey, { method: 'POST', body: JSON.stringify({ name }) });
      expect([name, answer.status, (await json(answer)).errors?.[0]?.field]).toEqual([name, 400, 'name']);
    }
    expect((await json(await call(0, '/v1/api-keys', buyer.apiKey))).items).toHaveLength(1);
  });

  it('refuses a revoked key on its next request, on every replica', async () => {
    const buyer = await signUp('buyer', '招商银行 AI 实验室');
    const created = await json(await call(0, '/v1/api-keys', buyer.apiKey, { method: 'POST', body: JSON.stringify({ name: 'ci-pipeline' }) }));
    issuedKeys.push(created.key);
    // Both replicas have the key cached.
    expect((await call(0, '/v1/me', created.key)).status).toBe(200);
    expect((await call(1, '/v1/me', created.key)).status).toBe(200);

    expect((await call(0, `/v1/api-keys/${created.id}`, buyer.apiKey, { method: 'DELETE' })).status).toBe(204);
    expect((await call(0, '/v1/me', created.key)).status).toBe(401);
    const started = Date.now();
    await waitFor('the other replica to refuse the key', async () => (await call(1, '/v1/me', created.key)).status === 401, 1000, 20);
    expect(Date.now() - started).toBeLessThanOrEqual(1000);
    const refused = await json(await call(1, '/v1/me', created.key));
    expect(refused).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', detail: expect.stringContaining('revoked') });
    // The organization's other key still works.
    expect((await call(1, '/v1/me', buyer.apiKey)).status).toBe(200);
  });

  it("gives a suspended organization's keys 403 on every replica, and approval brings them back", async () => {
    const buyer = await signUp('buyer', '中国联通 数据中心');
    expect((await call(1, '/v1/me', buyer.apiKey)).status).toBe(200);
    const suspended = await call(0, `/v1/admin/organizations/${buyer.organization.id}/suspend`, system.adminKey, { method: 'POST' });
    expect(await json(suspended)).toMatchObject({ status: 'suspended' });
    await waitFor('both replicas to refuse', async () => (await call(0, '/v1/me', buyer.apiKey)).status === 403 && (await call(1, '/v1/me', buyer.apiKey)).status === 403, 1000, 20);
    expect(await json(await call(1, '/v1/api-keys', buyer.apiKey))).toMatchObject({ status: 403, code: 'ORGANIZATION_SUSPENDED', detail: expect.stringContaining('suspended') });

    expect((await call(0, `/v1/admin/organizations/${buyer.organization.id}/approve`, system.adminKey, { method: 'POST' })).status).toBe(200);
    await waitFor('the key to work again', async () => (await call(1, '/v1/me', buyer.apiKey)).status === 200, 1000, 20);
  });

  it('lets an operator approve a pending vendor, and refuses a second approval as a conflict', async () => {
    const vendor = await signUp('vendor', '深圳 自动驾驶 数据采集公司');
    const queue = await json(await call(0, '/v1/admin/organizations?kind=vendor&status=pending', system.adminKey));
    expect(queue.items.map((o: { id: string }) => o.id)).toContain(vendor.organization.id);
    expect(await json(await call(0, `/v1/admin/organizations/${vendor.organization.id}/approve`, system.adminKey, { method: 'POST' }))).toMatchObject({
      status: 'active',
    });
    const again = await call(0, `/v1/admin/organizations/${vendor.organization.id}/approve`, system.adminKey, { method: 'POST' });
    expect(again.status).toBe(409);
    await waitFor('the vendor to see itself active', async () => (await json(await call(1, '/v1/me', vendor.apiKey))).organization.status === 'active', 1000, 20);
  });

  it.each([
    ['role', { role: 'admin' }],
    ['status', { status: 'active' }],
    ['organizationId', { organizationId: '00000000-0000-4000-8000-000000000001' }],
    ['an unknown field', { creditLimit: 1_000_000 }],
  ])('refuses sign-up with %s as 400 and creates nothing', async (_what, extra) => {
    const before = await organizationCount();
    const response = await call(0, '/v1/organizations', undefined, {
      method: 'POST',
      body: JSON.stringify({ name: '越权测试公司', kind: 'vendor', contactEmail: 'x@example.cn', ...extra }),
    });
    expect(response.status).toBe(400);
    const problem = await json(response);
    expect(problem).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: Object.keys(extra)[0] }] });
    expect(await organizationCount()).toBe(before);
  });

  it.each([
    ['a terminal escape', '数据\u001b[31m标注\u001b[0m 公司'],
    ['a line break', '北京语料科技\n官方客服'],
    ['a right-to-left override', '官方客服 \u202etxt.exe'],
    ['a zero-width space', 'Data\u200bTang'],
  ])('refuses an organization name with %s as 400 and creates nothing: operators read it in their queue', async (_what, name) => {
    const before = await organizationCount();
    const response = await call(0, '/v1/organizations', undefined, { method: 'POST', body: JSON.stringify({ name, kind: 'vendor', contactEmail: 'bd@example.cn' }) });
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'name' }] });
    expect(await organizationCount()).toBe(before);
  });

  it('refuses key creation with extra fields as 400 and creates no key', async () => {
    const buyer = await signUp('buyer', '中国石化 智能化部');
    for (const extra of [{ role: 'admin' }, { organizationId: '00000000-0000-4000-8000-000000000001' }, { secretHash: 'abc' }]) {
      const response = await call(0, '/v1/api-keys', buyer.apiKey, { method: 'POST', body: JSON.stringify({ name: 'sneaky', ...extra }) });
      expect(response.status).toBe(400);
    }
    expect((await json(await call(0, '/v1/api-keys', buyer.apiKey))).items).toHaveLength(1);
  });

  it.each([
    ['malformed JSON', 400, '{"name": "数据'],
    ['a JSON array', 400, '[]'],
    ['wrong types', 400, JSON.stringify({ name: ['a'], kind: 7, contactEmail: true })],
    ['an unknown kind', 400, JSON.stringify({ name: '某公司', kind: 'admin', contactEmail: 'a@example.cn' })],
    ['an invalid email', 400, JSON.stringify({ name: '某公司', kind: 'buyer', contactEmail: 'not-an-email' })],
    ['a body over the size limit', 413, JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), kind: 'buyer', contactEmail: 'a@example.cn' })],
  ])('answers %s with problem+json %i, never 500', async (_what, status, body) => {
    const before = await organizationCount();
    // The gateway answers a body over its limit before reading it, and closes: sendRaw reads that
    // answer where fetch may lose it to EPIPE, and asks again when the reset lost it altogether.
    const gateway = new URL(system.app('gateway', 0).url);
    const answer = await sendRawUntilAnswered({ host: gateway.hostname, port: Number(gateway.port), method: 'POST', path: '/v1/organizations' }, Buffer.from(body), { 'content-type': 'application/json' });
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status, code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED' });
    expect(await organizationCount()).toBe(before);
  });

  it('caps the page size', async () => {
    const response = await call(0, '/v1/admin/audit?limit=1000', system.adminKey);
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ errors: [{ field: 'limit' }] });
  });

  it('refuses malformed and unknown keys with 401', async () => {
    for (const header of ['Bearer nope', 'Basic dXNlcjpwYXNz', `Bearer trv_${'0'.repeat(32)}_${'A'.repeat(43)}`, 'Bearer']) {
      const response = await call(0, '/v1/me', undefined, { headers: { authorization: header } });
      expect(response.status).toBe(401);
    }
  });

  it('records who did what with which key, allowed or refused, readable with filters and a cursor', async () => {
    const buyer = await signUp('buyer', '华为 盘古 数据采购');
    const me = await json(await call(0, '/v1/me', buyer.apiKey));
    const created = await json(await call(0, '/v1/api-keys', buyer.apiKey, { method: 'POST', body: JSON.stringify({ name: 'eval' }), headers: { 'x-correlation-id': 'audit-check-1' } }));
    issuedKeys.push(created.key);
    await call(1, `/v1/api-keys/${created.id}`, buyer.apiKey, { method: 'DELETE' });
    const denied = await call(0, `/v1/admin/organizations/${buyer.organization.id}/suspend`, buyer.apiKey, { method: 'POST' });
    expect(denied.status).toBe(403);

    const mine = await json(await call(0, `/v1/admin/audit?actor=${buyer.organization.id}`, system.adminKey));
    expect(mine.items.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`)).toEqual([
      'organization.suspend:denied',
      'api-key.revoke:success',
      'api-key.create:success',
    ]);
    expect(mine.items[2]).toMatchObject({
      actor: { organizationId: buyer.organization.id, keyId: me.keyId, role: 'buyer' },
      target: { type: 'api-key', id: created.id },
      status: 201,
      correlationId: 'audit-check-1',
    });
    expect(mine.items[0]).toMatchObject({ status: 403, errorCode: 'FORBIDDEN', target: { type: 'organization', id: buyer.organization.id } });

    const byKey = await json(await call(0, `/v1/admin/audit?actor=${me.keyId}&action=api-key.revoke`, system.adminKey));
    expect(byKey.items).toHaveLength(1);

    const first = await json(await call(0, '/v1/admin/audit?limit=2', system.adminKey));
    const second = await json(await call(0, `/v1/admin/audit?limit=2&cursor=${first.nextCursor}`, system.adminKey));
    expect(first.items).toHaveLength(2);
    expect(second.items[0].id).not.toBe(first.items[1].id);
    expect(new Date(second.items[0].at).getTime()).toBeLessThanOrEqual(new Date(first.items[1].at).getTime());
    expect((await call(0, '/v1/admin/audit?cursor=not-a-cursor', system.adminKey)).status).toBe(400);
  });

  it('keeps no plaintext key in the database or the logs, only prefixes', async () => {
    expect(issuedKeys.length).toBeGreaterThan(3);
    const database = await withDatabase(system.databases.get('gateway')!.url, async (client) => {
      const tables = (await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)).rows.map((r) => r.tablename as string);
      const dumps = await Promise.all(tables.map(async (table) => (await client.query(`SELECT t::text AS row FROM "${table}" t`)).rows.map((r) => r.row).join('\n')));
      return dumps.join('\n');
    });
    const logs = [...system.apps.values()].flat().map((app) => app.output).join('\n');
    for (const haystack of [database, logs]) {
      expect(haystack.match(FULL_KEY)).toBeNull();
      for (const key of issuedKeys) expect(haystack).not.toContain(key.slice(13));
    }
    expect(database).toContain(issuedKeys[0].slice(0, 12));
  });
});
