import { SERVICES, type ServiceName } from '@trove/contracts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueKey } from '../../apps/gateway/src/auth/api-key-token';
import { createAppDatabase, type TestDatabase } from './postgres';
import { deleteStream, NATS_URL, newNamespace } from './nats';
import { freePort, NodeProcess, waitFor } from './processes';

/** One app of a running system: its own process, port and database. */
export class AppProcess extends NodeProcess {
  constructor(
    readonly name: ServiceName,
    readonly port: number,
    env: NodeJS.ProcessEnv,
  ) {
    // Test runs start many apps side by side on one PostgreSQL (max_connections 100 here): a
    // smaller pool per process keeps them from running the server out of connections.
    super(`dist/apps/${name}/src/main.js`, { DATABASE_POOL_SIZE: '10', ...env, PORT: String(port) });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Start-up is waited for, not judged: on a loaded 2-core machine five apps may take a while. */
  async ready(ms = 60_000): Promise<void> {
    await waitFor(
      `${this.name} to be ready`,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited:\n${this.tail()}`);
        const response = await fetch(`${this.url}/health/ready`);
        return response.ok;
      },
      ms,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n--- ${this.name} output ---\n${this.tail()}`);
    });
  }
}

export interface SystemOptions {
  apps?: ServiceName[];
  /** Extra settings for every app. */
  env?: NodeJS.ProcessEnv;
  /** Extra settings of one app (its NATS user, say), over `env`. */
  appEnv?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>;
  /** Extra replicas: another process of the same app, same database and queue group. */
  replicas?: Partial<Record<ServiceName, number>>;
}

/**
 * Trove as it runs in production, on the real PostgreSQL and NATS: every app its own process
 * and database, the whole in a NATS namespace of its own.
 */
export class TroveSystem {
  readonly adminKey = issueKey().token;
  /** Delivery's URL-signing key and object directory, shared by its replicas. */
  readonly signingKeys = `e2e:${randomBytes(32).toString('base64')}`;
  readonly storageDir = mkdtempSync(join(tmpdir(), 'trove-e2e-objects-'));
  readonly namespace = newNamespace();
  readonly apps = new Map<ServiceName, AppProcess[]>();
  readonly databases = new Map<ServiceName, TestDatabase>();

  private constructor(private readonly options: SystemOptions) {}

  static async start(options: SystemOptions = {}): Promise<TroveSystem> {
    const system = new TroveSystem(options);
    try {
      await system.boot();
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  get gateway(): AppProcess {
    return this.app('gateway');
  }

  app(name: ServiceName, replica = 0): AppProcess {
    const app = this.apps.get(name)?.[replica];
    if (!app) throw new Error(`${name} replica ${replica} is not part of this system`);
    return app;
  }

  envFor(name: ServiceName): NodeJS.ProcessEnv {
    // The links catalog writes (a Croissant card's) lead to this system's gateway, made first.
    const gateway = this.apps.get('gateway')?.[0];
    return {
      ...(gateway ? { PUBLIC_API_URL: gateway.url } : {}),
      DATABASE_URL: this.databases.get(name)!.url,
      NATS_URL,
      TROVE_NAMESPACE: this.namespace,
      TROVE_ADMIN_KEY: this.adminKey,
      DELIVERY_SIGNING_KEYS: this.signingKeys,
      STORAGE_DIR: this.storageDir,
      LOG_LEVEL: process.env.TROVE_TEST_LOG_LEVEL ?? 'info',
      // Tests drive many calls from one address, keyless ones to routes that need a key among
      // them (failed authentications); the rate-limit test sets its own limits.
      RATE_LIMIT_PER_KEY: '100000',
      RATE_LIMIT_PER_ORGANIZATION: '100000',
      RATE_LIMIT_PER_ADDRESS: '100000',
      SIGNUPS_PER_ADDRESS_PER_HOUR: '100000',
      AUTH_FAILURES_PER_ADDRESS: '100000',
      ...this.options.env,
      ...this.options.appEnv?.[name],
    };
  }

  private async boot(): Promise<void> {
    const names = this.options.apps ?? [...SERVICES];
    await Promise.all(names.map(async (name) => this.databases.set(name, await createAppDatabase(name, `e2e_${name}`))));
    for (const name of names) {
      const count = 1 + (this.options.replicas?.[name] ?? 0);
      const replicas: AppProcess[] = [];
      for (let i = 0; i < count; i++) replicas.push(new AppProcess(name, await freePort(), this.envFor(name)));
      this.apps.set(name, replicas);
    }
    const all = [...this.apps.values()].flat();
    for (const app of all) app.start();
    await Promise.all(all.map((app) => app.ready()));
  }

  /**
   * A call to the gateway as a client makes it: as the admin unless `as` says anonymous or gives
   * another key, to replica 0 unless told otherwise, JSON when there is a body.
   */
  async request(path: string, init: RequestInit & { as?: 'admin' | 'anonymous' | { key: string }; replica?: number } = {}): Promise<Response> {
    const { as = 'admin', replica = 0, ...rest } = init;
    const headers = new Headers(rest.headers);
    const key = as === 'admin' ? this.adminKey : as === 'anonymous' ? undefined : as.key;
    if (key) headers.set('authorization', `Bearer ${key}`);
    if (rest.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
    return fetch(`${this.app('gateway', replica).url}${path}`, { ...rest, headers });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.apps.values()].flat().map((app) => app.stop()));
    await Promise.all([...this.databases.values()].map((db) => db.drop().catch(() => undefined)));
    await deleteStream(this.namespace);
    rmSync(this.storageDir, { recursive: true, force: true });
  }
}

/** A response body as JSON, typed as the test expects it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function json<T = any>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
