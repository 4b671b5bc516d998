import { CatalogErrorCode, CatalogSubjects, CommonErrorCode, OrderingSubjects, type AccessRequestPage, type AccessRequestView, type OfferSnapshot, type RpcSubject } from '@trove/contracts';
import { Namespace, type RpcReply } from '@trove/messaging';
import { ServiceException, type Caller } from '@trove/platform';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { connectNats } from '../../../test/support/nats';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { OfferShelf, sendAsGateway, startOrdering, type OrderingUnderTest } from './ordering-harness';

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
  const send = <T>(subject: RpcSubject<unknown, T>, caller: Caller, body: unknown, key?: string): Promise<RpcReply<T>> => sendAsGateway(nc, namespace, subject, caller, body, { key });

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

  describe("a vendor's reason for a rejection", () => {
    const REASON = '申请用途为人脸识别商用，超出本数据集授权范围';
    const vendorOf = (offer: OfferSnapshot): Caller => ({ organizationId: offer.vendorOrganizationId, role: 'vendor', keyId: 'v'.repeat(32) });
    const data = <T>(reply: RpcReply<T>): T => {
      if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
      return reply.data;
    };
    const reject = (vendor: Caller, id: string, body: object = {}) => send(OrderingSubjects.rejectAccessRequest, vendor, { id, ...body });
    const listOf = async (caller: Caller) => data(await send(OrderingSubjects.listAccessRequests, caller, {})).items;
    const stored = (id: string) =>
      withDatabase(ordering.db.url, async (c) => (await c.query(`SELECT status, rejection_reason, decided_at FROM access_request WHERE id = $1`, [id])).rows[0] as Record<string, unknown>);

    it('is stored trimmed and answered to the vendor and, on its list, to the buyer; the request had none before', async () => {
      const offer = vetted();
      const vendor = vendorOf(offer);
      const buyer = newBuyer();
      const asked = data(await ask(buyer, offer.id));
      expect(asked).toMatchObject({ status: 'pending', rejectionReason: null });
      expect((await listOf(vendor)).find((r) => r.id === asked.id)).toMatchObject({ status: 'pending', rejectionReason: null });

      const rejected = data(await reject(vendor, asked.id, { reason: `  ${REASON}\n` }));
      expect(rejected).toMatchObject({ id: asked.id, status: 'rejected', rejectionReason: REASON });
      expect(await stored(asked.id)).toMatchObject({ status: 'rejected', rejection_reason: REASON });
      expect(await listOf(buyer)).toEqual([rejected]);
      expect((await listOf(vendor)).find((r) => r.id === asked.id)).toEqual(rejected);
    });

    it('is left out, or null, for a rejection without one and for an approval, and the database takes it on rejected requests only', async () => {
      const offer = vetted();
      const vendor = vendorOf(offer);
      const [silent, nulled, approved] = await Promise.all([newBuyer(), newBuyer(), newBuyer()].map(async (buyer) => data(await ask(buyer, offer.id)).id));
      expect(data(await reject(vendor, silent))).toMatchObject({ status: 'rejected', rejectionReason: null });
      expect(data(await reject(vendor, nulled, { reason: null }))).toMatchObject({ status: 'rejected', rejectionReason: null });
      expect(data(await send(OrderingSubjects.approveAccessRequest, vendor, { id: approved }))).toMatchObject({ status: 'approved', rejectionReason: null });
      // Approving takes no reason at all: the contract names the field it does not know.
      const another = data(await ask(newBuyer(), offer.id)).id;
      const approveWithReason = await send(OrderingSubjects.approveAccessRequest, vendor, { id: another, reason: REASON });
      expect(approveWithReason.ok ? 'approved' : approveWithReason.error.code).toBe(CommonErrorCode.VALIDATION_FAILED);
      expect(await stored(another)).toMatchObject({ status: 'pending', rejection_reason: null });

      await expect(withDatabase(ordering.db.url, (c) => c.query(`UPDATE access_request SET rejection_reason = $2 WHERE id = $1`, [approved, REASON]))).rejects.toThrow(
        /access_request_rejection_reason_check/,
      );
    });

    it.each([
      ['that is empty', ''],
      ['of spaces and line breaks alone', ' \n\t '],
      ['of 1,001 characters', '拒'.repeat(1001)],
      ['holding an escape sequence', `${REASON}\u001b[31m`],
      ['holding a bell', `${REASON}\u0007`],
      ['holding a right-to-left override', `授权期限 \u202e年01`],
      ['holding an isolate', `\u2066${REASON}\u2069`],
      ['that is a number', 451],
      ['that is a list', [REASON]],
    ])('refuses a reason %s with VALIDATION_FAILED naming it, and the request stays pending', async (_, reason) => {
      const offer = vetted();
      const vendor = vendorOf(offer);
      const buyer = newBuyer();
      const asked = data(await ask(buyer, offer.id));

      const reply = await reject(vendor, asked.id, { reason });
      expect(reply.ok ? reply.data : reply.error).toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, errors: [{ field: 'reason' }] });
      expect(await stored(asked.id)).toEqual({ status: 'pending', rejection_reason: null, decided_at: null });
      expect(await listOf(buyer)).toEqual([asked]);
    });

    it('takes reasons over several lines and 1,000 characters long', async () => {
      const offer = vetted();
      const vendor = vendorOf(offer);
      const lines = '申请用途超出授权范围：\n1. 人脸识别商用\n2.\t向第三方转售';
      const long = '本数据集仅限语音识别研究使用。'.repeat(67).slice(0, 1000);
      for (const reason of [lines, long]) {
        const asked = data(await ask(newBuyer(), offer.id));
        expect(data(await reject(vendor, asked.id, { reason }))).toMatchObject({ status: 'rejected', rejectionReason: reason });
      }
    });

    it('stays the first one when the vendor rejects again: the same reason or none answers it as it is, another reason or an approval is 409 INVALID_STATE', async () => {
      const offer = vetted();
      const vendor = vendorOf(offer);
      const buyer = newBuyer();
      const asked = data(await ask(buyer, offer.id));
      const first = data(await reject(vendor, asked.id, { reason: REASON }));

      const replaced = await reject(vendor, asked.id, { reason: '数据集已下架 / dataset withdrawn' });
      expect(replaced.ok ? 'rejected again' : replaced.error.code).toBe(CommonErrorCode.INVALID_STATE);
      expect(data(await reject(vendor, asked.id, { reason: REASON }))).toEqual(first);
      expect(data(await reject(vendor, asked.id))).toEqual(first);
      const approval = await send(OrderingSubjects.approveAccessRequest, vendor, { id: asked.id });
      expect(approval.ok ? 'approved' : approval.error.code).toBe(CommonErrorCode.INVALID_STATE);
      expect(await listOf(buyer)).toEqual([first]);

      // Another vendor cannot reject it, nor learn that it exists.
      const stranger = await reject({ ...vendor, organizationId: randomUUID() }, asked.id, { reason: '不予授权' });
      expect(stranger.ok ? 'rejected' : stranger.error.code).toBe(CommonErrorCode.NOT_FOUND);

      // The buyer may ask again: the new request has no reason, the rejected one keeps its own.
      const again = data(await ask(buyer, offer.id));
      expect(again).toMatchObject({ status: 'pending', rejectionReason: null });
      expect(await listOf(buyer)).toEqual([again, first]);
    });
  });
});
