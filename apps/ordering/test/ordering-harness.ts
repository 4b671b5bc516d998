import { Test, type TestingModule } from '@nestjs/testing';
import { CatalogSubjects, MessageHeaders, type OfferSnapshot, type RpcSubject } from '@trove/contracts';
import { defaultTerms, type PricingValue } from '@trove/licensing';
import { decodeJson, encodeJson, Namespace, RpcClient, toNatsHeaders, UnitOfWork, type RpcReply } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { AppModule } from '../src/app.module';
import type { Commit } from '../src/orders/orders.service';
import { deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { createAppDatabase, withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { withEnv } from '../../../test/support/env';

/** Offers as the catalog would answer `catalog.offer.get` for them (the catalog itself is not run). */
export class OfferShelf {
  private readonly offers = new Map<string, OfferSnapshot>();

  list(pricing: PricingValue, options: { template?: string; exclusive?: boolean; title?: string; versions?: number; defaultQuantity?: number; vendorOrganizationId?: string; datasetId?: string; territories?: string[] } = {}): OfferSnapshot {
    const template = options.template ?? 'commercial';
    const offer: OfferSnapshot = {
      id: randomUUID(),
      datasetId: options.datasetId ?? randomUUID(),
      license: { template, terms: { ...defaultTerms(template as 'commercial'), ...(options.territories ? { territories: options.territories } : {}) } },
      termsSha256: 'c'.repeat(64),
      pricing,
      requiresApproval: false,
      exclusive: options.exclusive ?? false,
      buyerOrgId: null,
      expiresAt: null,
      status: 'active',
      createdAt: new Date().toISOString(),
      defaultQuantity: options.defaultQuantity ?? null,
      vendorOrganizationId: options.vendorOrganizationId ?? randomUUID(),
      datasetStatus: 'published',
      datasetTitle: options.title ?? '测试数据集 / test dataset',
      available: true,
      releasedVersionIds: Array.from({ length: options.versions ?? 1 }, () => randomUUID()),
    };
    this.offers.set(offer.id, offer);
    return offer;
  }

  get(offerId: string): OfferSnapshot | undefined {
    return this.offers.get(offerId);
  }

  /** A catalog that answers `catalog.offer.get` from this shelf and nothing else, as `startOrdering`'s `rpc`. */
  catalog(): object {
    return {
      send: async <Req, Res>(rpc: RpcSubject<Req, Res>, request: Req): Promise<Res> => {
        if (rpc.subject !== CatalogSubjects.getOffer.subject) throw new Error(`unexpected ${rpc.subject}`);
        return this.get((request as { offerId: string }).offerId) as Res;
      },
    };
  }
}

/** Ordering's whole module on a database of its own, with `rpc` answering for the other services. */
export interface OrderingUnderTest {
  db: TestDatabase;
  app: TestingModule;
  unitOfWork: UnitOfWork;
  commit: Commit;
  /** The order's events in the outbox, in the order they were written. */
  events(orderId: string): Promise<{ subject: string; payload: unknown }[]>;
  stop(): Promise<void>;
}

/** `rpc` stands in for the RpcClient: an object with the `send` the code under test calls. */
export async function startOrdering(name: string, rpc: object): Promise<OrderingUnderTest> {
  const namespace = newNamespace();
  const db = await createAppDatabase('ordering', name);
  const app = await withEnv({ DATABASE_URL: db.url, NATS_URL, TROVE_NAMESPACE: namespace, LOG_LEVEL: 'silent', ORDER_SWEEP_MS: '3600000' }, async () => {
    const built = await Test.createTestingModule({ imports: [AppModule] }).overrideProvider(RpcClient).useValue(rpc).setLogger({ log() {}, warn() {}, error() {} }).compile();
    return built.init();
  });
  const unitOfWork = app.get(UnitOfWork);
  return {
    db,
    app,
    unitOfWork,
    commit: (work) => unitOfWork.run(work),
    events: (orderId) =>
      withDatabase(db.url, async (c) => (await c.query(`SELECT subject, payload FROM outbox WHERE payload->>'orderId' = $1 ORDER BY seq`, [orderId])).rows as { subject: string; payload: unknown }[]),
    stop: async () => {
      await app.close();
      await db.drop();
      await deleteStream(namespace);
    },
  };
}

/**
 * A request to ordering as the gateway forwards it over NATS: the caller, an Idempotency-Key (a
 * new one unless given) and a deadline `ms` ahead, waited for as long.
 */
export async function sendAsGateway<T>(
  nc: NatsConnection,
  namespace: Namespace,
  subject: RpcSubject<unknown, T>,
  caller: Caller,
  body: unknown,
  { key = randomUUID(), ms = 30_000 }: { key?: string; ms?: number } = {},
): Promise<RpcReply<T>> {
  const headers = toNatsHeaders({
    [MessageHeaders.correlationId]: randomUUID(),
    [MessageHeaders.caller]: 'gateway',
    [MessageHeaders.callerOrganization]: caller.organizationId,
    [MessageHeaders.callerRole]: caller.role,
    [MessageHeaders.callerKey]: caller.keyId,
    [MessageHeaders.idempotencyKey]: key,
    [MessageHeaders.deadline]: String(Date.now() + ms),
  });
  const reply = await nc.request(namespace.subject(subject.subject), encodeJson(body), { timeout: ms, headers });
  return decodeJson(reply.data) as RpcReply<T>;
}
