import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createHttpAdapter, loadConfig } from '@trove/platform';
import { AppModule } from '../src/app.module';
import { GatewayConfig } from '../src/gateway.config';
import { gatewayOptions } from '../src/gateway.options';
import { issueKey } from '../src/auth/api-key-token';
import { createAppDatabase, type TestDatabase } from '../../../test/support/postgres';
import { deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { AppProcess } from '../../../test/support/system';
import { closeAtFileEnd, freePort } from '../../../test/support/processes';
import { withEnv } from '../../../test/support/env';

export interface InjectOptions {
  method: string;
  url: string;
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The address the request comes from (the TCP peer), 127.0.0.1 unless given. */
  remoteAddress?: string;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * The gateway in this process, answering through fastify's inject(), on its own database and
 * NATS namespace, with the catalog, delivery (which signs upload URLs), billing and ordering
 * running beside it as real processes.
 */
/**
 * How long a test file's `beforeAll` may take to start the harness: five databases migrated,
 * four apps and a gateway booted. About 15 s on a quiet 2-core machine; a start cut short by the
 * file's own test timeout left its apps running into the next file of the jest worker.
 */
export const HARNESS_START_TIMEOUT_MS = 180_000;

export class GatewayHarness {
  readonly adminKey = issueKey().token;
  readonly namespace = newNamespace();
  app!: NestFastifyApplication;
  gatewayDb!: TestDatabase;
  catalogDb!: TestDatabase;
  catalog!: AppProcess;
  deliveryDb!: TestDatabase;
  delivery!: AppProcess;
  billingDb!: TestDatabase;
  billing!: AppProcess;
  orderingDb!: TestDatabase;
  ordering!: AppProcess;
  readonly storageDir = mkdtempSync(join(tmpdir(), 'trove-gw-delivery-'));

  static async start(env: Record<string, string> = {}): Promise<GatewayHarness> {
    const harness = new GatewayHarness();
    await harness.boot(env);
    return harness;
  }

  private async boot(env: Record<string, string>): Promise<void> {
    [this.gatewayDb, this.catalogDb, this.deliveryDb, this.billingDb, this.orderingDb] = await Promise.all([
      createAppDatabase('gateway', 'gw'),
      createAppDatabase('catalog', 'gw_catalog'),
      createAppDatabase('delivery', 'gw_delivery'),
      createAppDatabase('billing', 'gw_billing'),
      createAppDatabase('ordering', 'gw_ordering'),
    ]);
    this.catalog = new AppProcess('catalog', await freePort(), {
      DATABASE_URL: this.catalogDb.url,
      NATS_URL,
      TROVE_NAMESPACE: this.namespace,
      LOG_LEVEL: 'warn',
    });
    this.catalog.start();
    this.delivery = new AppProcess('delivery', await freePort(), {
      DATABASE_URL: this.deliveryDb.url,
      NATS_URL,
      TROVE_NAMESPACE: this.namespace,
      LOG_LEVEL: 'warn',
      DELIVERY_SIGNING_KEYS: `test:${randomBytes(32).toString('base64')}`,
      STORAGE_DIR: this.storageDir,
    });
    this.delivery.start();
    this.billing = new AppProcess('billing', await freePort(), { DATABASE_URL: this.billingDb.url, NATS_URL, TROVE_NAMESPACE: this.namespace, LOG_LEVEL: 'warn' });
    this.billing.start();
    this.ordering = new AppProcess('ordering', await freePort(), { DATABASE_URL: this.orderingDb.url, NATS_URL, TROVE_NAMESPACE: this.namespace, LOG_LEVEL: 'warn' });
    this.ordering.start();
    const settings = {
      DATABASE_URL: this.gatewayDb.url,
      NATS_URL,
      TROVE_NAMESPACE: this.namespace,
      TROVE_ADMIN_KEY: this.adminKey,
      LOG_LEVEL: 'silent',
      RATE_LIMIT_PER_KEY: '100000',
      RATE_LIMIT_PER_ORGANIZATION: '100000',
      RATE_LIMIT_PER_ADDRESS: '100000',
      SIGNUPS_PER_ADDRESS_PER_HOUR: '100000',
      // Calls without a key to routes that need one count as failed authentications.
      AUTH_FAILURES_PER_ADDRESS: '100000',
      ...env,
    };
    this.app = await gatewayApp(settings);
    await Promise.all([this.catalog.ready(), this.delivery.ready(), this.billing.ready(), this.ordering.ready()]);
  }

  async inject(options: InjectOptions): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const response = await this.app.getHttpAdapter().getInstance().inject({ method: options.method as 'GET', url: options.url, headers, payload, remoteAddress: options.remoteAddress });
    let body: unknown = response.body;
    try {
      body = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.statusCode, headers: response.headers, body };
  }

  async stop(): Promise<void> {
    await this.app?.close();
    await Promise.all([this.catalog?.stop(), this.delivery?.stop(), this.billing?.stop(), this.ordering?.stop()]);
    await Promise.all([this.gatewayDb?.drop(), this.catalogDb?.drop(), this.deliveryDb?.drop(), this.billingDb?.drop(), this.orderingDb?.drop()]);
    rmSync(this.storageDir, { recursive: true, force: true });
    await deleteStream(this.namespace);
  }
}

/** A gateway app in this process with `settings` as its environment, ready for `inject` (not listening). */
export function gatewayApp(settings: Record<string, string>): Promise<NestFastifyApplication> {
  return withEnv(settings, async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const config = loadConfig(GatewayConfig, process.env, { PORT: 0 });
    const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bufferLogs: true });
    await configureApp(app, gatewayOptions, config);
    // Closed at the end of the test file if no one closed it before (a start-up cut short).
    const forget = closeAtFileEnd('the gateway app', () => app.close());
    const close = app.close.bind(app);
    app.close = () => (forget(), close());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  });
}
