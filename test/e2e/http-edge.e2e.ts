import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { sendRaw } from '../support/http';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { speechListing, VendorClient } from '../support/catalog';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

/**
 * The gateway's HTTP edge as a hostile client meets it: malformed and oversized bodies,
 * headers, paths and methods. Each answer must be problem+json with the right status and a
 * code, carry the correlation id, change nothing, and leave the gateway answering others.
 */
describe("the gateway's HTTP edge", () => {
  let system: TroveSystem;

  beforeAll(async () => {
    system = await TroveSystem.start({
      apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'],
      env: { LOG_LEVEL: 'warn' },
      // Short, so that a slow client's request is seen to end within the test.
      // The shutdown test asserts how a closing gateway answers and that it exits 0; how long the
      // close takes on a loaded machine is not its subject, so the deadline is generous.
      appEnv: { gateway: { HTTP_REQUEST_TIMEOUT_MS: '3000', SHUTDOWN_TIMEOUT_MS: '30000' } },
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  const gatewayDb = () => system.databases.get('gateway')!.url;
  const organizationCount = () => withDatabase(gatewayDb(), async (c) => (await c.query('SELECT count(*)::int AS n FROM organization')).rows[0].n as number);

  /** The answer is problem+json with this status and code, and names the request's correlation id. */
  async function expectProblem(response: Response, status: number, code: string): Promise<{ detail: string; correlationId: string; errors?: unknown[] }> {
    const text = await response.text();
    const body = JSON.parse(text);
    expect({ status: response.status, type: response.headers.get('content-type'), code: body.code, problemStatus: body.status }).toEqual({
      status,
      type: expect.stringMatching(/^application\/problem\+json/),
      code,
      problemStatus: status,
    });
    expect(body.correlationId).toBe(response.headers.get('x-correlation-id'));
    return body;
  }

  /** Sends `request` as it is on a connection of its own; answers all the server sent until it closed. */
  function rawRequest(request: string | Buffer, port = Number(new URL(system.gateway.url).port)): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(received));
      socket.setTimeout(10_000, () => socket.destroy());
    });
  }

  /** A raw answer's status, headers (lower-case names) and problem body. */
  function parseRaw(answer: string): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
    const [head, ...rest] = answer.split('\r\n\r\n');
    const [statusLine, ...lines] = head.split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(rest.join('\r\n')) };
  }

  const post = (path: string, body: RequestInit['body'], headers: Record<string, string>, as: 'anonymous' | { key: string } = 'anonymous') =>
    system.request(path, { method: 'POST', as, body, headers });

  const signUp = (name: string) => JSON.stringify({ name, kind: 'buyer', contactEmail: 'procurement@example.cn' });

  describe('JSON bodies', () => {
    it('refuses a body nested 10,000 levels deep with 400, not a 500', async () => {
      const before = await organizationCount();
      const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
      await expectProblem(await post('/v1/organizations', deep, { 'content-type': 'application/json' }), 400, 'VALIDATION_FAILED');
      const deepName = `{"name":${'['.repeat(10_000)}"国网"${']'.repeat(10_000)},"kind":"buyer","contactEmail":"ai@example.cn"}`;
      await expectProblem(await post('/v1/organizations', deepName, { 'content-type': 'application/json' }), 400, 'VALIDATION_FAILED');
      expect(await organizationCount()).toBe(before);
    });

    it('refuses NUL and lone surrogates in any string with 400, where they were a 500 or stored as U+FFFD', async () => {
      const vendor = await VendorClient.signUp(system, '数据堂 Datatang');
      const before = await organizationCount();
      for (const name of ['国网\u0000智能研究院', '国网\ud800研究院']) {
        const problem = await expectProblem(await post('/v1/organizations', signUp(name), { 'content-type': 'application/json' }), 400, 'VALIDATION_FAILED');
        expect(problem.detail).toMatch(/^name holds/);
        expect(problem.errors).toEqual([{ field: 'name', problems: [problem.detail] }]);
      }
      expect(await organizationCount()).toBe(before);
      for (const listing of [speechListing({ title: '普通话\u0000朗读语音' }), speechListing({ tags: ['普通话', 'ASR\u0000'] }), speechListing({ description: '\u0000' })]) {
        await expectProblem(await vendor.call('/v1/datasets', 'POST', listing), 400, 'VALIDATION_FAILED');
      }
      const datasets = await withDatabase(system.databases.get('catalog')!.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM dataset')).rows[0].n);
      expect(datasets).toBe(0);
    });

    it('takes JSON in UTF-8 only: another charset, bytes that are not UTF-8, forms, text and compressed bodies are refused and create nothing', async () => {
      const before = await organizationCount();
      const latin1 = Buffer.from('{"name":"Caf\xe9 Sh\xe0nghai","kind":"buyer","contactEmail":"ai@example.cn"}', 'latin1');
      await expectProblem(await post('/v1/organizations', latin1, { 'content-type': 'application/json; charset=latin1' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectProblem(await post('/v1/organizations', latin1, { 'content-type': 'application/json' }), 400, 'VALIDATION_FAILED');
      const form = 'name=%E5%9B%BD%E7%BD%91&kind=buyer&contactEmail=ai%40example.cn';
      await expectProblem(await post('/v1/organizations', form, { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectProblem(await post('/v1/organizations', signUp('国网'), { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectProblem(await post('/v1/organizations', gzipSync(signUp('国网')), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectProblem(await post('/v1/organizations', signUp('国网'), { 'content-type': 'application/json', 'content-encoding': 'br' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await organizationCount()).toBe(before);

      // UTF-8, said or not, with or without a byte order mark, is taken.
      for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"']) {
        expect((await post('/v1/organizations', signUp('国网智能研究院'), { 'content-type': type })).status).toBe(201);
      }
      expect((await post('/v1/organizations', `\ufeff${signUp('国网智能研究院')}`, { 'content-type': 'application/json' })).status).toBe(201);
      expect(await organizationCount()).toBe(before + 4);
    });

    it('tells a caller without a valid key that it needs one before anything about its body', async () => {
      const malformed: [RequestInit['body'], Record<string, string>, number][] = [
        ['{"title":"普通话朗读', { 'content-type': 'application/json' }, 400],
        ['{"title":"a","title":"b"}', { 'content-type': 'application/json' }, 400],
        [String(speechListing().title), { 'content-type': 'text/plain' }, 415],
        [Buffer.from('{"title":"Caf\xe9"}', 'latin1'), { 'content-type': 'application/json; charset=latin1' }, 415],
        [gzipSync(JSON.stringify(speechListing())), { 'content-type': 'application/json', 'content-encoding': 'gzip' }, 415],
      ];
      const vendor = await VendorClient.signUp(system, '数据堂 Datatang 边界测试');
      // A key that is not valid too (once: failures from one address are soon rate-limited).
      await expectProblem(await post('/v1/datasets', malformed[0][0], malformed[0][1], { key: 'trv_0000000000000000000000000000000a_notakey' }), 401, 'UNAUTHENTICATED');
      for (const [body, headers, status] of malformed) {
        await expectProblem(await post('/v1/datasets', body, headers), 401, 'UNAUTHENTICATED');
        await expectProblem(await post('/v1/datasets', body, headers, { key: vendor.key }), status, status === 400 ? 'VALIDATION_FAILED' : 'UNSUPPORTED_MEDIA_TYPE');
      }
      const datasets = await withDatabase(system.databases.get('catalog')!.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM dataset WHERE vendor_organization_id = $1', [vendor.organizationId])).rows[0].n);
      expect(datasets).toBe(0);
      // Refused with the caller known, each is in the audit log as every other refused change is.
      const audit = await json(await system.request(`/v1/admin/audit?actor=${vendor.organizationId}&action=dataset.create&limit=100`));
      expect(audit.items.map((e: { status: number; errorCode: string }) => [e.status, e.errorCode]).sort()).toEqual(
        malformed.map(([, , status]) => [status, status === 400 ? 'VALIDATION_FAILED' : 'UNSUPPORTED_MEDIA_TYPE']).sort(),
      );
    });

    it('refuses a body that is not a JSON object: PATCH null was a 200 that changed nothing', async () => {
      const vendor = await VendorClient.signUp(system, '希尔贝壳 AISHELL');
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing());
      for (const body of ['null', '[]', '"普通话"', '42', 'true']) {
        const patch = await system.request(`/v1/datasets/${dataset.id}`, { method: 'PATCH', as: { key: vendor.key }, body, headers: { 'content-type': 'application/json' } });
        expect((await expectProblem(patch, 400, 'VALIDATION_FAILED')).detail).toBe('The body must be a JSON object.');
        const signUp = await post('/v1/organizations', body, { 'content-type': 'application/json' });
        expect((await expectProblem(signUp, 400, 'VALIDATION_FAILED')).detail).toBe('The body must be a JSON object.');
      }
    });

    it('refuses a list where an object belongs, where it was a 500 or stored an offer priced at nothing', async () => {
      const buyer = await json(await post('/v1/organizations', signUp('智谱 AI / Zhipu AI'), { 'content-type': 'application/json' }));
      const vendor = await VendorClient.signUp(system, '爱数智慧 MagicData');
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing());
      const command = (path: string, body: unknown, key: string) =>
        system.request(path, { method: 'POST', as: { key }, headers: { 'idempotency-key': randomUUID() }, body: JSON.stringify(body) });
      const refused = async (response: Response, field: string) => {
        const problem = await expectProblem(response, 400, 'VALIDATION_FAILED');
        expect(problem.errors).toContainEqual({ field, problems: [`${field.split('.').pop()} must be an object, not a list`] });
      };
      await refused(await command('/v1/wallet/top-ups', { amount: [], reference: '招商银行 CMB-20261130-0042' }, buyer.apiKey), 'amount');
      await refused(await command('/v1/payouts', { amount: [] }, vendor.key), 'amount');
      await refused(await command(`/v1/datasets/${dataset.id}/offers`, { license: { template: 'commercial' }, pricing: [] }, vendor.key), 'pricing');
      await refused(await command(`/v1/datasets/${dataset.id}/offers`, { license: { template: 'commercial' }, pricing: { model: 'one_time', price: [] } }, vendor.key), 'pricing.price');
      await refused(await command(`/v1/datasets/${dataset.id}/offers`, { license: [], pricing: { model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } } }, vendor.key), 'license');
      await refused(await vendor.call('/v1/datasets', 'POST', speechListing({ speech: [] })), 'speech');
      const offers = await withDatabase(system.databases.get('catalog')!.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM offer')).rows[0].n);
      const topUps = await withDatabase(system.databases.get('billing')!.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM top_up')).rows[0].n);
      expect({ offers, topUps }).toEqual({ offers: 0, topUps: 0 });
    });

    it('refuses a body with fields on a route that takes none, where it was dropped unseen and answered 200; no body and {} are taken', async () => {
      const vendor = await json(await post('/v1/organizations', JSON.stringify({ name: '数据堂 Datatang', kind: 'vendor', contactEmail: 'bd@datatang.example.cn' }), { 'content-type': 'application/json' }));
      const id = vendor.organization.id as string;
      const status = async () => (await json(await system.request('/v1/me', { as: { key: vendor.apiKey } }))).organization.status;
      const approve = (body?: string) => system.request(`/v1/admin/organizations/${id}/approve`, { method: 'POST', ...(body === undefined ? {} : { body }) });
      const problem = await expectProblem(await approve(JSON.stringify({ reason: '营业执照与数据来源证明已核验', notifyVendor: true })), 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([
        { field: 'reason', problems: ['this request takes no body'] },
        { field: 'notifyVendor', problems: ['this request takes no body'] },
      ]);
      expect(await status()).toBe('pending');
      expect((await approve('{}')).status).toBe(200);
      expect(await status()).toBe('active');
      // A GET's body was never read (a buyer asking `GET /v1/wallet` for `{"currency":"USD"}` got its CNY wallet, 200).
      const gateway = new URL(system.app('gateway', 0).url);
      const get = (body: string) =>
        sendRaw({ host: gateway.hostname, port: Number(gateway.port), method: 'GET', path: '/v1/me' }, Buffer.from(body), { authorization: `Bearer ${vendor.apiKey}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      const withBody = await get(JSON.stringify({ organization: '00000000-0000-4000-8000-000000000001' }));
      expect([withBody.status, withBody.headers['content-type'], withBody.body.errors]).toEqual([400, expect.stringMatching(/^application\/problem\+json/), [{ field: 'body', problems: ['this request takes no body'] }]]);
      expect((await get('')).status).toBe(200);
      const suspend = await system.request(`/v1/admin/organizations/${id}/suspend`, { method: 'POST' });
      expect(suspend.status).toBe(200);
      // A route that takes a body still names what it does not know, as before.
      const signUp = await post('/v1/organizations', JSON.stringify({ name: '标贝科技 DataBaker', kind: 'buyer', contactEmail: 'ai@databaker.example.cn', reason: 'x' }), { 'content-type': 'application/json' });
      expect((await expectProblem(signUp, 400, 'VALIDATION_FAILED')).errors).toEqual([{ field: 'reason', problems: ['property reason should not exist'] }]);
    });

    it('refuses a query parameter a route does not read, where it was dropped unseen and answered 200; nothing is created', async () => {
      const buyer = await json(await post('/v1/organizations', signUp('零一万物 01.AI'), { 'content-type': 'application/json' }));
      const as = { as: { key: buyer.apiKey } };
      const me = await expectProblem(await system.request('/v1/me?organization=00000000-0000-4000-8000-000000000001', as), 400, 'VALIDATION_FAILED');
      expect(me.errors).toEqual([{ field: 'organization', problems: ['this route takes no such query parameter'] }]);
      await expectProblem(await system.request('/v1/admin/stats?currency=CNY', {}), 400, 'VALIDATION_FAILED');
      // A route that takes a body but no query: the key it would have made is not made.
      const keys = async () => (await json(await system.request('/v1/api-keys', as))).items.length;
      const before = await keys();
      const created = await system.request('/v1/api-keys?expiresAt=2027-01-01T00:00:00Z', { method: 'POST', ...as, body: JSON.stringify({ name: 'nightly-eval' }) });
      expect((await expectProblem(created, 400, 'VALIDATION_FAILED')).errors).toEqual([{ field: 'expiresAt', problems: ['this route takes no such query parameter'] }]);
      expect(await keys()).toBe(before);
      // Still first: no key is a 401, not a 400; routes with a query class name what they do not read in the same words.
      expect((await system.request('/v1/me?x=1', { as: 'anonymous' })).status).toBe(401);
      expect((await expectProblem(await system.request('/v1/api-keys?x=1', as), 400, 'VALIDATION_FAILED')).errors).toEqual([{ field: 'x', problems: ['this route takes no such query parameter'] }]);
      expect((await expectProblem(await system.request('/v1/orders?foo=1', as), 400, 'VALIDATION_FAILED')).errors).toEqual([{ field: 'foo', problems: ['this route takes no such query parameter'] }]);
      // Names Object.prototype has were dropped unseen by the query class's transformation.
      for (const name of ['toString', 'constructor', 'valueOf']) {
        const inherited = await expectProblem(await system.request(`/v1/api-keys?${name}=1`, as), 400, 'VALIDATION_FAILED');
        expect(inherited.errors).toEqual([{ field: name, problems: ['this route takes no such query parameter'] }]);
      }
      expect((await system.request('/v1/me', as)).status).toBe(200);
      expect((await system.request('/health/live?probe=1', { as: 'anonymous' })).status).toBe(200);
    });

    it('refuses a 1 MiB body of 350,000 empty order lines at once, with a short answer, while others are served', async () => {
      const buyer = await json(await post('/v1/organizations', signUp('百度智能云千帆 / Baidu AI Cloud Qianfan'), { 'content-type': 'application/json' }));
      const lines = Math.floor((1024 * 1024 - 40) / 3);
      const body = `{"items":[${Array(lines).fill('{}').join(',')}],"acceptLicense":true}`;
      const started = Date.now();
      const flood = post('/v1/orders', body, { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, { key: buyer.apiKey });
      // Another client's request while the flood is handled.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const probeStarted = Date.now();
      const probe = await system.request('/v1/me', { as: { key: buyer.apiKey } });
      const probeMs = Date.now() - probeStarted;
      const answer = await flood;
      const elapsed = Date.now() - started;
      const text = await answer.clone().text();
      await expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(probe.status).toBe(200);
      // It took 15 s and answered 40 MB (each line's errors); a request beside it waited 12 s.
      expect({ short: text.length < 16 * 1024, fast: elapsed < 3000, probeFast: probeMs < 3000 }).toEqual({ short: true, fast: true, probeFast: true });
    });

    it('names a few of 2,000 unknown query parameters, not all of them', async () => {
      const query = Array.from({ length: 2000 }, (_, i) => `u${i}=1`).join('&');
      const response = await system.request(`/v1/datasets?${query}`, { as: 'anonymous' });
      const text = await response.clone().text();
      const problem = await expectProblem(response, 400, 'VALIDATION_FAILED');
      // Each one was named twice: a 14 KB request answered 200 KB.
      expect(problem.errors!.length).toBe(20);
      expect(problem.detail).toMatch(/; and 1980 more fields$/);
      expect(text.length).toBeLessThan(8 * 1024);
    });
  });

  describe('requests the HTTP server refuses before any route', () => {
    it.each([
      ['a 64 KiB Authorization header', `GET /v1/me HTTP/1.1\r\nHost: trove\r\nAuthorization: Bearer ${'a'.repeat(64 * 1024)}\r\n\r\n`, 431],
      ['a 100 KiB query string', `GET /v1/datasets?q=${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: trove\r\n\r\n`, 431],
      ['a request line that is not HTTP', 'HELLO TROVE\r\n\r\n', 400],
      ['a bare CR inside a header', 'GET /v1/datasets HTTP/1.1\r\nHost: trove\r\nx-correlation-id: po\r-2026\r\n\r\n', 400],
      ['raw UTF-8 in the URL', Buffer.concat([Buffer.from('GET /v1/datasets?q='), Buffer.from('普通话', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: trove\r\n\r\n')]), 400],
      ['two Content-Length headers', 'POST /v1/organizations HTTP/1.1\r\nHost: trove\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400],
    ])('answers %s with problem+json and a correlation id', async (_name, request, status) => {
      const answer = parseRaw(await rawRequest(request));
      expect({ status: answer.status, type: answer.headers['content-type'], problemStatus: answer.body.status, code: answer.body.code }).toEqual({
        status,
        type: expect.stringMatching(/^application\/problem\+json/),
        problemStatus: status,
        code: 'VALIDATION_FAILED',
      });
      expect(answer.body.correlationId).toEqual(expect.any(String));
      expect(answer.headers['x-correlation-id']).toBe(answer.body.correlationId);
      expect((await system.request('/v1/me')).status).toBe(200);
    });
  });

  describe('requests refused before any route', () => {
    it.each([
      ['broken percent-encoding in the path', '/v1/datasets/%E4%B8', 400],
      ['a path parameter of 200 characters', `/v1/datasets/${'a'.repeat(200)}`, 414],
      ['escapes that are not UTF-8 in the query, where the search ran for what the client never meant', '/v1/datasets?q=%ff%fe', 400],
      ['a lone % in the query', '/v1/datasets?q=%&modality=speech', 400],
    ])('answers %s with problem+json carrying x-correlation-id, the client’s when it sent one', async (_name, path, status) => {
      const response = await system.request(path, { headers: { 'x-correlation-id': 'po-2026-11-CMB-0042' } });
      const problem = await expectProblem(response, status, 'VALIDATION_FAILED');
      expect(problem).toMatchObject({ correlationId: 'po-2026-11-CMB-0042' });
    });
  });

  describe('paths and methods', () => {
    it('answers a known path asked with another method 405 METHOD_NOT_ALLOWED naming the allowed ones, and an unknown path 404', async () => {
      const cases: [string, string, string][] = [
        ['DELETE', '/v1/me', 'GET, HEAD'],
        ['PUT', '/v1/datasets', 'GET, HEAD, POST'],
        ['GET', `/v1/api-keys/${randomUUID()}`, 'DELETE'],
        ['PATCH', '/v1/orders', 'GET, HEAD, POST'],
        ['OPTIONS', '/v1/datasets', 'GET, HEAD, POST'],
        ['POST', '/v1/wallet', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        const response = await system.request(path, { method });
        expect(`${method} ${path}: ${response.status} ${response.headers.get('allow')}`).toBe(`${method} ${path}: 405 ${allow}`);
        await expectProblem(response, 405, 'METHOD_NOT_ALLOWED');
      }
      // Sent as written: fetch would resolve %2e%2e and the double slash itself.
      for (const path of ['/v1/nothing-here', '/V1/me', '/v1/me/', '//v1/me', '/v1/datasets/%2e%2e/me', '/v1/datasets/../me', '/docs/swagger-ui-missing.js']) {
        const answer = parseRaw(await rawRequest(`GET ${path} HTTP/1.1\r\nHost: trove\r\nAuthorization: Bearer ${system.adminKey}\r\nConnection: close\r\n\r\n`));
        expect(`${path}: ${answer.status} ${answer.body.code}`).toBe(`${path}: 404 NOT_FOUND`);
      }
      const head = await system.request('/v1/me', { method: 'HEAD' });
      expect({ status: head.status, type: head.headers.get('content-type'), body: await head.text() }).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/), body: '' });
    });
  });

  describe('ids in paths', () => {
    it('revoking a key by its id in upper case refuses the key at once and stops the download URLs signed for it', async () => {
      const vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
      const { dataset, offer } = await vendor.listing(speechListing(), { 'README.md': Buffer.from('# 普通话手机采集朗读语音\n\n2,000 名说话人。\n') });
      await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
      expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);

      const signedUp = await json(await post('/v1/organizations', signUp('国网智能研究院 / State Grid AI Lab'), { 'content-type': 'application/json' }));
      const buyer = { key: signedUp.apiKey as string };
      const command = (path: string, body?: unknown, as: 'admin' | { key: string } = buyer) =>
        system.request(path, { method: 'POST', as, headers: { 'idempotency-key': randomUUID() }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const topUp = await json(await command('/v1/wallet/top-ups', { amount: { amount: 20_000_000, currency: 'CNY' }, reference: '招商银行 CMB-20261130-0042' }));
      expect((await command(`/v1/admin/top-ups/${topUp.id}/confirm`, undefined, 'admin')).status).toBe(200);
      const order = await json(await command('/v1/orders', { items: [{ offerId: offer.id }], acceptLicense: true }));
      await waitFor(`order ${order.id} fulfilled`, async () => (await json(await system.request(`/v1/orders/${order.id}`, { as: buyer }))).status === 'fulfilled', 60_000);
      const entitlement = (await json(await system.request('/v1/entitlements', { as: buyer }))).items.find((e: { orderId: string }) => e.orderId === order.id);

      // A second key of the buyer's, for the training cluster; its URL downloads.
      const cluster = await json(await command('/v1/api-keys', { name: 'training-cluster' }));
      const manifest = await json(await system.request(`/v1/entitlements/${entitlement.id}/manifest`, { as: { key: cluster.key } }));
      const url = manifest.versions[0].files.find((f: { path: string }) => f.path === 'README.md').url as string;
      const download = await fetch(url);
      // Delivery writes a download's headers itself: the platform's go with them.
      expect({ status: download.status, nosniff: download.headers.get('x-content-type-options') }).toEqual({ status: 200, nosniff: 'nosniff' });
      expect((await system.request('/v1/me', { as: { key: cluster.key } })).status).toBe(200);

      // UUIDs are case-insensitive, so the revocation is accepted; it must then hold everywhere.
      const revoked = await system.request(`/v1/api-keys/${String(cluster.id).toUpperCase()}`, { method: 'DELETE', as: buyer });
      expect(revoked.status).toBe(204);
      expect((await system.request('/v1/me', { as: { key: cluster.key } })).status).toBe(401);
      await waitFor('the URL of the revoked key refused', async () => {
        const response = await fetch(url);
        return response.status === 403 && ((await response.json()) as { code?: string }).code === 'API_KEY_REVOKED';
      }, 15_000, 50);
      const audit = await json(await system.request('/v1/admin/audit?action=api-key.revoke'));
      expect(audit.items.map((e: { target: { id: string } }) => e.target.id)).toEqual([cluster.id]);
    });

    it('suspending an organization by its id in upper case refuses its keys at once', async () => {
      const signedUp = await json(await post('/v1/organizations', signUp('中国电信人工智能研究院 / China Telecom AI'), { 'content-type': 'application/json' }));
      expect((await system.request('/v1/me', { as: { key: signedUp.apiKey } })).status).toBe(200);
      const suspended = await system.request(`/v1/admin/organizations/${String(signedUp.organization.id).toUpperCase()}/suspend`, { method: 'POST' });
      expect(suspended.status).toBe(200);
      await expectProblem(await system.request('/v1/me', { as: { key: signedUp.apiKey } }), 403, 'ORGANIZATION_SUSPENDED');
    });
  });

  describe('the Authorization header', () => {
    it('refuses a request with two Authorization headers, where the first was served and the second dropped unseen', async () => {
      const buyer = await json(await post('/v1/organizations', signUp('百川智能 / Baichuan AI'), { 'content-type': 'application/json' }));
      for (const [first, second] of [
        [buyer.apiKey, system.adminKey],
        [system.adminKey, buyer.apiKey],
      ]) {
        const answer = parseRaw(await rawRequest(`GET /v1/me HTTP/1.1\r\nHost: trove\r\nAuthorization: Bearer ${first}\r\nAuthorization: Bearer ${second}\r\nConnection: close\r\n\r\n`));
        expect({ status: answer.status, code: answer.body.code, detail: answer.body.detail }).toEqual({ status: 401, code: 'UNAUTHENTICATED', detail: 'Send one Authorization header: this request has 2.' });
      }
      expect((await system.request('/v1/me', { as: { key: buyer.apiKey } })).status).toBe(200);
    });
  });

  describe('field sizes', () => {
    it('refuses a version name of 8,000 characters with 400, where the catalog failed to index it (a 500)', async () => {
      const vendor = await VendorClient.signUp(system, '标贝科技 DataBaker');
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing());
      // Random letters, so PostgreSQL cannot compress the index entry below its limit.
      const version = `1.0.0-rc${randomBytes(6000).toString('hex').slice(0, 8000 - 8)}`;
      const problem = await expectProblem(await vendor.call(`/v1/datasets/${dataset.id}/versions`, 'POST', { version, changelog: '候选版本' }), 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([{ field: 'version', problems: ['version must be at most 64 characters'] }]);
      expect((await vendor.call(`/v1/datasets/${dataset.id}/versions`, 'POST', { version: '1.0.0-rc.1', changelog: '候选版本' })).status).toBe(201);
    });
  });

  describe('headers on every answer', () => {
    it('sends X-Content-Type-Options: nosniff with every answer of every app, errors and refusals before any route included', async () => {
      const buyer = await json(await post('/v1/organizations', signUp('科大讯飞 / iFLYTEK'), { 'content-type': 'application/json' }));
      const answers: [string, Response][] = [
        ['GET /v1/me', await system.request('/v1/me', { as: { key: buyer.apiKey } })],
        ['GET /v1/datasets?q=普通话', await system.request(`/v1/datasets?q=${encodeURIComponent('普通话')}`, { as: 'anonymous' })],
        ['HEAD /v1/me', await system.request('/v1/me', { method: 'HEAD', as: { key: buyer.apiKey } })],
        ['GET /v1/me without a key', await system.request('/v1/me', { as: 'anonymous' })],
        ['POST /v1/orders with no body', await post('/v1/orders', '{}', { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, { key: buyer.apiKey })],
        ['DELETE /v1/me', await system.request('/v1/me', { method: 'DELETE' })],
        ['GET /v1/nothing-here', await system.request('/v1/nothing-here')],
        ['broken percent-encoding', await system.request('/v1/datasets/%E4%B8')],
        ['GET /docs-json', await system.request('/docs-json')],
      ];
      for (const name of ['gateway', 'catalog', 'ordering', 'billing', 'delivery'] as const) {
        answers.push([`${name} GET /health/live`, await fetch(`${system.app(name).url}/health/live`)]);
        answers.push([`${name} GET /health/ready`, await fetch(`${system.app(name).url}/health/ready`)]);
      }
      const missing = answers.filter(([, response]) => response.headers.get('x-content-type-options') !== 'nosniff').map(([name, response]) => `${name} (${response.status})`);
      expect(missing).toEqual([]);
      // The answers Node's parser makes before Fastify sees the request too.
      const tooLong = parseRaw(await rawRequest(`GET /v1/me HTTP/1.1\r\nHost: trove\r\nAuthorization: Bearer ${'a'.repeat(64 * 1024)}\r\n\r\n`));
      expect({ status: tooLong.status, nosniff: tooLong.headers['x-content-type-options'] }).toEqual({ status: 431, nosniff: 'nosniff' });
    });
  });

  describe('slow clients', () => {
    it('answers 408 and closes a request whose body trickles in past HTTP_REQUEST_TIMEOUT_MS, and serves a slow request that ends in time', async () => {
      const port = Number(new URL(system.gateway.url).port);
      const socket = connect(port, '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('error', () => undefined);
      const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
      const started = Date.now();
      socket.write('POST /v1/organizations HTTP/1.1\r\nHost: trove\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":"');
      // One byte every 500 ms: never idle for HTTP_IDLE_TIMEOUT_MS, and it would take 14 hours.
      const drip = setInterval(() => socket.writable && socket.write('a'), 500);
      let giveUp: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([closed.then((at) => at - started), new Promise<'still open'>((resolve) => (giveUp = setTimeout(() => resolve('still open'), 12_000)))]);
      clearTimeout(giveUp);
      clearInterval(drip);
      socket.destroy();
      expect(outcome).not.toBe('still open');
      expect(outcome).toBeGreaterThanOrEqual(3000);
      const answer = parseRaw(received);
      expect({ status: answer.status, code: answer.body.code }).toEqual({ status: 408, code: 'VALIDATION_FAILED' });

      const body = Buffer.from(signUp('上海人工智能实验室 / Shanghai AI Lab'));
      const slow = await new Promise<string>((resolve) => {
        const client = connect(port, '127.0.0.1');
        let text = '';
        client.on('data', (chunk) => (text += chunk.toString('utf8')));
        client.on('close', () => resolve(text));
        client.write(`POST /v1/organizations HTTP/1.1\r\nHost: trove\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
        const half = Math.floor(body.length / 2);
        setTimeout(() => client.write(body.subarray(0, half)), 700);
        setTimeout(() => client.write(body.subarray(half)), 1400);
      });
      expect(slow).toMatch(/^HTTP\/1\.1 201 Created/);
    });
  });

  // Last: the gateway is stopped, then started again.
  describe('shutting down', () => {
    it('answers a request arriving on an open connection while the gateway closes with problem+json 503, Retry-After and the correlation id; one that never arrives whole is cut with 408 and does not hold the exit', async () => {
      const gateway = system.gateway;
      const port = Number(new URL(gateway.url).port);
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('error', () => undefined);
      const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
      // A request begun before the signal keeps its connection from being closed as idle; the
      // rest of it arrives once the gateway has begun closing (it takes no new connections).
      socket.write(`GET /v1/me HTTP/1.1\r\nHost: trove\r\n`);
      // Half a request that never ends: Node stops timing requests once its server closes, and
      // this one held the exit until SHUTDOWN_TIMEOUT_MS, then exit code 143.
      const stalled = connect(port, '127.0.0.1');
      stalled.on('error', () => undefined);
      let stalledReceived = '';
      stalled.on('data', (chunk) => (stalledReceived += chunk.toString('utf8')));
      const stalledClosed = new Promise<string>((resolve) => stalled.once('close', () => resolve(stalledReceived)));
      stalled.write(`POST /v1/organizations HTTP/1.1\r\nHost: trove\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const signalled = Date.now();
      gateway.kill('SIGTERM');
      const refusesConnections = () =>
        new Promise<boolean>((resolve) => {
          const probe = connect(port, '127.0.0.1');
          probe.once('connect', () => (probe.destroy(), resolve(false)));
          probe.once('error', () => resolve(true));
        });
      await waitFor('the gateway to stop taking connections', refusesConnections, 10_000, 20);
      const closingAfter = Date.now() - signalled;
      socket.write(`Authorization: Bearer ${system.adminKey}\r\nx-correlation-id: po-2026-11-CMB-0042\r\n\r\n`);
      const answer = parseRaw(await closed);
      // It was Fastify's own {"error":"Service Unavailable"} in JSON, with no Retry-After and no id.
      expect({
        closingAfter: closingAfter < 2500,
        status: answer.status,
        type: answer.headers['content-type'],
        code: answer.body.code,
        problemStatus: answer.body.status,
        retryAfter: answer.headers['retry-after'],
        correlationId: [answer.headers['x-correlation-id'], answer.body.correlationId],
        nosniff: answer.headers['x-content-type-options'],
      }).toEqual({
        closingAfter: true,
        status: 503,
        type: expect.stringMatching(/^application\/problem\+json/),
        code: 'SERVICE_UNAVAILABLE',
        problemStatus: 503,
        retryAfter: expect.stringMatching(/^[1-9]\d*$/),
        correlationId: ['po-2026-11-CMB-0042', 'po-2026-11-CMB-0042'],
        nosniff: 'nosniff',
      });
      // On a failure the gateway's last lines say why it did not exit cleanly.
      const exit = await gateway.exit(35_000);
      expect({ ...exit, output: exit.code === 0 ? '' : gateway.tail() }).toEqual({ code: 0, signal: null, output: '' });
      const cut = parseRaw(await stalledClosed);
      expect({ status: cut.status, code: cut.body.code }).toEqual({ status: 408, code: 'VALIDATION_FAILED' });

      gateway.start();
      await gateway.ready();
      expect((await system.request('/v1/me')).status).toBe(200);
    });
  });
});
