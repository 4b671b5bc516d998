import { CatalogErrorCode, CatalogSubjects, CommonErrorCode, MessageHeaders, OrderingSubjects, type AccessRequestPage, type AccessRequestView, type OfferSnapshot, type RpcSubject } from '@trove/contracts';
import { decodeJson, encodeJson, Namespace, toNatsHeaders, type RpcReply } from '@trove/messaging';
import { ServiceException, type Caller } from '@trove/platform';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { connectNats } from '../../../test/support/nats';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { OfferShelf, startOrdering, type OrderingUnderTest } from './ordering-harness';

jest.setTimeout(120_000);

/** Ordering's pool in this file: small, so that a few requests waiting on the catalog could take it all. */
const POOL_SIZE = 3;

const shelf = new OfferShelf();
/** A financial call-centre speech corpus whose vendor vets each buyer (`requiresApproval`). */
const vetted = (): OfferSnapshot => Object.assign(shelf.list({ model: 'one_time', price: { amount: 3_600_000, currency: 'CNY' } }, { title: '金融客服通话录音 500 小时 / financial call-centre speech' }), { requiresApproval: true });

/** `catalog.offer.get` answered from the shelf; `stall` holds every answer until `resume`. */
class Catalog {
  asked = 0;
  private stalled?: Promise<void>;
  private resumeAll?: () => void;

  send = async <Req, Res>(rpc: RpcSubject<Req, Res>, request: Req): Promise<Res> => {
    if (rpc.subject !== CatalogSubjects.getOffer.subject) throw new Error(`unexpected ${rpc.subject}`);
    this.asked += 1;
    await this.stalled;
    const offer = shelf.get((request as { offerId: string }).offerId);
    if (!offer) throw new ServiceException(CommonErrorCode.NOT_FOUND, 'No such offer.');
    return offer as Res;
  };

  stall(): void {
    this.stalled = new Promise<void>((resolve) => (this.resumeAll = resolve));
  }

  resume(): void {
    this.resumeAll?.();
    this.stalled = undefined;
  }
}

/**
 * Access requests placed over NATS as the gateway places them, on ordering's own database with
 * the catalog answered in-process: the catalog is asked before the request's transaction opens,
 * so buyers waiting on a slow catalog hold none of ordering's connections.
 */
describe('access requests', () => {
  const catalog = new Catalog();
  let ordering: OrderingUnderTest;
  let nc: NatsConnection;
  let namespace: Namespace;

  beforeAll(async () => {
    process.env.DATABASE_POOL_SIZE = String(POOL_SIZE);
    ordering = await startOrdering('access', catalog);
    namespace = ordering.app.get(Namespace);
    nc = await connectNats();
  });

  afterAll(async () => {
    catalog.resume();
    await nc?.close();
    await ordering?.stop();
    delete process.env.DATABASE_POOL_SIZE;
  });

  const newBuyer = (): Caller => ({ organizationId: randomUUID(), role: 'buyer', keyId: 'k'.repeat(32) });

  /** A request as the gateway forwards it: caller, Idempotency-Key and deadline. */
  async function send<T>(subject: RpcSubject<unknown, T>, caller: Caller, body: unknown, key: string = randomUUID()): Promise<RpcReply<T>> {
    const headers = toNatsHeaders({
      [MessageHeaders.correlationId]: randomUUID(),
      [MessageHeaders.caller]: 'gateway',
      [MessageHeaders.callerOrganization]: caller.organizationId,
      [MessageHeaders.callerRole]: caller.role,
      [MessageHeaders.callerKey]: caller.keyId,
      [MessageHeaders.idempotencyKey]: key,
      [MessageHeaders.deadline]: String(Date.now() + 30_000),
    });
    const reply = await nc.request(namespace.subject(subject.subject), encodeJson(body), { timeout: 30_000, headers });
    return decodeJson(reply.data) as RpcReply<T>;
  }

  const ask = (buyer: Caller, offerId: string, key?: string) =>
    send(OrderingSubjects.createAccessRequest, buyer, { offerId, intendedUse: '训练金融客服语音识别模型 / training a call-centre ASR model' }, key);
  const outcome = (reply: RpcReply<unknown>) => (reply.ok ? 'created' : reply.error.code);
  const inTransaction = () =>
    withDatabase(ordering.db.url, async (c) =>
      Number(
        (await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`)).rows[0].n,
      ),
    );

  it('buyers waiting on a slow catalog hold no connection of ordering, which keeps answering meanwhile', async () => {
    const offer = vetted();
    const vendor: Caller = { organizationId: offer.vendorOrganizationId, role: 'vendor', keyId: 'v'.repeat(32) };
    const buyers = Array.from({ length: POOL_SIZE + 2 }, newBuyer);
    catalog.stall();
    const asked = catalog.asked;
    const waiting = buyers.map((buyer) => ask(buyer, offer.id));
    try {
      await waitFor('the buyers to reach the catalog', async () => catalog.asked - asked >= POOL_SIZE);

      // Used to be a transaction per waiting buyer, opened before the catalog was asked: the pool
      // was theirs until the catalog answered, and ordering served nobody else (the saga neither).
      expect(await inTransaction()).toBe(0);
      const started = Date.now();
      const list = await send(OrderingSubjects.listAccessRequests, vendor, {});
      expect(list).toEqual({ ok: true, data: { items: [], nextCursor: null } });
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      catalog.resume();
    }
    expect((await Promise.all(waiting)).map(outcome)).toEqual(buyers.map(() => 'created'));
    const page = await send(OrderingSubjects.listAccessRequests, vendor, {});
    expect((page as { data: AccessRequestPage }).data.items.map((r) => r.buyerOrganizationId).sort()).toEqual(buyers.map((b) => b.organizationId).sort());
  });

  it('takes one request per buyer and offer: ten sent at once make one, the others are 409 CONFLICT naming it', async () => {
    const offer = vetted();
    const buyer = newBuyer();
    const replies = await Promise.all(Array.from({ length: 10 }, () => ask(buyer, offer.id)));

    expect(replies.map(outcome).sort()).toEqual([...Array(9).fill(CommonErrorCode.CONFLICT), 'created']);
    const created = replies.find((r) => r.ok) as { data: AccessRequestView };
    expect(created.data).toMatchObject({ offerId: offer.id, buyerOrganizationId: buyer.organizationId, status: 'pending' });
    for (const refused of replies.filter((r) => !r.ok)) expect(refused.ok ? '' : refused.error.message).toContain(created.data.id);
    const rows = await withDatabase(ordering.db.url, async (c) => (await c.query(`SELECT id FROM access_request WHERE buyer_organization_id = $1`, [buyer.organizationId])).rows);
    expect(rows).toEqual([{ id: created.data.id }]);
  });

  it('answers the same request again for the same Idempotency-Key, and refuses what needs no approval or cannot be seen', async () => {
    const offer = vetted();
    const buyer = newBuyer();
    const key = `ar-${randomUUID()}`;
    const first = await ask(buyer, offer.id, key);
    expect(outcome(first)).toBe('created');
    expect(await ask(buyer, offer.id, key)).toEqual(first);

    const open = shelf.list({ model: 'one_time', price: { amount: 880_000, currency: 'CNY' } });
    expect(outcome(await ask(buyer, open.id))).toBe(CommonErrorCode.CONFLICT);
    expect(outcome(await ask(buyer, randomUUID()))).toBe(CommonErrorCode.NOT_FOUND);
    const rows = await withDatabase(ordering.db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM access_request WHERE buyer_organization_id = $1`, [buyer.organizationId])).rows);
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('refuses a request for an offer the catalog no longer sells (withdrawn, or its vendor suspended) with 409 OFFER_NOT_AVAILABLE, as ordering it is refused', async () => {
    // The catalog answers such an offer with available: false, whatever the reason.
    const withdrawn = Object.assign(vetted(), { status: 'withdrawn', available: false });
    const ofSuspendedVendor = Object.assign(vetted(), { available: false });
    const buyer = newBuyer();

    for (const offer of [withdrawn, ofSuspendedVendor]) {
      const reply = await ask(buyer, offer.id);
      expect(outcome(reply)).toBe(CatalogErrorCode.OFFER_NOT_AVAILABLE);
      expect(reply.ok ? '' : reply.error.message).toContain(offer.id);
    }
    // Nothing is filed for the vendor to approve: a buyer used to be able to queue requests
    // against listings the catalog had stopped selling.
    const rows = await withDatabase(ordering.db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM access_request WHERE buyer_organization_id = $1`, [buyer.organizationId])).rows);
    expect(rows).toEqual([{ n: 0 }]);

    // Once the catalog sells it again, the request is taken.
    ofSuspendedVendor.available = true;
    expect(outcome(await ask(buyer, ofSuspendedVendor.id))).toBe('created');
  });
});
