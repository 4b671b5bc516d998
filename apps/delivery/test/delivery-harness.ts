import { CatalogSubjects, DeliverySubjects, type RpcSubject, type SignedUpload, type SignUploadRequest } from '@trove/contracts';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { decodeJson, encodeJson, RpcClient, type RpcReply } from '@trove/messaging';
import { configureApp, createHttpAdapter, loadConfig, RequestContext, type Caller } from '@trove/platform';
import { randomBytes, randomUUID } from 'node:crypto';
import type { NatsConnection, Subscription } from 'nats';
import { Readable } from 'node:stream';
import { AppModule } from '../src/app.module';
import { DeliveryConfig } from '../src/delivery.config';
import { deliveryOptions } from '../src/delivery.options';
import { connectNats, deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { freePort } from '../../../test/support/processes';
import { withEnv } from '../../../test/support/env';
import { sendRaw, type RawAnswer } from '../../../test/support/http';
import type { TestStorage } from './storage-drivers';

export interface CatalogCall {
  subject: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  request: any;
  callerOrganization?: string;
}

export type PutAnswer = RawAnswer;

/** A vendor as the gateway would present it to catalog, and catalog to delivery. */
export function newVendor(): Caller {
  return { organizationId: randomUUID(), role: 'vendor', keyId: randomBytes(16).toString('hex') };
}

/**
 * Delivery in this process, listening on a real port (uploads stream over real HTTP), on its
 * own database and NATS namespace, with the given storage, and a stand-in for catalog's two
 * subjects in the same namespace that records what it was told and answers as the test says.
 */
export class DeliveryHarness {
  readonly namespace = newNamespace();
  readonly catalogCalls: CatalogCall[] = [];
  /** What the stand-in catalog answers; by default it records the file. `'silence'`: no answer. */
  catalogAnswer: (call: CatalogCall) => RpcReply<unknown> | 'silence' = recordFile;
  /** The storage keys the stand-in catalog says it lists, when delivery's sweep asks. */
  readonly catalogListed = new Set<string>();
  /** Runs, once, between the stand-in catalog computing its next answer to the sweep and sending it. */
  beforeListedAnswer?: () => Promise<void>;
  app!: NestFastifyApplication;
  db!: TestDatabase;
  port!: number;
  private nc?: NatsConnection;
  private subscriptions: Subscription[] = [];
  private env: Record<string, string> = {};
  private replicas: NestFastifyApplication[] = [];

  constructor(readonly storage: TestStorage) {}

  static async start(storage: TestStorage, env: Record<string, string> = {}): Promise<DeliveryHarness> {
    const harness = new DeliveryHarness(storage);
    await harness.boot(env);
    return harness;
  }

  private async boot(env: Record<string, string>): Promise<void> {
    this.db = await createAppDatabase('delivery', 'dl');
    this.env = {
      DATABASE_URL: this.db.url,
      NATS_URL,
      TROVE_NAMESPACE: this.namespace,
      LOG_LEVEL: 'silent',
      DELIVERY_SIGNING_KEYS: `test1:${randomBytes(32).toString('base64')},test0:${randomBytes(32).toString('base64')}`,
      ...this.storage.env,
      ...env,
    };
    ({ app: this.app, port: this.port } = await startApp(this.env));

    this.nc = await connectNats();
    await this.subscribeCatalog();
  }

  /** The stand-in catalog: its two recording subjects, and what the sweep of unconfirmed uploads asks. */
  private async subscribeCatalog(): Promise<void> {
    const nc = this.nc!;
    for (const rpc of [CatalogSubjects.addVersionFile, CatalogSubjects.addSample] as RpcSubject<unknown, unknown>[]) {
      this.subscriptions.push(
        nc.subscribe(`${this.namespace}.${rpc.subject}`, {
          callback: (_error, msg) => {
            const call: CatalogCall = { subject: rpc.subject, request: decodeJson(msg.data), callerOrganization: msg.headers?.get('trove-caller-org') || undefined };
            this.catalogCalls.push(call);
            const answer = this.catalogAnswer(call);
            if (answer !== 'silence') msg.respond(encodeJson(answer));
          },
        }),
      );
    }
    this.subscriptions.push(
      nc.subscribe(`${this.namespace}.${CatalogSubjects.listedObjects.subject}`, {
        callback: (_error, msg) => {
          const { objects } = decodeJson(msg.data) as { objects: { storageKey: string }[] };
          // What catalog lists when the question arrives; sent once `beforeListedAnswer` (once) is done.
          const listed = objects.map((o) => o.storageKey).filter((key) => this.catalogListed.has(key));
          const before = this.beforeListedAnswer;
          this.beforeListedAnswer = undefined;
          void (before ?? (async () => undefined))().then(() => msg.respond(encodeJson({ ok: true, data: { listed } })));
        },
      }),
    );
    await nc.flush();
  }

  /** Runs `work` while no catalog listens at all (catalog is not running), then brings the stand-in back. */
  async withoutCatalog<T>(work: () => Promise<T>): Promise<T> {
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
    await this.nc!.flush();
    try {
      return await work();
    } finally {
      await this.subscribeCatalog();
    }
  }

  /** Forgets the catalog calls so far and answers as catalog does when all is well. */
  resetCatalog(): void {
    this.catalogCalls.length = 0;
    this.catalogAnswer = recordFile;
    this.catalogListed.clear();
    this.beforeListedAnswer = undefined;
  }

  /** delivery.upload.sign over NATS, as catalog asks it, for `caller`. */
  signUpload(request: SignUploadRequest, caller: Caller): Promise<SignedUpload> {
    return RequestContext.run({ correlationId: randomUUID(), caller }, () => this.app.get(RpcClient).send(DeliverySubjects.signUpload, request));
  }

  /**
   * A PUT exactly as given: the path is sent as it is (no URL normalization, so a `..` arrives as
   * a client could send it), the body a buffer or a stream (chunked unless a length is set).
   */
  put(url: string, body: Buffer | Readable, headers: Record<string, string> = {}): Promise<PutAnswer> {
    const { pathname, search } = new URL(url);
    return this.putRaw(pathname + search, body, headers);
  }

  putRaw(pathAndQuery: string, body: Buffer | Readable, headers: Record<string, string> = {}): Promise<PutAnswer> {
    return sendRaw({ port: this.port, method: 'PUT', path: pathAndQuery }, body, headers);
  }

  async rows(datasetId: string): Promise<{ key: string; target: string; version_id: string | null; path: string; size: string; sha256: string; uploaded_by: string; recorded_at: Date | null }[]> {
    return withDatabase(this.db.url, async (client) => (await client.query(`SELECT * FROM stored_object WHERE dataset_id = $1 ORDER BY created_at`, [datasetId])).rows);
  }

  /**
   * Another delivery process on the same database, NATS namespace, storage and signing keys: a
   * second replica behind the same load balancer, with its own port and connection pool. Stopped
   * with the harness.
   */
  async replica(): Promise<{ app: NestFastifyApplication; port: number }> {
    const replica = await startApp(this.env);
    this.replicas.push(replica.app);
    return replica;
  }

  async stop(): Promise<void> {
    for (const sub of this.subscriptions) sub.unsubscribe();
    await this.nc?.close();
    for (const replica of this.replicas) await replica.close();
    await this.app?.close();
    await this.db?.drop();
    await deleteStream(this.namespace);
  }
}

/** A delivery app in this process with `env` as its settings, listening on a free port. */
async function startApp(env: Record<string, string>): Promise<{ app: NestFastifyApplication; port: number }> {
  const port = await freePort();
  const app = await withEnv({ DELIVERY_PUBLIC_URL: `http://127.0.0.1:${port}`, ...env }, async () => {
    const config = loadConfig(DeliveryConfig, process.env, { PORT: port });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const built = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bufferLogs: true });
    await configureApp(built, deliveryOptions, config);
    await built.listen({ port, host: '127.0.0.1' });
    return built;
  });
  return { app, port };
}

/** Catalog's answer when it recorded the file. */
function recordFile(call: CatalogCall): RpcReply<unknown> {
  return { ok: true, data: call.subject === CatalogSubjects.addSample.subject ? { id: randomUUID(), ...pick(call.request) } : pick(call.request) };
}

function pick(request: { path: string; size: number; sha256: string }) {
  return { path: request.path, size: request.size, sha256: request.sha256 };
}
