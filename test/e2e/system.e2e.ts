import { SERVICES } from '@trove/contracts';
import { Client } from 'pg';
import { newDataset } from '../support/catalog';
import { json, TroveSystem } from '../support/system';
import { waitFor } from '../support/processes';

jest.setTimeout(120_000);

const RPC_TIMEOUT_MS = 1500;
/** Short, so that a shutdown that overruns it is seen within the test. */
const CATALOG_SHUTDOWN_TIMEOUT_MS = 4000;

describe('Trove as five processes on the real NATS and PostgreSQL', () => {
  let system: TroveSystem;

  beforeAll(async () => {
    system = await TroveSystem.start({ env: { RPC_TIMEOUT_MS: String(RPC_TIMEOUT_MS) }, appEnv: { catalog: { SHUTDOWN_TIMEOUT_MS: String(CATALOG_SHUTDOWN_TIMEOUT_MS) } } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function adminHealth(): Promise<{ status: string; services: Record<string, { status: string; latencyMs: number | null; version: string | null }>; nats: { status: string }; databases: Record<string, { status: string }> }> {
    const response = await system.request('/v1/admin/health');
    expect(response.status).toBe(200);
    return json(response);
  }

  it('reports every service, NATS and every database ok on /v1/admin/health', async () => {
    const health = await adminHealth();
    expect(health.status).toBe('ok');
    for (const service of SERVICES) {
      expect(health.services[service]).toMatchObject({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      expect(health.databases[service]).toMatchObject({ status: 'ok' });
    }
    expect(health.nats.status).toBe('ok');
  });

  it('refuses the admin health page without the admin key, as problem+json', async () => {
    const response = await system.request('/v1/admin/health', { as: 'anonymous' });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('serves a published dataset through the gateway and echoes the correlation id', async () => {
    const dataset = await newDataset(system.databases.get('catalog')!.url, { title: '粤语车载语音 500 小时 / Cantonese in-car speech, 500 hours' });
    const response = await system.request(`/v1/datasets/${dataset.id}`, { as: 'anonymous', headers: { 'x-correlation-id': 'buyer-run-42' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-correlation-id')).toBe('buyer-run-42');
    expect(await response.json()).toMatchObject({ id: dataset.id, title: dataset.title, status: 'published' });
  });

  it('hides a draft dataset from anonymous callers as 404', async () => {
    const draft = await newDataset(system.databases.get('catalog')!.url, { status: 'draft' });
    const response = await system.request(`/v1/datasets/${draft.id}`, { as: 'anonymous' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([
    ['a non-UUID id', 'GET', '/v1/datasets/not-a-uuid', undefined, 400, 'VALIDATION_FAILED'],
    ['an unknown route', 'GET', '/v1/nothing-here', undefined, 404, 'NOT_FOUND'],
    // On a route the caller may use: a caller who may not is told that first (403), whatever the body.
    ['malformed JSON', 'POST', '/v1/organizations', '{"name": "半截', 400, 'VALIDATION_FAILED'],
  ])('answers %s with problem+json, never 500', async (_what, method, path, body, status, code) => {
    const response = await system.request(path, { method, body, headers: body ? { 'content-type': 'application/json' } : {} });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = await json(response);
    expect(problem).toMatchObject({ status, code, correlationId: response.headers.get('x-correlation-id') });
    expect(problem.type).toEqual(expect.any(String));
    expect(problem.detail).toEqual(expect.any(String));
  });

  it('publishes its OpenAPI document and the interactive page', async () => {
    const document = await json(await system.request('/docs-json', { as: 'anonymous' }));
    expect(document.paths['/v1/admin/health'].get).toBeDefined();
    expect(document.paths['/v1/datasets/{id}'].get.responses['503']).toBeDefined();
    const page = await system.request('/docs', { as: 'anonymous' });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('SwaggerUIBundle');
  });

  it('exposes Prometheus metrics with a histogram per route and per NATS subject', async () => {
    await system.request('/v1/admin/health');
    const gateway = await (await fetch(`${system.gateway.url}/metrics`)).text();
    expect(gateway).toMatch(/trove_http_request_duration_seconds_count\{method="GET",route="\/v1\/admin\/health",status="200"\} \d+/);
    expect(gateway).toMatch(/trove_nats_request_duration_seconds_count\{subject="catalog.system.health",side="client",outcome="ok"\} \d+/);
    expect(gateway).toContain('process_cpu_seconds_total');
    const catalog = await (await fetch(`${system.app('catalog').url}/metrics`)).text();
    expect(catalog).toMatch(/trove_nats_request_duration_seconds_count\{subject="catalog.system.health",side="server",outcome="ok"\} \d+/);
  });

  describe('when a service dies', () => {
    it('shows it down, answers 503 within the timeout instead of hanging, and recovers when it is back', async () => {
      const catalog = system.app('catalog');
      const dataset = await newDataset(system.databases.get('catalog')!.url);
      catalog.kill('SIGKILL');
      await catalog.exit();

      const health = await adminHealth();
      expect(health.status).toBe('degraded');
      expect(health.services.catalog.status).toBe('down');
      expect(health.services.ordering.status).toBe('ok');

      const started = Date.now();
      const response = await system.request(`/v1/datasets/${dataset.id}`, { as: 'anonymous' });
      expect(response.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(RPC_TIMEOUT_MS + 1000);
      expect(response.headers.get('retry-after')).toBeTruthy();
      expect(await response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

      catalog.start();
      await catalog.ready();
      await waitFor('catalog ok in admin health', async () => (await adminHealth()).services.catalog.status === 'ok');
      expect((await system.request(`/v1/datasets/${dataset.id}`, { as: 'anonymous' })).status).toBe(200);
    });

    it('answers 503 after the timeout when a service hangs (SIGSTOP) rather than dies', async () => {
      const catalog = system.app('catalog');
      const dataset = await newDataset(system.databases.get('catalog')!.url);
      catalog.kill('SIGSTOP');
      try {
        const started = Date.now();
        const response = await system.request(`/v1/datasets/${dataset.id}`, { as: 'anonymous' });
        const elapsed = Date.now() - started;
        expect(response.status).toBe(503);
        expect(await response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', detail: expect.stringContaining(`${RPC_TIMEOUT_MS} ms`) });
        expect(elapsed).toBeGreaterThanOrEqual(RPC_TIMEOUT_MS - 50);
        expect(elapsed).toBeLessThan(RPC_TIMEOUT_MS + 1000);
      } finally {
        catalog.kill('SIGCONT');
      }
      expect((await system.request(`/v1/datasets/${dataset.id}`, { as: 'anonymous' })).status).toBe(200);
    });

    it('still gives the operators’ figures while the catalog hangs: the catalog’s are null and it is named, the rest are there', async () => {
      const catalog = system.app('catalog');
      catalog.kill('SIGSTOP');
      const stats = await (async () => {
        try {
          const response = await system.request('/v1/admin/stats');
          expect(response.status).toBe(200);
          return await json(response);
        } finally {
          catalog.kill('SIGCONT');
        }
      })();
      expect(stats.unavailable).toEqual(['catalog']);
      expect(stats.datasetsByStatus).toBeNull();
      const number = expect.any(Number);
      expect(stats.eventBacklog.unpublished).toEqual({ gateway: number, catalog: null, ordering: number, billing: number, delivery: number });
      expect(stats.ordersByStatus).toMatchObject({ pending_payment: 0, fulfilled: 0 });
      expect(stats.accessRequestsWaiting).toEqual({ pending: 0, oldestCreatedAt: null, overSevenDays: 0, slowestVendors: [] });
      expect(stats.organizationsByKind.vendor).toEqual({ pending: 0, active: 0, suspended: 0 });
      expect(stats.eventBacklog.consumers.length).toBeGreaterThan(0);

      await waitFor('the catalog to answer the figures again', async () => {
        const again = await json(await system.request('/v1/admin/stats'));
        return again.unavailable.length === 0 && again.datasetsByStatus !== null;
      });
    });
  });

  describe('on SIGTERM', () => {
    /** Fewer than the catalog's connection pool, so every one can be waiting at once. */
    const IN_FLIGHT = 10;

    /** Holds every read of the dataset table until released, so requests stay in flight. */
    async function lockDatasets(): Promise<() => Promise<void>> {
      const client = new Client({ connectionString: system.databases.get('catalog')!.url });
      await client.connect();
      await client.query('BEGIN');
      await client.query('LOCK TABLE dataset IN ACCESS EXCLUSIVE MODE');
      return async () => {
        await client.query('COMMIT');
        await client.end();
      };
    }

    it.each(['catalog', 'gateway'] as const)('%s finishes the requests in flight, answers them and exits 0', async (name) => {
      const app = system.app(name);
      const dataset = await newDataset(system.databases.get('catalog')!.url);
      const release = await lockDatasets();
      let inFlight: Promise<number>[] = [];
      try {
        inFlight = Array.from({ length: IN_FLIGHT }, () => system.request(`/v1/datasets/${dataset.id}`, { as: 'anonymous' }).then((r) => r.status));
        // Every request has reached the catalog and waits on the lock: all are in flight.
        await waitFor('requests to reach the catalog', async () => {
          const { rows } = await new Promise<{ rows: { waiting: number }[] }>((resolve, reject) => {
            const probe = new Client({ connectionString: system.databases.get('catalog')!.url });
            probe
              .connect()
              .then(() => probe.query(`SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`))
              .then(resolve, reject)
              .finally(() => probe.end());
          });
          return rows[0].waiting === IN_FLIGHT;
        });
        app.kill('SIGTERM');
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(app.running).toBe(true);
      } finally {
        await release();
      }
      const statuses = await Promise.all(inFlight);
      expect(statuses).toEqual(Array(IN_FLIGHT).fill(200));
      expect(await app.exit()).toEqual({ code: 0, signal: null });

      app.start();
      await app.ready();
    });

    it('gives up after SHUTDOWN_TIMEOUT_MS with exit code 143 (128 + SIGTERM, not a crash\'s 1) and says what it was still waiting for', async () => {
      const catalog = system.app('catalog');
      const dataset = await newDataset(system.databases.get('catalog')!.url);
      const release = await lockDatasets();
      try {
        // The gateway gives up on it after RPC_TIMEOUT_MS; the catalog's handler still waits on the lock.
        expect((await system.request(`/v1/datasets/${dataset.id}`, { as: 'anonymous' })).status).toBe(503);
        const signalled = Date.now();
        catalog.kill('SIGTERM');
        expect(await catalog.exit()).toEqual({ code: 143, signal: null });
        expect(Date.now() - signalled).toBeGreaterThanOrEqual(CATALOG_SHUTDOWN_TIMEOUT_MS - 100);
        // It said only that it took too long; now it names the stage it was in and what was open.
        expect(catalog.tail(5)).toMatch(
          /trove-catalog: shutdown took longer than SHUTDOWN_TIMEOUT_MS=4000, waiting on the app's hooks before the HTTP server closes \(consumers, RPC handlers, outbox\); \d+ HTTP connection\(s\) open( \(.+\))?; resources: .*TCPSocketWrap \d+.*; exiting with 143/,
        );
      } finally {
        await release();
      }
      catalog.start();
      await catalog.ready();
    });
  });
});
