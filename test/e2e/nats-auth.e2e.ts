import 'reflect-metadata';
import { type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckPolicy, connect, DeliverPolicy, ErrorCode, type NatsConnection, type NatsError } from 'nats';
import { SERVICES, type ServiceName } from '@trove/contracts';
import { Namespace } from '@trove/messaging';
import { inboxPrefix, natsAuthorizationConfig, passwordVariable } from '../../libs/messaging/src/bus-permissions';
import { issueKey } from '../../apps/gateway/src/auth/api-key-token';
import { newDataset, speechListing, VendorClient } from '../support/catalog';
import { newNamespace } from '../support/nats';
import { SERVER_URL } from '../support/postgres';
import { freePort, NodeProcess, spawnTracked, waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(180_000);

const NATS_SERVER = process.env.TROVE_NATS_SERVER ?? '/usr/sbin/nats-server';

/**
 * A nats-server of this test's own, with JetStream in a temporary directory and the
 * authorization config the deployments use, rendered for the test's namespace.
 */
class AuthorizedNats {
  readonly namespace = new Namespace(newNamespace());
  // nats-server parses a password taken from its environment like a config value: one that
  // starts with a digit or a dash is read as a number and refused, so these start with a letter
  readonly passwords = Object.fromEntries(SERVICES.map((s) => [s, `n${randomBytes(18).toString('base64url')}`])) as Record<ServiceName, string>;
  private readonly dir = mkdtempSync(join(tmpdir(), 'trove-nats-auth-'));
  private child?: ChildProcess;
  private log = '';
  url = '';

  async start(): Promise<void> {
    const port = await freePort();
    this.url = `nats://127.0.0.1:${port}`;
    writeFileSync(join(this.dir, 'authorization.conf'), natsAuthorizationConfig(this.namespace));
    writeFileSync(
      join(this.dir, 'nats-server.conf'),
      [`listen: 127.0.0.1:${port}`, `jetstream { store_dir: "${join(this.dir, 'jetstream')}" }`, `include ./authorization.conf`, ''].join('\n'),
    );
    const env = { ...process.env, ...Object.fromEntries(SERVICES.map((s) => [passwordVariable(s), this.passwords[s]])) };
    this.child = spawnTracked('nats-server', NATS_SERVER, ['-c', join(this.dir, 'nats-server.conf')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    await waitFor(`nats-server on ${this.url}`, async () => {
      if (this.child!.exitCode !== null) throw new Error(`nats-server exited:\n${this.log}`);
      await (await this.as('gateway')).close();
      return true;
    });
  }

  /** A connection as one service's user, with that service's inbox, as the apps make it. */
  as(service: ServiceName, password = this.passwords[service]): Promise<NatsConnection> {
    return connect({ servers: this.url, user: service, pass: password, inboxPrefix: inboxPrefix(this.namespace, service), reconnect: false, name: `nats-auth-test-${service}` });
  }

  /** The settings an app needs to be `service` on this server. */
  settings(service: ServiceName): NodeJS.ProcessEnv {
    return { NATS_URL: this.url, NATS_USER: service, NATS_PASSWORD: this.passwords[service], TROVE_NAMESPACE: this.namespace.name };
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child!.once('exit', resolve));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How NATS answers a subscription: accepted, or refused with an error. */
async function subscriptionOutcome(nc: NatsConnection, subject: string, queue?: string): Promise<string> {
  const sub = nc.subscribe(subject, { queue });
  const refused = (async () => {
    try {
      for await (const _ of sub) return 'delivered';
      return 'closed';
    } catch (error) {
      return (error as NatsError).code;
    }
  })();
  // The server answers a refused SUB with an -ERR before it answers the PING of this flush.
  await nc.flush();
  await new Promise((resolve) => setImmediate(resolve));
  const outcome = sub.isClosed() ? await refused : 'accepted';
  if (!sub.isClosed()) sub.unsubscribe();
  return outcome;
}

/** What NATS does with a request: an answer, or a refusal. */
async function requestOutcome(nc: NatsConnection, subject: string): Promise<string> {
  try {
    await nc.request(subject, new TextEncoder().encode('{"from":"nats-auth-test"}'), { timeout: 3000 });
    return 'answered';
  } catch (error) {
    return (error as NatsError).code;
  }
}

describe('NATS with one user per service', () => {
  const nats = new AuthorizedNats();
  let system: TroveSystem;
  const open: NatsConnection[] = [];

  async function as(service: ServiceName): Promise<NatsConnection> {
    const nc = await nats.as(service);
    open.push(nc);
    return nc;
  }

  beforeAll(async () => {
    await nats.start();
    system = await TroveSystem.start({
      env: { NATS_URL: nats.url, TROVE_NAMESPACE: nats.namespace.name },
      appEnv: Object.fromEntries(SERVICES.map((s) => [s, nats.settings(s)])),
    });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
  });

  afterAll(async () => {
    await system?.stop();
    await nats.stop();
  });

  it('refuses an anonymous connection and a wrong password', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toMatchObject({ code: ErrorCode.AuthorizationViolation });
    await expect(nats.as('catalog', nats.passwords.ordering)).rejects.toMatchObject({ code: ErrorCode.AuthorizationViolation });
  });

  it('stops an app without credentials, or with a wrong password, with one line naming the setting and no secret', async () => {
    const wrong = `${nats.passwords.catalog}-typo`;
    const base = { DATABASE_URL: SERVER_URL, TROVE_ADMIN_KEY: issueKey().token, PORT: '0', CONNECT_TIMEOUT_MS: '2000', NATS_URL: nats.url, TROVE_NAMESPACE: nats.namespace.name };
    for (const [env, setting] of [
      [{}, 'NATS_USER'],
      [{ NATS_USER: 'catalog', NATS_PASSWORD: wrong }, 'NATS_PASSWORD'],
      [{ NATS_URL: nats.url.replace('nats://', `nats://catalog:${wrong}@`) }, 'NATS_PASSWORD'],
      [{ NATS_PASSWORD: wrong }, 'NATS_USER'],
      [{ NATS_URL: `nats://catalog:${wrong}@127.0.0.1:1` }, 'NATS_URL'],
    ] as const) {
      const app = new NodeProcess('dist/apps/catalog/src/main.js', { ...base, ...env }).start();
      const exit = await app.exit(20_000);
      const lines = app.output.trim().split('\n');
      expect(exit.code).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^trove-catalog: (configuration error: )?${setting}\\b`));
      expect(app.output).not.toContain(wrong);
    }
  });

  it("does not let one service's user serve another service's subjects", async () => {
    const catalog = await as('catalog');
    const ns = nats.namespace;
    // the ordering service's health subject, in ordering's queue group: what a thief would do
    expect(await subscriptionOutcome(catalog, ns.subject('ordering.system.health'), ns.queue('ordering'))).toBe(ErrorCode.PermissionsViolation);
    expect(await subscriptionOutcome(catalog, ns.subject('gateway.identity.changed'))).toBe(ErrorCode.PermissionsViolation);
    // nor read the replies the gateway gets
    expect(await subscriptionOutcome(catalog, `${inboxPrefix(ns, 'gateway')}.>`)).toBe(ErrorCode.PermissionsViolation);
    expect(await subscriptionOutcome(catalog, '_INBOX.>')).toBe(ErrorCode.PermissionsViolation);
    // its own subjects it may serve
    expect(await subscriptionOutcome(await as('catalog'), ns.subject('catalog.system.health'), 'nats-auth-test')).toBe('accepted');
  });

  it('lets a service ask only the services it calls', async () => {
    const ns = nats.namespace;
    expect(await requestOutcome(await as('gateway'), ns.subject('ordering.system.health'))).toBe('answered');
    expect(await requestOutcome(await as('catalog'), ns.subject('ordering.system.health'))).toBe(ErrorCode.PermissionsViolation);
  });

  it('does not let a service publish events, or revocations, as another service', async () => {
    const ns = nats.namespace;
    const catalog = await as('catalog');
    const js = catalog.jetstream();
    const jsm = await catalog.jetstreamManager();
    const before = (await jsm.streams.info(ns.stream)).state.messages;
    const event = (subject: string) =>
      new TextEncoder().encode(JSON.stringify({ id: crypto.randomUUID(), subject, occurredAt: new Date().toISOString(), producer: 'catalog', payload: {} }));

    await expect(js.publish(ns.subject('evt.ordering.order.paid.v1'), event('evt.ordering.order.paid.v1'), { timeout: 3000 })).rejects.toMatchObject({
      code: ErrorCode.PermissionsViolation,
    });
    // An event of the catalog's own that no service takes up: the empty payload would be a dead
    // letter in any consumer of it (billing takes up dataset.published), and the last test
    // expects a system without dead letters.
    const own = await js.publish(ns.subject('evt.catalog.offer.created.v1'), event('evt.catalog.offer.created.v1'), { timeout: 3000 });
    expect(own.stream).toBe(ns.stream);
    expect((await jsm.streams.info(ns.stream)).state.messages).toBe(before + 1);

    // a forged "this key was revoked / this organization changed" broadcast to every gateway
    const forger = await as('catalog');
    const errors = (async () => {
      for await (const status of forger.status()) if (status.type === 'error') return String(status.data);
      return 'closed';
    })();
    forger.publish(ns.subject('gateway.identity.changed'), new TextEncoder().encode('{"kind":"organization","id":"forged"}'));
    await forger.flush();
    await expect(errors).resolves.toBe(ErrorCode.PermissionsViolation);
  });

  it("lets a service use its own event consumers and no other's, and not delete the stream", async () => {
    const ns = nats.namespace;
    const ordering = await as('ordering');
    const jsm = await ordering.jetstreamManager();
    // its own, as ordering created it at start: pulled, filtered on billing's payment events
    const own = await jsm.consumers.info(ns.stream, 'ordering_order-payments');
    expect(own.config).toMatchObject({ filter_subject: ns.subject('evt.billing.payment.>'), ack_policy: AckPolicy.Explicit });
    expect(own.config.deliver_subject).toBeUndefined();
    // what a restarted service does with its existing consumer
    await jsm.consumers.update(ns.stream, 'ordering_order-payments', { ack_wait: own.config.ack_wait, max_ack_pending: own.config.max_ack_pending });

    // Another service's consumer: re-pointed, billing would never charge another order.
    await expect(jsm.consumers.update(ns.stream, 'billing_order-payments', { filter_subject: ns.subject('evt.ordering.nothing.>') })).rejects.toMatchObject({
      code: ErrorCode.PermissionsViolation,
    });
    await expect(jsm.consumers.info(ns.stream, 'billing_order-payments')).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
    // A consumer of a name no handler has: a push consumer would have the server deliver stored
    // messages, headers and all, to any subject, an "admin" command to billing among them.
    await expect(
      jsm.consumers.add(ns.stream, {
        durable_name: 'ordering_top-up-confirmations',
        filter_subject: ns.subject('evt.ordering.order.placed.v1'),
        deliver_subject: ns.subject('billing.top-up.confirm'),
        deliver_group: ns.queue('billing'),
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
      }),
    ).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
    const billing = await (await as('billing')).jetstreamManager();
    expect((await billing.consumers.info(ns.stream, 'billing_order-payments')).config.filter_subject).toBe(ns.subject('evt.ordering.order.>'));

    await expect(jsm.streams.delete(ns.stream)).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
    await expect(jsm.consumers.delete(ns.stream, 'ordering_order-payments')).rejects.toMatchObject({ code: ErrorCode.PermissionsViolation });
    expect((await jsm.streams.info(ns.stream)).config.name).toBe(ns.stream);
  });

  it("lets a backend service ask only the subjects it calls, not the gateway's: no operator's or buyer's request with headers of its making", async () => {
    const ns = nats.namespace;
    const delivery = await as('delivery');
    const catalog = await as('catalog');
    // what an operator asks (a listing suspended) and what a buyer asks (a manifest of signed URLs)
    expect(await requestOutcome(delivery, ns.subject('catalog.dataset.suspend'))).toBe(ErrorCode.PermissionsViolation);
    expect(await requestOutcome(await as('ordering'), ns.subject('catalog.dataset.approve'))).toBe(ErrorCode.PermissionsViolation);
    expect(await requestOutcome(catalog, ns.subject('delivery.entitlement.manifest'))).toBe(ErrorCode.PermissionsViolation);
    expect(await requestOutcome(catalog, ns.subject('delivery.entitlement.list'))).toBe(ErrorCode.PermissionsViolation);
    // what it does call is answered (here: refused by the contract, which is an answer)
    expect(await requestOutcome(await as('delivery'), ns.subject('catalog.storage.listed'))).toBe('answered');
  });

  it('runs the whole system with credentials: admin health is ok and a request crosses the bus', async () => {
    const health = await system.request('/v1/admin/health');
    expect(health.status).toBe(200);
    const body = await json(health);
    expect(body.status).toBe('ok');
    for (const service of ['catalog', 'ordering', 'billing', 'delivery']) expect(body.services[service].status).toBe('ok');

    const dataset = await newDataset(system.databases.get('catalog')!.url, {
      title: '粤语客服电话录音 300 小时 / Cantonese call-centre speech, 300 hours',
    });
    const response = await system.request(`/v1/datasets/${dataset.id}`);
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ id: dataset.id, title: dataset.title });
  });

  it('runs a purchase end to end with each service on its own consumers and calls: upload, checkout, charge, grant', async () => {
    // catalog asks delivery to sign the upload, delivery records the file in catalog
    const vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    const { dataset, offer } = await vendor.listing(speechListing());
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);
    const signUp = await json(
      await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name: '百川智能 Baichuan', kind: 'buyer', contactEmail: 'data@example.cn' }) }),
    );
    const buyer = { key: signUp.apiKey as string };
    const topUp = await json(
      await system.request('/v1/wallet/top-ups', {
        method: 'POST',
        as: buyer,
        headers: { 'idempotency-key': randomUUID() },
        body: JSON.stringify({ amount: { amount: offer.pricing.price.amount, currency: 'CNY' }, reference: 'CMB-20261206-0042' }),
      }),
    );
    expect((await system.request(`/v1/admin/top-ups/${topUp.id}/confirm`, { method: 'POST', headers: { 'idempotency-key': randomUUID() } })).status).toBe(200);
    // ordering asks catalog for the offer; billing, delivery and ordering take the saga's events
    const order = await json(
      await system.request('/v1/orders', { method: 'POST', as: buyer, headers: { 'idempotency-key': randomUUID() }, body: JSON.stringify({ items: [{ offerId: offer.id }], acceptLicense: true }) }),
    );
    const fulfilled = await waitFor('the order to be fulfilled', async () => {
      const seen = await json(await system.request(`/v1/orders/${order.id}`, { as: buyer }));
      return seen.status === 'fulfilled' ? seen : undefined;
    }, 60_000);
    expect(fulfilled.status).toBe('fulfilled');
    expect((await json(await system.request('/v1/wallet', { as: buyer }))).balance.amount).toBe(0);
    const entitlements = await json(await system.request('/v1/entitlements', { as: buyer }));
    expect(entitlements.items.map((e: { datasetId: string }) => e.datasetId)).toEqual([dataset.id]);
  });
});
