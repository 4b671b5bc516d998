import { randomUUID } from 'node:crypto';
import { commercialOffer, sha256Hex, speechListing, VendorClient, yearlyOffer, type GatewayCaller } from '../support/catalog';
import { sendRawUntilAnswered } from '../support/http';
import { waitFor } from '../support/processes';
import { TroveSystem } from '../support/system';

/**
 * The public contract (API.md: paths, verbs, status codes, field names, conventions) checked route
 * by route the way a client written from that page alone would meet it, and the OpenAPI the
 * gateway serves at /docs-json checked against what the gateway actually answers. Every answer
 * of the gateway this file sees is recorded, and the last tests hold each one to the
 * conventions and to the route's documented responses.
 *
 * A deviation found and not fixed yet is written as `it.failing`, saying what the contract
 * requires: once the behaviour is fixed, jest reports the `it.failing` as failed and it becomes a
 * plain `it`. None is left.
 */

jest.setTimeout(300_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Role = 'admin' | 'vendor' | 'buyer';
type Caller = 'admin' | 'anonymous' | { key: string };

interface Party {
  key: string;
  organizationId: string;
}

/** One answer of the gateway as this file saw it. */
interface Seen {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  correlationId: string | null;
  sentCorrelationId: string | null;
  body: Json;
}

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

/** API.md's routes: who may call each, and the success status where the page names one. */
const CONTRACT: { method: string; path: string; who: 'anyone' | 'any key' | Role[]; success?: number }[] = [
  { method: 'POST', path: '/v1/organizations', who: 'anyone', success: 201 },
  { method: 'GET', path: '/v1/me', who: 'any key' },
  { method: 'POST', path: '/v1/api-keys', who: 'any key', success: 201 },
  { method: 'GET', path: '/v1/api-keys', who: 'any key' },
  { method: 'DELETE', path: '/v1/api-keys/{id}', who: 'any key', success: 204 },
  { method: 'POST', path: '/v1/admin/organizations/{id}/approve', who: ['admin'] },
  { method: 'POST', path: '/v1/admin/organizations/{id}/suspend', who: ['admin'] },
  { method: 'POST', path: '/v1/datasets', who: ['vendor'], success: 201 },
  { method: 'PATCH', path: '/v1/datasets/{id}', who: ['vendor'] },
  { method: 'GET', path: '/v1/datasets/{id}', who: 'anyone' },
  { method: 'GET', path: '/v1/datasets/{id}/downloads', who: ['vendor', 'admin'] },
  { method: 'GET', path: '/v1/datasets', who: 'anyone' },
  { method: 'POST', path: '/v1/datasets/{id}/versions', who: ['vendor'], success: 201 },
  { method: 'POST', path: '/v1/datasets/{id}/versions/{versionId}/uploads', who: ['vendor'], success: 201 },
  { method: 'POST', path: '/v1/datasets/{id}/versions/{versionId}/release', who: ['vendor'] },
  { method: 'DELETE', path: '/v1/datasets/{id}/versions/{versionId}/files/{path}', who: ['vendor'], success: 204 },
  { method: 'POST', path: '/v1/datasets/{id}/samples', who: ['vendor'], success: 201 },
  { method: 'DELETE', path: '/v1/datasets/{id}/samples/{sampleId}', who: ['vendor'], success: 204 },
  { method: 'POST', path: '/v1/datasets/{id}/offers', who: ['vendor'], success: 201 },
  { method: 'POST', path: '/v1/datasets/{id}/submit', who: ['vendor'] },
  { method: 'POST', path: '/v1/datasets/{id}/withdraw', who: ['vendor'] },
  { method: 'POST', path: '/v1/admin/datasets/{id}/approve', who: ['admin'] },
  { method: 'POST', path: '/v1/admin/datasets/{id}/reject', who: ['admin'] },
  { method: 'POST', path: '/v1/admin/datasets/{id}/suspend', who: ['admin'] },
  { method: 'POST', path: '/v1/access-requests', who: ['buyer'], success: 201 },
  { method: 'POST', path: '/v1/access-requests/{id}/approve', who: ['vendor'] },
  { method: 'POST', path: '/v1/access-requests/{id}/reject', who: ['vendor'] },
  { method: 'POST', path: '/v1/orders', who: ['buyer'], success: 201 },
  { method: 'GET', path: '/v1/orders/{id}', who: ['buyer', 'admin'] },
  { method: 'GET', path: '/v1/orders', who: ['buyer', 'admin'] },
  { method: 'GET', path: '/v1/sales', who: ['vendor'] },
  { method: 'POST', path: '/v1/admin/orders/{id}/refund', who: ['admin'], success: 202 },
  { method: 'GET', path: '/v1/wallet', who: ['buyer'] },
  { method: 'POST', path: '/v1/wallet/top-ups', who: ['buyer'], success: 201 },
  { method: 'POST', path: '/v1/admin/top-ups/{id}/confirm', who: ['admin'] },
  { method: 'GET', path: '/v1/invoices', who: ['buyer', 'admin'] },
  { method: 'GET', path: '/v1/invoices/{id}', who: ['buyer', 'admin'] },
  { method: 'GET', path: '/v1/balance', who: ['vendor'] },
  { method: 'GET', path: '/v1/balance/statement', who: ['vendor'] },
  { method: 'GET', path: '/v1/admin/organizations/{id}/statement', who: ['admin'] },
  { method: 'GET', path: '/v1/admin/organizations/{id}/wallet', who: ['admin'] },
  { method: 'POST', path: '/v1/payouts', who: ['vendor'] },
  { method: 'POST', path: '/v1/admin/payouts/{id}/approve', who: ['admin'] },
  { method: 'GET', path: '/v1/admin/ledger/trial-balance', who: ['admin'] },
  { method: 'GET', path: '/v1/entitlements', who: ['buyer'] },
  { method: 'GET', path: '/v1/entitlements/{id}/manifest', who: ['buyer'] },
  { method: 'GET', path: '/v1/admin/health', who: ['admin'] },
  { method: 'GET', path: '/v1/admin/stats', who: ['admin'] },
  { method: 'GET', path: '/v1/admin/audit', who: ['admin'] },
];

/** The routes API.md calls lists: `?limit=` (20 by default, 100 at most), `?cursor=`, `{items, nextCursor}`. */
const LISTS = ['/v1/api-keys', '/v1/datasets', '/v1/orders', '/v1/sales', '/v1/invoices', '/v1/entitlements', '/v1/admin/audit'];

/** The order statuses API.md names. */
const ORDER_STATUSES = ['pending_payment', 'paid', 'fulfilled', 'cancelled', 'refunded'];

const PROBLEM_FIELDS = ['code', 'correlationId', 'detail', 'status', 'title', 'type'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PRICE = 9_900; // 99.00 yuan: a sample pack of a speech corpus
const money = (amount: number) => ({ amount, currency: 'CNY' });
const isMoney = { amount: expect.any(Number), currency: 'CNY' };

/** Fills a route's `{id}`/`{versionId}` with `ids` (a fresh UUID where not given). */
function concrete(template: string, ids: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => ids[name] ?? randomUUID());
}

// ---------------------------------------------------------------------------------------------
// A small reader of the OpenAPI document: which operation a path is, and whether a body fits the
// schema documented for it. The gateway's document is OpenAPI 3.0 as @nestjs/swagger writes it.

interface Schema {
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  type?: string;
  nullable?: boolean;
  enum?: unknown[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
}

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[]; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>>;
  components: { schemas: Record<string, Schema> };
}

function templateOf(doc: OpenApi, method: string, path: string): string | undefined {
  const segments = path.split('?')[0].split('/');
  let best: string | undefined;
  let bestLiterals = -1;
  for (const template of Object.keys(doc.paths)) {
    if (!doc.paths[template][method.toLowerCase()]) continue;
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    let literals = 0;
    const fits = parts.every((part, i) => /^\{\w+\}$/.test(part) || (part === segments[i] && ++literals > 0));
    if (fits && literals > bestLiterals) [best, bestLiterals] = [template, literals];
  }
  return best;
}

/** Where `value` leaves `schema`: wrong types, missing required fields, fields not documented. */
function misfits(doc: OpenApi, schema: Schema | undefined, value: unknown, where = 'body'): string[] {
  while (schema?.$ref) schema = doc.components.schemas[schema.$ref.split('/').pop()!];
  if (!schema) return [];
  if (schema.oneOf) {
    // An object field that may be null is one of its object or null: exactly one must fit.
    const fitting = schema.oneOf.filter((member) => misfits(doc, member, value, where).length === 0).length;
    return fitting === 1 ? [] : [`${where}: ${JSON.stringify(value)} fits ${fitting} of its oneOf schemas, not exactly one`];
  }
  if (value === null) return schema.nullable ? [] : [`${where}: null, not documented as nullable`];
  const out: string[] = [];
  for (const part of schema.allOf ?? []) out.push(...misfits(doc, part, value, where));
  if (schema.enum && !schema.enum.includes(value)) out.push(`${where}: ${JSON.stringify(value)} is not one of ${schema.enum.join('|')}`);
  switch (schema.type) {
    case 'integer':
      if (!Number.isInteger(value)) out.push(`${where}: ${JSON.stringify(value)} is not an integer`);
      break;
    case 'number':
    case 'string':
    case 'boolean':
      if (typeof value !== schema.type) out.push(`${where}: ${JSON.stringify(value)} is not a ${schema.type}`);
      break;
    case 'array':
      if (!Array.isArray(value)) out.push(`${where}: not an array`);
      else value.forEach((item, i) => out.push(...misfits(doc, schema.items, item, `${where}[${i}]`)));
      break;
  }
  if (schema.properties) {
    if (typeof value !== 'object' || Array.isArray(value)) return [...out, `${where}: not an object`];
    const record = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in record)) out.push(`${where}.${name}: required, missing`);
    for (const [name, field] of Object.entries(record)) {
      if (schema.properties[name]) out.push(...misfits(doc, schema.properties[name], field, `${where}.${name}`));
      else if (schema.additionalProperties === undefined || schema.additionalProperties === false) out.push(`${where}.${name}: answered, not documented`);
    }
  }
  return out;
}

describe('the public contract (API.md) and the served OpenAPI, route by route, as a client meets them', () => {
  let system: TroveSystem;
  let doc: OpenApi;
  const seen: Seen[] = [];

  /** The gateway as a client calls it; every answer is recorded for the checks at the end. */
  const recorder: GatewayCaller & { request(path: string, init?: RequestInit & { as?: Caller }): Promise<Response> } = {
    async request(path, init = {}) {
      const response = await system.request(path, init);
      const text = await response.clone().text();
      const contentType = response.headers.get('content-type');
      const sent = new Headers(init.headers).get('x-correlation-id');
      if (path.startsWith('/v1/')) {
        seen.push({
          method: init.method ?? 'GET',
          path,
          status: response.status,
          contentType,
          correlationId: response.headers.get('x-correlation-id'),
          sentCorrelationId: sent,
          body: text && /json/.test(contentType ?? '') ? JSON.parse(text) : undefined,
        });
      }
      return response;
    },
  };

  async function api(method: string, path: string, options: { as?: Caller | Party; body?: unknown; raw?: string; headers?: Record<string, string>; idempotencyKey?: string | null } = {}): Promise<Answer> {
    const { as = 'admin', body, raw, idempotencyKey = null } = options;
    const headers: Record<string, string> = { ...options.headers };
    if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
    const caller: Caller = typeof as === 'object' ? { key: as.key } : as;
    const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (raw !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const response = await recorder.request(path, { method, as: caller, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text && /json/.test(response.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined };
  }

  async function signUp(kind: 'buyer' | 'vendor', name: string): Promise<Party> {
    const answer = await api('POST', '/v1/organizations', { as: 'anonymous', body: { name, kind, contactEmail: 'procurement@example.cn' } });
    expect(answer.status).toBe(201);
    return { key: answer.body.apiKey, organizationId: answer.body.organization.id };
  }

  async function fund(buyer: Party, amount: number): Promise<void> {
    const topUp = await api('POST', '/v1/wallet/top-ups', { as: buyer, idempotencyKey: randomUUID(), body: { amount: money(amount), reference: `招商银行 CMB-20261130-${randomUUID().slice(0, 4)}` } });
    expect(topUp.status).toBe(201);
    expect((await api('POST', `/v1/admin/top-ups/${topUp.body.id}/confirm`)).status).toBe(200);
  }

  async function order(buyer: Party, offerId: string, idempotencyKey: string | null = randomUUID()): Promise<Answer> {
    return api('POST', '/v1/orders', { as: buyer, idempotencyKey, body: { items: [{ offerId }], acceptLicense: true } });
  }

  async function settled(buyer: Party, orderId: string): Promise<Json> {
    return waitFor(
      `order ${orderId} to settle`,
      async () => {
        const answer = await api('GET', `/v1/orders/${orderId}`, { as: buyer });
        return ['fulfilled', 'cancelled', 'refunded'].includes(answer.body.status) ? answer.body : undefined;
      },
      60_000,
      200,
    );
  }

  /** An approved vendor's listing, published with `offer` on it. */
  async function publish(vendor: VendorClient, title: string, offer: Record<string, unknown>) {
    const { dataset, version } = await vendor.listing(speechListing({ title }));
    const created = await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', offer);
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await api('POST', `/v1/admin/datasets/${dataset.id}/approve`)).status).toBe(200);
    return { datasetId: dataset.id as string, versionId: version.id as string, offerId: created.id as string };
  }

  let vendor: VendorClient;
  let vendorParty: Party;
  let rivalVendor: VendorClient;
  let buyer: Party;
  let rivalBuyer: Party;
  /** A buyer with 21 orders, invoices and entitlements and 22 keys: more than one default page of each. */
  let bulkBuyer: Party;
  let sampler: { datasetId: string; versionId: string; offerId: string };
  let gated: { datasetId: string; versionId: string; offerId: string };
  let purchase: Json;

  beforeAll(async () => {
    system = await TroveSystem.start({ env: { LOG_LEVEL: 'warn' } });
    const docs = await fetch(`${system.gateway.url}/docs-json`);
    doc = (await docs.json()) as OpenApi;

    vendor = await VendorClient.signUp(recorder, '海天瑞声 SpeechOcean');
    vendorParty = { key: vendor.key, organizationId: vendor.organizationId };
    rivalVendor = await VendorClient.signUp(recorder, '数据堂 Datatang');
    // A year's license: the buyers below order it again and again, as renewals (a perpetual one is sold to a buyer once).
    sampler = await publish(vendor, '普通话朗读语音试用包 10 小时 / Mandarin read speech sample pack, 10 hours', yearlyOffer(PRICE));
    gated = await publish(vendor, '粤语客服通话录音 300 小时 / Cantonese call-centre speech, 300 hours', commercialOffer(PRICE, { requiresApproval: true }));

    buyer = await signUp('buyer', '科大讯飞 iFLYTEK');
    rivalBuyer = await signUp('buyer', '百度智能云 Baidu AI Cloud');
    await fund(buyer, 1_000_000);
    const placed = await order(buyer, sampler.offerId);
    expect(placed.status).toBe(201);
    purchase = await settled(buyer, placed.body.id);
    expect(purchase.status).toBe('fulfilled');

    bulkBuyer = await signUp('buyer', '月之暗面 Moonshot AI');
    for (let i = 1; i <= 21; i++) expect((await api('POST', '/v1/api-keys', { as: bulkBuyer, body: { name: `训练流水线 pipeline-${i}` } })).status).toBe(201);
    await fund(bulkBuyer, PRICE * 21);
    for (let i = 0; i < 21; i++) expect((await order(bulkBuyer, sampler.offerId)).status).toBe(201);
    await waitFor(
      'the 21 orders to be fulfilled',
      async () => (await api('GET', '/v1/orders?status=fulfilled&limit=100', { as: bulkBuyer })).body.items.length === 21,
      60_000,
      250,
    );
  });

  afterAll(async () => {
    await system?.stop();
  });

  describe('conventions', () => {
    it('answers every route that needs a key, called without one, 401 problem+json with the six fields and the correlation id sent', async () => {
      const answers = [];
      for (const route of CONTRACT.filter((r) => r.who !== 'anyone')) {
        const correlationId = `contract-401-${route.method}-${answers.length}`;
        const answer = await api(route.method, concrete(route.path), { as: 'anonymous', headers: { 'x-correlation-id': correlationId } });
        answers.push({
          route: `${route.method} ${route.path}`,
          status: answer.status,
          type: answer.headers.get('content-type'),
          challenge: answer.headers.get('www-authenticate'),
          echoed: answer.headers.get('x-correlation-id'),
          fields: Object.keys(answer.body ?? {}).sort(),
          body: { code: answer.body?.code, status: answer.body?.status, correlationId: answer.body?.correlationId },
        });
        expect(answers.at(-1)).toEqual({
          route: `${route.method} ${route.path}`,
          status: 401,
          type: expect.stringMatching(/^application\/problem\+json/),
          // How to authenticate, as RFC 9110 asks of every 401.
          challenge: 'Bearer realm="trove"',
          echoed: correlationId,
          fields: PROBLEM_FIELDS,
          body: { code: 'UNAUTHENTICATED', status: 401, correlationId },
        });
      }
    });

    it('answers a key without the role 403 FORBIDDEN on every role-bound route', async () => {
      const keys: Record<Role, Caller | Party> = { admin: 'admin', vendor: vendorParty, buyer };
      const refused: string[] = [];
      for (const route of CONTRACT) {
        if (!Array.isArray(route.who)) continue;
        for (const role of (['admin', 'vendor', 'buyer'] as Role[]).filter((r) => !route.who.includes(r))) {
          const answer = await api(route.method, concrete(route.path), { as: keys[role], body: route.method === 'GET' ? undefined : {}, idempotencyKey: randomUUID() });
          refused.push(`${role} ${route.method} ${route.path}: ${answer.status} ${answer.body?.code}`);
          expect(refused.at(-1)).toBe(`${role} ${route.method} ${route.path}: 403 FORBIDDEN`);
        }
      }
      expect(refused.length).toBeGreaterThan(40);
    });

    it('answers a path id that is not a UUID 400 VALIDATION_FAILED on every route with one', async () => {
      let worded = 0;
      const keys: Record<Role, Caller | Party> = { admin: 'admin', vendor: vendorParty, buyer };
      for (const route of CONTRACT.filter((r) => r.path.includes('{'))) {
        const as = route.who === 'anyone' ? 'anonymous' : route.who === 'any key' ? buyer : keys[route.who[0]];
        // The dataset is the vendor's own, so a bad version id is what the route meets.
        const path = concrete(route.path, route.path.includes('{versionId}') ? { id: sampler.datasetId, versionId: 'v1.0.0' } : { id: 'not-a-uuid' });
        const answer = await api(route.method, path, { as, body: route.method === 'GET' ? undefined : {}, idempotencyKey: randomUUID() });
        expect(`${route.method} ${route.path}: ${answer.status} ${answer.body?.code}`).toBe(`${route.method} ${route.path}: 400 VALIDATION_FAILED`);
        // Worded as a query field's problem is, naming the parameter (where the body, checked
        // first on some routes, did not answer already).
        const field = route.path.includes('{versionId}') ? 'versionId' : 'id';
        const problem = (answer.body.errors as { field: string; problems: string[] }[]).find((e) => e.field === field);
        if (!problem) continue;
        worded += 1;
        expect(`${route.method} ${route.path}: ${problem.problems.join('; ')}`).toBe(`${route.method} ${route.path}: ${field} must be a UUID`);
      }
      expect(worded).toBeGreaterThan(15);
    });

    it('answers 404 NOT_FOUND for an id no one has, with a valid body, on every route with one', async () => {
      const bodies: Record<string, unknown> = {
        'PATCH /v1/datasets/{id}': { title: '四川话对话语音 200 小时 / Sichuanese conversations, 200 hours' },
        'POST /v1/datasets/{id}/versions': { version: '2.0.0', changelog: '新增 500 名说话人' },
        'POST /v1/datasets/{id}/versions/{versionId}/uploads': { path: 'audio/utt_000002.wav' },
        'POST /v1/datasets/{id}/samples': { path: 'samples/utt_000002.wav' },
        'POST /v1/datasets/{id}/offers': commercialOffer(PRICE),
        'POST /v1/admin/datasets/{id}/reject': { reason: '缺少说话人同意书 / consent records missing' },
        'POST /v1/admin/orders/{id}/refund': { reason: '重复下单 / ordered twice' },
      };
      const queries: Record<string, string> = { 'GET /v1/admin/organizations/{id}/statement': '?from=2027-01-01T00:00:00%2B08:00&to=2027-02-01T00:00:00%2B08:00' };
      const keys: Record<Role, Caller | Party> = { admin: 'admin', vendor: vendorParty, buyer };
      for (const route of CONTRACT.filter((r) => r.path.includes('{'))) {
        const as = route.who === 'anyone' ? 'anonymous' : route.who === 'any key' ? buyer : keys[route.who[0]];
        const path = concrete(route.path, route.path.includes('{versionId}') ? { id: sampler.datasetId } : {}) + (queries[`${route.method} ${route.path}`] ?? '');
        const answer = await api(route.method, path, { as, body: bodies[`${route.method} ${route.path}`], idempotencyKey: randomUUID() });
        expect(`${route.method} ${route.path}: ${answer.status} ${answer.body?.code}`).toBe(`${route.method} ${route.path}: 404 NOT_FOUND`);
      }
    });

    it('answers a body that is not a JSON object (array, string, number, boolean, null) 400 on every POST that takes one', async () => {
      const routes: [string, Party | Caller][] = [
        ['/v1/organizations', 'anonymous'],
        ['/v1/api-keys', buyer],
        ['/v1/datasets', vendorParty],
        [`/v1/datasets/${sampler.datasetId}/versions`, vendorParty],
        [`/v1/datasets/${sampler.datasetId}/versions/${sampler.versionId}/uploads`, vendorParty],
        [`/v1/datasets/${sampler.datasetId}/samples`, vendorParty],
        [`/v1/datasets/${sampler.datasetId}/offers`, vendorParty],
        [`/v1/admin/datasets/${sampler.datasetId}/reject`, 'admin'],
        ['/v1/access-requests', buyer],
        ['/v1/orders', buyer],
        [`/v1/admin/orders/${purchase.id}/refund`, 'admin'],
        ['/v1/wallet/top-ups', buyer],
        ['/v1/payouts', vendorParty],
      ];
      for (const [path, as] of routes) {
        for (const raw of ['[]', '"普通话"', '42', 'true', 'null']) {
          const answer = await api('POST', path, { as, raw, idempotencyKey: randomUUID() });
          expect(`POST ${path} ${raw}: ${answer.status} ${answer.body?.code}`).toBe(`POST ${path} ${raw}: 400 VALIDATION_FAILED`);
        }
      }
      for (const raw of ['[]', '"普通话"', '42', 'true']) {
        const answer = await api('PATCH', `/v1/datasets/${sampler.datasetId}`, { as: vendorParty, raw });
        expect(`PATCH ${raw}: ${answer.status}`).toBe(`PATCH ${raw}: 400`);
      }
    });

    // API.md: "wrong types ... are 400". A PATCH body of `null` is not an edit (it used to answer
    // 200 with the listing unchanged, where every POST answered 400).
    it('answers PATCH /v1/datasets/:id with a body of null 400 VALIDATION_FAILED', async () => {
      const answer = await api('PATCH', `/v1/datasets/${sampler.datasetId}`, { as: vendorParty, raw: 'null' });
      expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    });

    // API.md: "JSON in and out". A form-encoded body used to be parsed and acted on: a web page
    // could sign organizations up (or, with a key, create keys) by a plain cross-site form post.
    it('refuses a form-encoded sign-up and creates no organization', async () => {
      const before = (await api('GET', '/v1/admin/organizations?kind=buyer&limit=100')).body.items.length;
      const response = await fetch(`${system.gateway.url}/v1/organizations`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: '表单注册公司', kind: 'buyer', contactEmail: 'form@example.cn' }).toString(),
      });
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect([400, 415]).toContain(response.status);
      expect((await api('GET', '/v1/admin/organizations?kind=buyer&limit=100')).body.items.length).toBe(before);
    });

    it('echoes x-correlation-id on successes, 201s, 204s, errors, unknown routes and the docs, and makes one when none is sent', async () => {
      const sent = { 'x-correlation-id': 'po-2026-11-CMB-0042' };
      const created = await api('POST', '/v1/api-keys', { as: buyer, body: { name: '评测脚本 eval' }, headers: sent });
      const revoked = await api('DELETE', `/v1/api-keys/${created.body.id}`, { as: buyer, headers: sent });
      const answers = [
        created,
        revoked,
        await api('GET', '/v1/me', { as: buyer, headers: sent }),
        await api('GET', '/v1/nothing-here', { as: buyer, headers: sent }),
        await api('GET', '/v1/wallet', { as: vendorParty, headers: sent }),
      ];
      expect(answers.map((a) => a.status)).toEqual([201, 204, 200, 404, 403]);
      for (const answer of answers) expect(answer.headers.get('x-correlation-id')).toBe(sent['x-correlation-id']);
      for (const path of ['/docs-json', '/docs']) expect((await fetch(`${system.gateway.url}${path}`, { headers: sent })).headers.get('x-correlation-id')).toBe(sent['x-correlation-id']);
      const made = await api('GET', '/v1/datasets?limit=1', { as: 'anonymous' });
      expect(made.headers.get('x-correlation-id')).toMatch(UUID);
    });
  });

  describe('lists', () => {
    const owners = (): Record<string, Caller | Party> => ({
      '/v1/api-keys': bulkBuyer,
      '/v1/datasets': 'anonymous',
      '/v1/orders': bulkBuyer,
      '/v1/sales': vendorParty,
      '/v1/invoices': bulkBuyer,
      '/v1/entitlements': bulkBuyer,
      '/v1/admin/audit': 'admin',
    });
    const paged = LISTS.filter((path) => path !== '/v1/entitlements');
    const idOf = (item: Json) => item.id ?? item.lineId;

    /** Every id of a list, walked page by page at `limit` (newest first). */
    async function walk(path: string, as: Caller | Party, limit: number): Promise<string[]> {
      const ids: string[] = [];
      for (let cursor: string | null = null, pages = 0; pages === 0 || cursor; pages++) {
        const page: Answer = await api('GET', `${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { as });
        expect(page.status).toBe(200);
        expect(Object.keys(page.body)).toEqual(expect.arrayContaining(['items', 'nextCursor']));
        expect(page.body.items.length).toBeLessThanOrEqual(limit);
        ids.push(...page.body.items.map(idOf));
        cursor = page.body.nextCursor;
      }
      return ids;
    }

    it.each(paged)('%s: 20 by default, ?limit= up to 100, nextCursor walks the rest once each', async (path) => {
      const as = owners()[path];
      const total = await walk(path, as, 100);
      if (path !== '/v1/datasets') expect(total.length).toBeGreaterThan(20);
      const first = await api('GET', path, { as });
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(Math.min(20, total.length));
      expect(first.body.nextCursor === null).toBe(total.length <= 20);

      // The audit log may take a late event at its head meanwhile: the walk sees every id once,
      // and those of the first walk in the same order.
      const walked = await walk(path, as, 7);
      expect(new Set(walked).size).toBe(walked.length);
      const known = new Set(total);
      expect(walked.filter((id) => known.has(id))).toEqual(total);
    });

    it.each(paged)('%s: refuses ?limit=101, 0, 2.5 and a cursor it never gave with 400 naming the field', async (path) => {
      const as = owners()[path];
      for (const [query, field] of [
        ['limit=101', 'limit'],
        ['limit=0', 'limit'],
        ['limit=2.5', 'limit'],
        ['cursor=%25%25', 'cursor'],
      ]) {
        const answer = await api('GET', `${path}?${query}`, { as });
        expect({ query, status: answer.status, code: answer.body.code, fields: answer.body.errors?.map((e: { field: string }) => e.field) }).toEqual({
          query,
          status: 400,
          code: 'VALIDATION_FAILED',
          fields: [field],
        });
      }
    });

    // API.md: "Lists: ?limit= (default 20, max 100) and ?cursor=; answer {items, nextCursor}".
    // GET /v1/entitlements used to answer every entitlement at once as {items}, and to refuse
    // ?limit= and ?cursor= with 400.
    it('GET /v1/entitlements pages like every other list', async () => {
      const first = await api('GET', '/v1/entitlements', { as: bulkBuyer });
      expect(first.body).toEqual({ items: expect.any(Array), nextCursor: expect.any(String) });
      expect(first.body.items).toHaveLength(20);
      const rest = await api('GET', `/v1/entitlements?limit=100&cursor=${encodeURIComponent(first.body.nextCursor)}`, { as: bulkBuyer });
      expect(rest.status).toBe(200);
      expect(rest.body.items).toHaveLength(1);
    });

    it('narrows GET /v1/orders with ?status= and refuses a status that does not exist', async () => {
      const fulfilled = await api('GET', '/v1/orders?status=fulfilled&limit=100', { as: bulkBuyer });
      expect(fulfilled.body.items).toHaveLength(21);
      expect(new Set(fulfilled.body.items.map((o: { status: string }) => o.status))).toEqual(new Set(['fulfilled']));
      expect((await api('GET', '/v1/orders?status=cancelled', { as: bulkBuyer })).body.items).toEqual([]);
      expect((await api('GET', '/v1/orders?status=shipped', { as: bulkBuyer })).status).toBe(400);
    });
  });

  describe('organizations and keys', () => {
    it('signs up with 201 {organization: {id, name, kind, status}, apiKey}: a buyer active, a vendor pending, the key working', async () => {
      const buyerSignUp = await api('POST', '/v1/organizations', { as: 'anonymous', body: { name: '智谱 AI Zhipu', kind: 'buyer', contactEmail: 'data@example.cn' } });
      expect(buyerSignUp.status).toBe(201);
      expect(buyerSignUp.body).toEqual({
        organization: expect.objectContaining({ id: expect.stringMatching(UUID), name: '智谱 AI Zhipu', kind: 'buyer', status: 'active' }),
        apiKey: expect.stringMatching(/^trv_/),
      });
      const vendorSignUp = await api('POST', '/v1/organizations', { as: 'anonymous', body: { name: '曼孚科技 MindFlow', kind: 'vendor', contactEmail: 'bd@example.cn' } });
      expect(vendorSignUp.body.organization).toMatchObject({ kind: 'vendor', status: 'pending' });

      const me = await api('GET', '/v1/me', { as: { key: buyerSignUp.body.apiKey } });
      expect(me.status).toBe(200);
      expect(me.body).toEqual(expect.objectContaining({ organization: expect.objectContaining({ id: buyerSignUp.body.organization.id }), role: 'buyer', keyId: expect.stringMatching(UUID) }));
      expect(me.body).not.toHaveProperty('apiKey');
      expect(me.body).not.toHaveProperty('key');
    });

    it('creates a key with 201 {id, name, key}, lists keys without secrets, and revokes only its own organization’s keys (404 for another’s)', async () => {
      const created = await api('POST', '/v1/api-keys', { as: buyer, body: { name: '夜间评测 nightly-eval' } });
      expect(created.status).toBe(201);
      expect(created.body).toEqual(expect.objectContaining({ id: expect.stringMatching(UUID), name: '夜间评测 nightly-eval', key: expect.stringMatching(/^trv_/) }));
      const listed = await api('GET', '/v1/api-keys?limit=100', { as: buyer });
      const row = listed.body.items.find((k: { id: string }) => k.id === created.body.id);
      expect(row).toEqual(expect.objectContaining({ id: created.body.id, name: '夜间评测 nightly-eval' }));
      expect(row).not.toHaveProperty('key');
      expect(JSON.stringify(listed.body)).not.toContain(created.body.key.slice(13));

      const stolen = await api('DELETE', `/v1/api-keys/${created.body.id}`, { as: rivalBuyer });
      expect({ status: stolen.status, code: stolen.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect((await api('GET', '/v1/me', { as: { key: created.body.key } })).status).toBe(200);
      const revoked = await api('DELETE', `/v1/api-keys/${created.body.id}`, { as: buyer });
      expect(revoked.status).toBe(204);
      expect(revoked.body).toBeUndefined();
      expect((await api('GET', '/v1/me', { as: { key: created.body.key } })).status).toBe(401);
    });
  });

  describe('catalog', () => {
    it('creates a version 201 {id, version, status: open}, hands out an upload URL 201 {uploadUrl, expiresAt}, and the PUT answers 201 {path, size, sha256}', async () => {
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ title: '吴语上海话朗读语音 200 小时 / Shanghainese read speech, 200 hours' }));
      expect(dataset.status).toBe('draft');
      const version = await api('POST', `/v1/datasets/${dataset.id}/versions`, { as: vendorParty, body: { version: '1.0.0', changelog: '首个版本 / first release' } });
      expect(version.status).toBe(201);
      expect(version.body).toEqual(expect.objectContaining({ id: expect.stringMatching(UUID), version: '1.0.0', status: 'open' }));

      const released = await api('POST', `/v1/datasets/${dataset.id}/versions/${version.body.id}/release`, { as: vendorParty });
      expect({ status: released.status, code: released.body.code }).toEqual({ status: 409, code: 'INVALID_STATE' });

      const bytes = Buffer.from('{"id":"utt_000001","text":"侬好，今朝天气老好额"}\n');
      const signed = await api('POST', `/v1/datasets/${dataset.id}/versions/${version.body.id}/uploads`, { as: vendorParty, body: { path: 'transcripts.jsonl', size: bytes.length, sha256: sha256Hex(bytes) } });
      expect(signed.status).toBe(201);
      expect(signed.body).toEqual({ uploadUrl: expect.stringMatching(/^http/), expiresAt: expect.any(String) });
      expect(Number.isNaN(Date.parse(signed.body.expiresAt))).toBe(false);
      const put = await fetch(signed.body.uploadUrl, { method: 'PUT', body: bytes });
      expect(put.status).toBe(201);
      expect(await put.json()).toEqual({ path: 'transcripts.jsonl', size: bytes.length, sha256: sha256Hex(bytes) });

      // A declared size that the bytes do not match: 422, nothing kept.
      const short = await api('POST', `/v1/datasets/${dataset.id}/versions/${version.body.id}/uploads`, { as: vendorParty, body: { path: 'audio/utt_000001.wav', size: 5 } });
      const refused = await fetch(short.body.uploadUrl, { method: 'PUT', body: Buffer.from('RIFF-WAVE') });
      expect(refused.status).toBe(422);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const detail = await api('GET', `/v1/datasets/${dataset.id}`, { as: vendorParty });
      expect(detail.body.versions[0].files.map((f: { path: string }) => f.path)).toEqual(['transcripts.jsonl']);

      const frozen = await api('POST', `/v1/datasets/${dataset.id}/versions/${version.body.id}/release`, { as: vendorParty });
      expect({ status: frozen.status, state: frozen.body.status }).toEqual({ status: 200, state: 'released' });
    });

    it('refuses to submit a listing without a released version or an offer with 409', async () => {
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ title: '闽南语广播语音 120 小时 / Hokkien broadcast speech, 120 hours' }));
      const bare = await api('POST', `/v1/datasets/${dataset.id}/submit`, { as: vendorParty });
      expect(bare.status).toBe(409);
      await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(PRICE));
      expect((await api('POST', `/v1/datasets/${dataset.id}/submit`, { as: vendorParty })).status).toBe(409);
      expect((await api('GET', `/v1/datasets/${dataset.id}`, { as: vendorParty })).body.status).toBe('draft');
    });

    // API.md: POST /v1/datasets/:id/submit "needs an approved vendor, a released version and an
    // offer (409 otherwise)".
    it('refuses the submission of a vendor not yet approved with 409', async () => {
      const pending = await VendorClient.signUp(recorder, '深圳 自动驾驶 数据采集公司', false);
      const { dataset } = await pending.listing(speechListing({ title: '城市道路车载语音指令 50 小时 / in-car voice commands, 50 hours' }));
      const refused = await api('POST', `/v1/datasets/${dataset.id}/submit`, { as: { key: pending.key } });
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('VENDOR_NOT_APPROVED');
    });

    it('shows a published dataset to anyone with its versions, offers and samples; the offer prices money as integer fen', async () => {
      const detail = await api('GET', `/v1/datasets/${sampler.datasetId}`, { as: 'anonymous' });
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ id: sampler.datasetId, status: 'published', versions: expect.any(Array), offers: expect.any(Array), samples: expect.any(Array) });
      expect(detail.body.offers.find((o: { id: string }) => o.id === sampler.offerId).pricing).toMatchObject({ model: 'one_time', price: money(PRICE) });
    });

    it('searches published datasets with every filter API.md names, answers facets per modality, language, domain and license, and sorts by price', async () => {
      const filters = ['q=普通话', 'q=Mandarin', 'modality=speech', 'language=zh-CN', 'domain=telecom', 'annotation=transcription', 'license=commercial', `maxPrice=${PRICE}`, 'sort=relevance', 'sort=newest', 'sort=price'];
      for (const filter of filters) {
        const answer = await api('GET', `/v1/datasets?${filter}`, { as: 'anonymous' });
        expect({ filter, status: answer.status }).toEqual({ filter, status: 200 });
        expect(answer.body).toEqual(expect.objectContaining({ items: expect.any(Array), nextCursor: null, facets: expect.any(Object) }));
        expect(Object.keys(answer.body.facets).sort()).toEqual(['domain', 'language', 'license', 'modality']);
        for (const counts of Object.values(answer.body.facets) as { value: string; count: number }[][]) for (const c of counts) expect(Number.isInteger(c.count)).toBe(true);
      }
      const expensive = await publish(rivalVendor, '多方言儿童语音 1,000 小时 / children’s speech in many dialects, 1,000 hours', commercialOffer(45_000_000));
      const byPrice = await api('GET', '/v1/datasets?sort=price&limit=100', { as: 'anonymous' });
      const prices = byPrice.body.items.map((hit: { lowestPrice: { amount: number } }) => hit.lowestPrice.amount);
      expect(prices).toEqual([...prices].sort((a: number, b: number) => a - b));
      expect(byPrice.body.items.map((hit: { id: string }) => hit.id)).toContain(expensive.datasetId);
      const cheap = await api('GET', `/v1/datasets?maxPrice=${PRICE}&limit=100`, { as: 'anonymous' });
      expect(cheap.body.items.map((hit: { id: string }) => hit.id)).not.toContain(expensive.datasetId);
      expect(cheap.body.items.map((hit: { id: string }) => hit.id)).toContain(sampler.datasetId);
      expect((await api('GET', '/v1/datasets?sort=cheapest', { as: 'anonymous' })).status).toBe(400);
    });
  });

  describe('ordering', () => {
    it('places an order 201 with {id, status, items: [{offerId, datasetId, price, licenseTermsSha256}], total}, readable by its buyer and admins, 404 to others', async () => {
      const placed = await order(buyer, sampler.offerId);
      expect(placed.status).toBe(201);
      expect(placed.body).toMatchObject({
        id: expect.stringMatching(UUID),
        status: 'pending_payment',
        items: [{ offerId: sampler.offerId, datasetId: sampler.datasetId, price: money(PRICE), licenseTermsSha256: expect.stringMatching(/^[0-9a-f]{64}$/) }],
        total: money(PRICE),
      });
      const done = await settled(buyer, placed.body.id);
      expect(done).toMatchObject({ status: 'fulfilled', cancellationReason: null });
      expect((await api('GET', `/v1/orders/${placed.body.id}`)).status).toBe(200);
      for (const path of [`/v1/orders/${placed.body.id}`, `/v1/orders/${placed.body.id}/receipt`]) {
        const other = await api('GET', path, { as: rivalBuyer });
        expect({ path, status: other.status, code: other.body.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
      }
      expect((await api('GET', '/v1/orders?limit=100', { as: rivalBuyer })).body.items).toEqual([]);
    });

    it('replays an order sent again with its Idempotency-Key, even after it moved on, and refuses the key with another body 422', async () => {
      const key = `po-2026-11-${randomUUID()}`;
      const first = await order(buyer, sampler.offerId, key);
      await settled(buyer, first.body.id);
      const again = await order(buyer, sampler.offerId, key);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      const other = await order(buyer, gated.offerId, key);
      expect(other.status).toBe(422);
      expect(other.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    });

    it('takes an access request 201 {id, status: pending}; a rejected one keeps the offer closed with 403 ACCESS_NOT_APPROVED', async () => {
      const asked = await api('POST', '/v1/access-requests', { as: rivalBuyer, body: { offerId: gated.offerId, intendedUse: '用于车载语音助手的声学模型评测 / evaluating an in-car acoustic model' } });
      expect(asked.status).toBe(201);
      expect(asked.body).toMatchObject({ id: expect.stringMatching(UUID), status: 'pending' });
      const stranger = await api('POST', `/v1/access-requests/${asked.body.id}/reject`, { as: { key: rivalVendor.key } });
      expect(stranger.status).toBe(404);
      const rejected = await api('POST', `/v1/access-requests/${asked.body.id}/reject`, { as: vendorParty });
      expect({ status: rejected.status, state: rejected.body.status }).toEqual({ status: 200, state: 'rejected' });
      await fund(rivalBuyer, PRICE);
      const refused = await order(rivalBuyer, gated.offerId);
      expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'ACCESS_NOT_APPROVED' });
    });

    it("lists a vendor's sales as its order lines, and none to a vendor who sold nothing", async () => {
      const sales = await api('GET', '/v1/sales?limit=100', { as: vendorParty });
      const line = sales.body.items.find((s: { orderId: string }) => s.orderId === purchase.id);
      // With how it was priced: a vendor reconciling its statement told one image from one hour, a subscription from a one-time sale.
      expect(line).toMatchObject({ orderId: purchase.id, datasetId: sampler.datasetId, offerId: sampler.offerId, price: money(PRICE), pricing: { model: 'one_time', price: money(PRICE) }, buyerOrganizationId: buyer.organizationId });
      const none = await api('GET', '/v1/sales', { as: { key: rivalVendor.key } });
      expect(none.body).toEqual({ items: [], nextCursor: null });
    });

    it('refunds with 202; the order ends refunded, the money goes back and the entitlement is revoked', async () => {
      const refunded = await signUp('buyer', '商汤科技 SenseTime');
      await fund(refunded, PRICE);
      const placed = await order(refunded, sampler.offerId);
      await settled(refunded, placed.body.id);
      expect((await api('GET', '/v1/wallet', { as: refunded })).body.balance).toEqual(money(0));
      const answer = await api('POST', `/v1/admin/orders/${placed.body.id}/refund`, { body: { reason: '许可证条款误标 / license mislabelled' } });
      expect(answer.status).toBe(202);
      expect(answer.body.id).toBe(placed.body.id);
      const ended = await settled(refunded, placed.body.id);
      expect(ended.status).toBe('refunded');
      await waitFor('the wallet to be whole again', async () => (await api('GET', '/v1/wallet', { as: refunded })).body.balance.amount === PRICE);
      await waitFor('the entitlement to be revoked', async () => (await api('GET', '/v1/entitlements', { as: refunded })).body.items[0]?.status === 'revoked');
    });

    // API.md: order status is pending_payment -> paid -> fulfilled, or cancelled, or refunded, and
    // a refund is 202 (accepted, not done). Between the two, the refund's answer and the order say
    // `refund_pending`: billing has not given the money back yet. That status is an addition to
    // the contract (it ends `refunded`, as API.md says), so the served OpenAPI must name it.
    it('shows an order only in the statuses API.md names or the OpenAPI documents, and the refund ends refunded', async () => {
      const refunded = await signUp('buyer', '零一万物 01.AI');
      await fund(refunded, PRICE);
      const placed = await order(refunded, sampler.offerId);
      await settled(refunded, placed.body.id);
      const answer = await api('POST', `/v1/admin/orders/${placed.body.id}/refund`, { body: { reason: '重复采购 / bought twice' } });
      expect(answer.status).toBe(202);
      const documented = doc.components.schemas.OrderDto?.properties?.status?.enum ?? [];
      expect(documented).toEqual(expect.arrayContaining([...ORDER_STATUSES, 'refund_pending']));
      expect(documented).toContain(answer.body.status);
      expect((await settled(refunded, placed.body.id)).status).toBe('refunded');
    });
  });

  describe('billing', () => {
    it('answers the wallet as {balance: {amount, currency}} in integer fen, and a top-up 201 {id, status: pending} that a confirmation credits once', async () => {
      const before = (await api('GET', '/v1/wallet', { as: rivalBuyer })).body;
      expect(before).toMatchObject({ balance: isMoney });
      expect(Number.isInteger(before.balance.amount)).toBe(true);
      const topUp = await api('POST', '/v1/wallet/top-ups', { as: rivalBuyer, idempotencyKey: randomUUID(), body: { amount: money(123_456), reference: '招商银行 CMB-20261130-0042' } });
      expect(topUp.status).toBe(201);
      expect(topUp.body).toMatchObject({ id: expect.stringMatching(UUID), status: 'pending' });
      expect((await api('GET', '/v1/wallet', { as: rivalBuyer })).body.balance).toEqual(before.balance);
      expect((await api('POST', `/v1/admin/top-ups/${topUp.body.id}/confirm`)).status).toBe(200);
      expect((await api('POST', `/v1/admin/top-ups/${topUp.body.id}/confirm`)).status).toBe(200);
      expect((await api('GET', '/v1/wallet', { as: rivalBuyer })).body.balance).toEqual(money(before.balance.amount + 123_456));
    });

    it('answers a top-up sent again with its key the first answer, even after it was confirmed', async () => {
      const key = `topup-${randomUUID()}`;
      const body = { amount: money(880_000), reference: '工商银行 ICBC-20261201-5521' };
      const first = await api('POST', '/v1/wallet/top-ups', { as: rivalBuyer, idempotencyKey: key, body });
      await api('POST', `/v1/admin/top-ups/${first.body.id}/confirm`);
      const again = await api('POST', '/v1/wallet/top-ups', { as: rivalBuyer, idempotencyKey: key, body });
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
    });

    it("shows an operator a buyer's wallet as the buyer reads it, and 404 for an id that names no buyer", async () => {
      const own = await api('GET', '/v1/wallet', { as: rivalBuyer });
      const seen = await api('GET', `/v1/admin/organizations/${rivalBuyer.organizationId}/wallet`);
      expect(seen.status).toBe(200);
      expect(seen.body).toEqual(own.body);
      expect(seen.body.balance.amount).toBeGreaterThan(0);
      const usd = await api('GET', `/v1/admin/organizations/${rivalBuyer.organizationId}/wallet?currency=USD`);
      expect(usd.body.balance).toEqual({ amount: 0, currency: 'USD' });
      expect((await api('GET', `/v1/admin/organizations/${vendorParty.organizationId}/wallet`)).status).toBe(404);
      expect((await api('GET', `/v1/admin/organizations/${rivalBuyer.organizationId}/wallet`, { as: rivalBuyer })).status).toBe(403);
    });

    it('takes a payout with its Idempotency-Key: a replay answers the same, another body under the key is 422, no key is 400; approval pays it from the balance', async () => {
      const balance = async () => (await api('GET', '/v1/balance', { as: vendorParty })).body.balance;
      const owed = await balance();
      expect(owed).toMatchObject(isMoney);
      expect(owed.amount).toBeGreaterThan(10_000);
      const key = `payout-${randomUUID()}`;
      const first = await api('POST', '/v1/payouts', { as: vendorParty, idempotencyKey: key, body: { amount: money(10_000) } });
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ id: expect.stringMatching(UUID), status: 'pending', amount: money(10_000) });
      const again = await api('POST', '/v1/payouts', { as: vendorParty, idempotencyKey: key, body: { amount: money(10_000) } });
      expect({ status: again.status, body: again.body }).toEqual({ status: 201, body: first.body });
      const reused = await api('POST', '/v1/payouts', { as: vendorParty, idempotencyKey: key, body: { amount: money(10_001) } });
      expect({ status: reused.status, code: reused.body.code }).toEqual({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(reused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await api('POST', '/v1/payouts', { as: vendorParty, body: { amount: money(10_000) } })).status).toBe(400);

      const paid = await api('POST', `/v1/admin/payouts/${first.body.id}/approve`);
      expect({ status: paid.status, state: paid.body.status }).toEqual({ status: 200, state: 'paid' });
      expect(first.body.destination).toBeNull();

      // Naming the bank account to pay to: kept with the payout, read back by the vendor and the operator.
      const destination = { accountName: '北京海天瑞声科技股份有限公司', bankName: '招商银行股份有限公司北京分行', accountNumber: '110902938710601' };
      const named = await api('POST', '/v1/payouts', { as: vendorParty, idempotencyKey: `payout-${randomUUID()}`, body: { amount: money(1_000), destination } });
      expect({ status: named.status, destination: named.body.destination }).toEqual({ status: 201, destination });
      expect((await api('GET', `/v1/payouts/${named.body.id}`, { as: vendorParty })).body.destination).toEqual(destination);
      expect((await api('GET', `/v1/payouts/${named.body.id}`)).body.destination).toEqual(destination);
      const spaced = await api('POST', '/v1/payouts', { as: vendorParty, idempotencyKey: `payout-${randomUUID()}`, body: { amount: money(1_000), destination: { ...destination, accountNumber: '1109 0293 8710 601' } } });
      expect({ status: spaced.status, fields: spaced.body.errors?.map((e: { field: string }) => e.field) }).toEqual({ status: 400, fields: ['destination.accountNumber'] });
      expect((await api('POST', `/v1/payouts/${named.body.id}/cancel`, { as: vendorParty })).status).toBe(200);
      expect((await balance()).amount).toBe(owed.amount - 10_000);
    });

    it('answers invoices with {number, orderId, lines, net, tax, gross, issuedAt}, numbered without a gap, 404 to another buyer', async () => {
      // Billing numbers invoices just after it writes them.
      const mine: Answer = await waitFor('the invoices to be numbered', async () => {
        const answer = await api('GET', '/v1/invoices?limit=100', { as: bulkBuyer });
        return answer.body.items.every((i: { number: string | null }) => i.number !== null) ? answer : undefined;
      });
      expect(mine.body.items).toHaveLength(21);
      for (const invoice of mine.body.items) {
        expect(invoice).toMatchObject({ number: expect.any(String), orderId: expect.stringMatching(UUID), lines: expect.any(Array), net: isMoney, tax: isMoney, gross: money(PRICE), issuedAt: expect.any(String) });
        expect(invoice.net.amount + invoice.tax.amount).toBe(invoice.gross.amount);
      }
      const one = await api('GET', `/v1/invoices/${mine.body.items[0].id}`, { as: bulkBuyer });
      expect(one.body).toEqual(mine.body.items[0]);
      const other = await api('GET', `/v1/invoices/${mine.body.items[0].id}`, { as: rivalBuyer });
      expect({ status: other.status, code: other.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });

      // Every invoice of the market, as an operator reads them: each year's series runs 1..n.
      await waitFor('every invoice to be numbered', async () => (await api('GET', '/v1/invoices?kind=invoice&limit=100')).body.items.every((i: { number: string | null }) => i.number !== null));
      const all: { number: string }[] = [];
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const page: Answer = await api('GET', `/v1/invoices?kind=invoice&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
        all.push(...page.body.items);
        cursor = page.body.nextCursor;
      }
      const series = new Map<string, number[]>();
      for (const { number } of all) {
        const [, year, sequence] = /^(.*)-(\d+)$/.exec(number)!;
        series.set(year, [...(series.get(year) ?? []), Number(sequence)]);
      }
      for (const numbers of series.values()) expect(numbers.sort((a, b) => a - b)).toEqual(numbers.map((_n, i) => i + 1));
    });

    it('keeps the trial balance at zero, with totals per account type', async () => {
      const trial = await api('GET', '/v1/admin/ledger/trial-balance');
      expect(trial.status).toBe(200);
      expect(trial.body.total).toBe(0);
      expect(trial.body.accounts.map((a: { type: string }) => a.type)).toEqual(expect.arrayContaining(['wallet', 'vendor_payable', 'platform_revenue']));
    });
  });

  describe('delivery', () => {
    let entitlement: Json;
    let url: string;

    beforeAll(async () => {
      entitlement = (await api('GET', '/v1/entitlements', { as: buyer })).body.items.find((e: { orderId: string }) => e.orderId === purchase.id);
      url = (await api('GET', `/v1/entitlements/${entitlement.id}/manifest`, { as: buyer })).body.versions[0].files[0].url;
    });

    it('lists entitlements as {id, datasetId, orderId, versionIds, status, expiresAt} and hands out a manifest of signed URLs, 404 to another buyer', async () => {
      expect(entitlement).toEqual(expect.objectContaining({ id: expect.stringMatching(UUID), datasetId: sampler.datasetId, orderId: purchase.id, versionIds: [sampler.versionId], status: 'active', expiresAt: expect.any(String) }));
      // The year's license ends twelve months after it was granted.
      const months = (Date.parse(entitlement.expiresAt) - Date.parse(purchase.fulfilledAt)) / (30.44 * 24 * 3600 * 1000);
      expect(Math.round(months)).toBe(12);
      const manifest = await api('GET', `/v1/entitlements/${entitlement.id}/manifest`, { as: buyer });
      expect(manifest.body).toMatchObject({
        datasetId: sampler.datasetId,
        versions: [{ id: sampler.versionId, version: '1.0.0', files: [{ path: 'transcripts.jsonl', size: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), url: expect.stringMatching(/^http/), expiresAt: expect.any(String) }] }],
      });
      const other = await api('GET', `/v1/entitlements/${entitlement.id}/manifest`, { as: rivalBuyer });
      expect({ status: other.status, code: other.body.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    });

    it('serves the bytes on GET and HEAD with Accept-Ranges, ETag and Content-Length, a Range with 206, and a tampered URL 403 problem+json', async () => {
      const whole = await fetch(url);
      const bytes = Buffer.from(await whole.arrayBuffer());
      expect(whole.status).toBe(200);
      expect({ ranges: whole.headers.get('accept-ranges'), length: whole.headers.get('content-length'), etag: whole.headers.get('etag') }).toEqual({
        ranges: 'bytes',
        length: String(bytes.length),
        etag: expect.any(String),
      });
      const head = await fetch(url, { method: 'HEAD' });
      expect({ status: head.status, length: head.headers.get('content-length'), etag: head.headers.get('etag') }).toEqual({ status: 200, length: String(bytes.length), etag: whole.headers.get('etag') });
      const range = await fetch(url, { headers: { range: 'bytes=0-9' } });
      expect(range.status).toBe(206);
      expect(Buffer.from(await range.arrayBuffer())).toEqual(bytes.subarray(0, 10));
      const tampered = await fetch(url.replace(/sig=(.)/, (_m, c: string) => `sig=${c === 'A' ? 'B' : 'A'}`), { headers: { 'x-correlation-id': 'dl-tamper-1' } });
      expect(tampered.status).toBe(403);
      expect(tampered.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await tampered.json()) as Json;
      expect(Object.keys(problem).sort()).toEqual(PROBLEM_FIELDS);
      expect(problem.correlationId).toBe('dl-tamper-1');
    });

    // API.md: "Every response carries x-correlation-id (echoed when the client sent one)". The
    // download route writes its answer on the raw socket (apps/delivery/src/downloads/
    // downloads.controller.ts hijacks the reply), so a 200, 206 or HEAD answer has none; its
    // errors, the uploads and every gateway answer do carry it.
    it('echoes x-correlation-id on a download, its HEAD and a range', async () => {
      for (const init of [{}, { method: 'HEAD' }, { headers: { range: 'bytes=0-9' } }] as RequestInit[]) {
        const response = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-correlation-id': 'dl-run-7' } });
        await response.arrayBuffer();
        expect(response.headers.get('x-correlation-id')).toBe('dl-run-7');
      }
    });
  });

  describe('operations', () => {
    it('answers /v1/admin/health with every service, NATS and the databases', async () => {
      const health = await api('GET', '/v1/admin/health');
      expect(health.body).toMatchObject({ status: 'ok', nats: expect.objectContaining({ status: 'ok' }), databases: expect.any(Object) });
      for (const service of ['gateway', 'catalog', 'ordering', 'billing', 'delivery']) {
        expect(health.body.services[service]).toEqual(expect.objectContaining({ status: 'ok', latencyMs: expect.any(Number), version: expect.any(String) }));
      }
    });

    it('answers /v1/admin/stats with organizations by kind, datasets and orders by status, sales per currency and the event backlog per consumer', async () => {
      const stats = await api('GET', '/v1/admin/stats');
      expect(stats.body).toMatchObject({
        organizationsByKind: { vendor: expect.any(Object), buyer: expect.any(Object) },
        datasetsByStatus: expect.objectContaining({ published: expect.any(Number) }),
        ordersByStatus: expect.objectContaining({ fulfilled: expect.any(Number) }),
        salesPerCurrency: [expect.objectContaining({ currency: 'CNY' })],
        eventBacklog: { consumers: expect.arrayContaining([expect.objectContaining({ consumer: expect.any(String), pending: expect.any(Number) })]) },
      });
      expect(stats.body.ordersByStatus.fulfilled).toBeGreaterThanOrEqual(22);
    });

    it('filters /v1/admin/audit by actor and action', async () => {
      const keys = await api('GET', `/v1/admin/audit?actor=${bulkBuyer.organizationId}&action=api-key.create&limit=100`);
      expect(keys.body.items).toHaveLength(21);
      for (const event of keys.body.items) expect(event).toMatchObject({ action: 'api-key.create', actor: expect.objectContaining({ organizationId: bulkBuyer.organizationId }), at: expect.any(String) });
    });

    it('refuses what a route does not read with the statuses the document declares: a query parameter, a body, a body not JSON or too large', async () => {
      const { body: vendor } = await api('POST', '/v1/organizations', { as: 'anonymous', body: { name: '声通数据科技（契约）', kind: 'vendor', contactEmail: 'bd@shengtong.example.cn' } });
      const approve = `/v1/admin/organizations/${vendor.organization.id}/approve`;
      expect((await api('GET', '/v1/admin/stats?foo=1')).status).toBe(400);
      expect((await api('GET', '/v1/admin/health?foo=1')).status).toBe(400);
      expect((await api('POST', approve, { raw: 'reason=ok', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
      // Refused before it is read: the answer is read as a client that keeps listening does.
      const tooLarge = await sendRawUntilAnswered({ port: system.gateway.port, method: 'POST', path: approve }, Buffer.from(JSON.stringify({ note: 'x'.repeat(1_100_000) })), {
        'content-type': 'application/json',
        authorization: `Bearer ${system.adminKey}`,
      });
      expect(tooLarge.status).toBe(413);
      const header = (name: string) => (tooLarge.headers[name] as string | undefined) ?? null;
      seen.push({ method: 'POST', path: approve, status: tooLarge.status, contentType: header('content-type'), correlationId: header('x-correlation-id'), sentCorrelationId: null, body: tooLarge.body });
      expect((await api('POST', approve, { raw: '{"reason":"营业执照已核验"}' })).status).toBe(400);
      // Nothing of it was taken: the vendor is still pending.
      expect((await api('GET', '/v1/me', { as: { key: vendor.apiKey, organizationId: vendor.organization.id } })).body.organization.status).toBe('pending');
    });

    it('serves /health/live, /health/ready and /metrics on every app’s own port', async () => {
      for (const [name, replicas] of system.apps) {
        for (const path of ['/health/live', '/health/ready', '/metrics']) expect(`${name} ${path}: ${(await fetch(`${replicas[0].url}${path}`)).status}`).toBe(`${name} ${path}: 200`);
      }
    });
  });

  describe('the OpenAPI at /docs-json', () => {
    it("documents every route of API.md, with API.md's success status and no other", () => {
      for (const route of CONTRACT) {
        const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
        expect({ route: `${route.method} ${route.path}`, documented: !!operation }).toEqual({ route: `${route.method} ${route.path}`, documented: true });
        // Where API.md names no status, one success is documented all the same.
        const successes = Object.keys(operation.responses).filter((status) => status.startsWith('2'));
        expect({ route: `${route.method} ${route.path}`, successes }).toEqual({ route: `${route.method} ${route.path}`, successes: [route.success ? String(route.success) : expect.stringMatching(/^20[01]$/)] });
      }
    });

    it('documents Idempotency-Key as required on POST /v1/orders, /v1/wallet/top-ups and /v1/payouts, and a 422 for its reuse', () => {
      for (const path of ['/v1/orders', '/v1/wallet/top-ups', '/v1/payouts']) {
        const operation = doc.paths[path].post;
        expect(operation.parameters?.find((p) => p.name.toLowerCase() === 'idempotency-key')).toMatchObject({ in: 'header', required: true });
        expect(operation.responses['422']).toBeDefined();
      }
    });

    it('documents a 422 for a reused Idempotency-Key on every route a service replays, and none where nothing is replayed', () => {
      // Sign-up, API keys (an operator's too), an organization's approval or suspension, a dead letter's replay (the
      // gateway's own work) and signing an upload URL (a new URL each time): a key replays none.
      const notReplayed = [
        'post /v1/datasets/{id}/versions/{versionId}/uploads',
        'post /v1/datasets/{id}/samples',
        'post /v1/organizations',
        'post /v1/api-keys',
        'delete /v1/api-keys/{id}',
        'post /v1/admin/organizations/{id}/api-keys',
        'delete /v1/admin/api-keys/{id}',
        'post /v1/admin/organizations/{id}/approve',
        'post /v1/admin/organizations/{id}/suspend',
        'post /v1/admin/dead-letters/{id}/replay',
      ];
      const wrong: string[] = [];
      for (const [path, operations] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(operations as Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>)) {
          if (!operation.parameters?.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')) continue;
          const route = `${method} ${path}`;
          const replays = !notReplayed.includes(route);
          if (replays !== (operation.responses['422'] !== undefined)) wrong.push(`${route}: ${replays ? 'no 422' : 'a 422 it never answers'}`);
        }
      }
      expect(wrong).toEqual([]);
    });

    // API.md: every list takes ?limit= and ?cursor=, and "document all of it in the OpenAPI": a
    // client generated from /docs-json must be able to ask for a page size and the next page.
    it('documents ?limit= and ?cursor= on every list', () => {
      const undocumented = [];
      for (const path of LISTS) {
        const names = (doc.paths[path].get.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
        if (!names.includes('limit') || !names.includes('cursor')) undocumented.push(path);
      }
      expect(undocumented).toEqual([]);
    });

    it('held every gateway answer of this file to the conventions: x-correlation-id (echoed), problem+json errors with the six fields', () => {
      expect(seen.length).toBeGreaterThan(300);
      const broken: string[] = [];
      for (const answer of seen) {
        const route = `${answer.method} ${answer.path} ${answer.status}`;
        if (!answer.correlationId) broken.push(`${route}: no x-correlation-id`);
        else if (answer.sentCorrelationId && answer.correlationId !== answer.sentCorrelationId) broken.push(`${route}: x-correlation-id not echoed`);
        if (answer.status >= 400) {
          if (!/^application\/problem\+json/.test(answer.contentType ?? '')) broken.push(`${route}: ${answer.contentType}, not problem+json`);
          const missing = PROBLEM_FIELDS.filter((field) => answer.body?.[field] === undefined);
          if (missing.length) broken.push(`${route}: problem without ${missing.join(', ')}`);
          else if (answer.body.correlationId !== answer.correlationId || answer.body.status !== answer.status || !/^[A-Z][A-Z0-9_]*$/.test(answer.body.code)) broken.push(`${route}: ${JSON.stringify(answer.body)}`);
        }
        if (answer.status >= 500) broken.push(`${route}: a 5xx`);
      }
      expect(broken).toEqual([]);
    });

    it('documents every status this file saw a route answer, and every answer body fits the documented schema', () => {
      const misfit: string[] = [];
      for (const answer of seen) {
        const template = templateOf(doc, answer.method, answer.path);
        if (!template) {
          if (answer.status !== 404) misfit.push(`${answer.method} ${answer.path}: answered ${answer.status}, not in /docs-json`);
          continue;
        }
        const route = `${answer.method} ${template} ${answer.status}`;
        const response = doc.paths[template][answer.method.toLowerCase()].responses[String(answer.status)];
        if (!response) {
          misfit.push(`${route}: status not documented`);
          continue;
        }
        const schema = response.content?.['application/json']?.schema ?? response.content?.['application/problem+json']?.schema;
        if (schema && answer.body !== undefined) misfit.push(...misfits(doc, schema, answer.body).map((m) => `${route}: ${m}`));
      }
      expect([...new Set(misfit)]).toEqual([]);
    });
  });
});
