import { CatalogErrorCode, CatalogSubjects, CommonErrorCode, OrderingErrorCode, OrderingEvents, OrderingSubjects, type OrderView, type PaymentDeclinedV1, type RpcSubject } from '@trove/contracts';
import type { PricingValue } from '@trove/licensing';
import { Namespace, type EventEnvelope, type RpcReply } from '@trove/messaging';
import { ServiceException, type Caller } from '@trove/platform';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { OrdersService } from '../src/orders/orders.service';
import { PurchaseSaga } from '../src/saga/purchase-saga';
import { SagaSweep } from '../src/saga/saga-sweep';
import { connectNats } from '../../../test/support/nats';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { OfferShelf, sendAsGateway, startOrdering, type OrderingUnderTest } from './ordering-harness';

jest.setTimeout(120_000);

const shelf = new OfferShelf();
const exclusive = (amount = 50_000_000) => shelf.list({ model: 'one_time', price: { amount, currency: 'CNY' } }, { template: 'commercial_exclusive', exclusive: true });
const listed = (pricing: PricingValue) => shelf.list(pricing);

/**
 * The catalog's exclusive sales as `catalog.exclusive.reserve` and `.release` keep them: one sale
 * per order id, refused for another offer of the same order (409 CONFLICT) or for an offer
 * another order holds live (409 EXCLUSIVITY_CONFLICT), asked again by its order it is sold anew,
 * and released by order id (asked, or on taking `order.exclusive-ended`).
 */
class Catalog {
  readonly sales = new Map<string, { offerId: string; status: 'live' | 'released' }>();
  private readonly gates = new Map<string, Promise<void>>();
  private unreachable = 0;

  /** Whether `catalog.offer.get` marks an offer sold out while another order holds it live, as the catalog does. */
  marksSoldOut = false;

  send = async <Req, Res>(rpc: RpcSubject<Req, Res>, request: Req): Promise<Res> => {
    if (rpc.subject === CatalogSubjects.getOffer.subject) {
      const { offerId, orderId } = request as { offerId: string; orderId?: string };
      const offer = shelf.get(offerId);
      // The sale of the order asking is its own (GetOfferRequest.orderId), not a collision.
      const sold = this.marksSoldOut && this.liveOrders(offerId).some((id) => id !== orderId);
      return (offer && sold ? { ...offer, exclusiveSoldOut: { until: null } } : offer) as Res;
    }
    if (rpc.subject === CatalogSubjects.reserveExclusive.subject) {
      const { offerId, orderId } = request as { offerId: string; orderId: string };
      const own = this.sales.get(orderId);
      if (own && own.offerId !== offerId) throw new ServiceException(CommonErrorCode.CONFLICT, `Order ${orderId} already holds an exclusive sale of another offer.`);
      if (this.liveOrders(offerId).some((id) => id !== orderId)) throw new ServiceException(CatalogErrorCode.EXCLUSIVITY_CONFLICT, `Offer ${offerId} is sold.`);
      this.sales.set(orderId, { offerId, status: 'live' });
      const gate = this.gates.get(offerId);
      this.gates.delete(offerId);
      await gate;
      return { orderId, offerId, status: 'live' } as Res;
    }
    if (rpc.subject === CatalogSubjects.releaseExclusive.subject) {
      if (this.unreachable > 0) {
        this.unreachable -= 1;
        throw new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, 'catalog did not answer');
      }
      return this.release((request as { orderId: string }).orderId) as Res;
    }
    throw new Error(`unexpected ${rpc.subject}`);
  };

  /** The order's sale stops blocking others, as the catalog's release does it (idempotently). */
  release(orderId: string): { offerId: string; status: 'live' | 'released' } | null {
    const sale = this.sales.get(orderId);
    if (sale) sale.status = 'released';
    return sale ?? null;
  }

  /** The orders holding a live sale of the offer. */
  liveOrders(offerId: string): string[] {
    return [...this.sales].filter(([, sale]) => sale.offerId === offerId && sale.status === 'live').map(([orderId]) => orderId);
  }

  /** The next reservation of the offer is recorded, but answered only once `open` is called. */
  delayNextReservation(offerId: string): { open: () => void } {
    let open!: () => void;
    this.gates.set(offerId, new Promise<void>((resolve) => (open = resolve)));
    return { open };
  }

  /** The next `count` releases do not reach the catalog. */
  failReleases(count: number): void {
    this.unreachable = count;
  }
}

/**
 * Ordering on its own database with the catalog's exclusive sales answered in-process; orders
 * are placed over NATS as the gateway places them (caller, Idempotency-Key, deadline), so the
 * command's idempotency record decides replays and reused keys. A placement that reserved an
 * exclusive sale and then failed, or died, must not leave the sale live without an order.
 */
describe('exclusive sales of orders that were never written', () => {
  const catalog = new Catalog();
  let ordering: OrderingUnderTest;
  let nc: NatsConnection;
  let namespace: Namespace;

  beforeAll(async () => {
    ordering = await startOrdering('exclusive', catalog);
    namespace = ordering.app.get(Namespace);
    nc = await connectNats();
  });

  afterAll(async () => {
    await nc?.close();
    await ordering?.stop();
  });

  const newBuyer = (): Caller => ({ organizationId: randomUUID(), role: 'buyer', keyId: 'k'.repeat(32) });
  const order = (...offerIds: string[]) => ({ items: offerIds.map((offerId) => ({ offerId })), acceptLicense: true as const });

  /** `POST /v1/orders` as the gateway forwards it. */
  const place = (buyer: Caller, body: unknown, key?: string): Promise<RpcReply<OrderView>> => sendAsGateway(nc, namespace, OrderingSubjects.placeOrder, buyer, body, { key, ms: 60_000 });

  const refusal = (reply: RpcReply<unknown>) => (reply.ok ? 'placed' : reply.error.code);
  const query = (text: string, values: unknown[] = []) => withDatabase(ordering.db.url, async (c) => (await c.query(text, values)).rows);
  const holds = async () => (await query(`SELECT order_id FROM exclusive_hold`)).map((row) => row.order_id as string);
  const orderExists = async (orderId: string) => (await query(`SELECT 1 FROM purchase_order WHERE id = $1`, [orderId])).length > 0;
  const sweep = (now?: Date) => ordering.app.get(SagaSweep).releaseAbandoned(now);
  const later = () => new Date(Date.now() + 10 * 60_000);

  it('an order of two exclusive offers is refused before it reserves either, so it never keeps them from another buyer', async () => {
    const [first, second] = [exclusive(), exclusive()];
    const attacker = newBuyer();
    // A script sending such an order again and again: each used to reserve the first offer
    // until the catalog refused the second, so another buyer was told it was sold meanwhile.
    const refused = await Promise.all(Array.from({ length: 5 }, () => place(attacker, order(first.id, second.id))));

    expect(refused.map(refusal)).toEqual(Array(5).fill(CommonErrorCode.CONFLICT));
    expect(refused[0].ok ? '' : refused[0].error.message).toMatch(/one exclusive sale/);
    expect([...catalog.sales.values()].filter((sale) => sale.offerId === first.id || sale.offerId === second.id)).toEqual([]);
    expect(await holds()).toEqual([]);
    expect(await query(`SELECT id FROM purchase_order WHERE buyer_organization_id = $1`, [attacker.organizationId])).toEqual([]);

    const [one, two] = [await place(newBuyer(), order(first.id)), await place(newBuyer(), order(second.id))];
    expect([refusal(one), refusal(two)]).toEqual(['placed', 'placed']);
    expect(catalog.liveOrders(first.id)).toEqual([(one as { data: OrderView }).data.id]);
    expect(catalog.liveOrders(second.id)).toEqual([(two as { data: OrderView }).data.id]);
  });

  it('an order whose total passes 2^53 - 1 minor units is refused before anything is reserved', async () => {
    const dear = exclusive(9_007_199_254_000_000);
    const once = listed({ model: 'one_time', price: { amount: 740_992, currency: 'CNY' } });
    const refused = await place(newBuyer(), order(dear.id, once.id));

    expect(refusal(refused)).toBe(CommonErrorCode.VALIDATION_FAILED);
    expect(catalog.liveOrders(dear.id)).toEqual([]);
    expect(await holds()).toEqual([]);
  });

  it('the request that loses its Idempotency-Key to another gives back what it reserved; the winner keeps its sale', async () => {
    const buyer = newBuyer();
    const key = `po-${randomUUID()}`;
    const [won, lost] = [exclusive(), exclusive()];
    // The loser reserves first, and is answered by the catalog only after the winner committed.
    const gate = catalog.delayNextReservation(lost.id);
    const loser = place(buyer, order(lost.id), key);
    await waitFor('the loser to reserve its sale', async () => catalog.liveOrders(lost.id).length === 1);
    const winner = await place(buyer, order(won.id), key);
    expect(refusal(winner)).toBe('placed');
    gate.open();

    expect(refusal(await loser)).toBe(CommonErrorCode.IDEMPOTENCY_KEY_REUSED);
    expect(catalog.liveOrders(lost.id)).toEqual([]);
    expect(catalog.liveOrders(won.id)).toEqual([(winner as { data: OrderView }).data.id]);
    expect(await holds()).toEqual([]);
  });

  it('a duplicate of the request that finds the order already written answers it and keeps its sale', async () => {
    const buyer = newBuyer();
    const key = `po-${randomUUID()}`;
    const sole = exclusive();
    const gate = catalog.delayNextReservation(sole.id);
    const late = place(buyer, order(sole.id), key);
    await waitFor('the duplicate to reserve', async () => catalog.liveOrders(sole.id).length === 1);
    const first = await place(buyer, order(sole.id), key);
    expect(refusal(first)).toBe('placed');
    gate.open();

    expect(await late).toEqual(first);
    const orderId = (first as { data: OrderView }).data.id;
    expect(catalog.liveOrders(sole.id)).toEqual([orderId]);
    expect(await holds()).toEqual([]);
    // The sweep finds nothing of it, however late.
    expect(await sweep(later())).toBe(0);
    expect(catalog.liveOrders(sole.id)).toEqual([orderId]);
  });

  it('a key used again with the same body after its record was pruned answers the order it made, as it is now: no error, no second order, no sale sold anew', async () => {
    const buyer = newBuyer();
    const key = `po-${randomUUID()}`;
    const sole = exclusive();
    const first = await place(buyer, order(sole.id), key);
    expect(refusal(first)).toBe('placed');
    const orderId = (first as { data: OrderView }).data.id;
    // Since then the order was cancelled and its sale released, and the key's record pruned
    // (a day after the stream's retention) while the order stays.
    await query(`UPDATE purchase_order SET status = 'cancelled', cancellation_reason = 'INSUFFICIENT_FUNDS', closed_at = now() WHERE id = $1`, [orderId]);
    catalog.sales.get(orderId)!.status = 'released';
    await query(`DELETE FROM processed_command WHERE idempotency_key = $1`, [key]);

    const again = await place(buyer, order(sole.id), key);
    expect(again).toMatchObject({ ok: true, data: { id: orderId, status: 'cancelled' } });
    expect(await query(`SELECT id FROM purchase_order WHERE buyer_organization_id = $1`, [buyer.organizationId])).toEqual([{ id: orderId }]);
    expect(catalog.liveOrders(sole.id)).toEqual([]);
    expect(await holds()).toEqual([]);
    // That answer is the key's record now: a third try gets it from there.
    expect(await place(buyer, order(sole.id), key)).toEqual(again);
    // A different body under the key is still refused.
    expect(refusal(await place(buyer, order(exclusive().id), key))).toBe(CommonErrorCode.IDEMPOTENCY_KEY_REUSED);
  });

  it('a placement that dies between reserving and writing its order leaves a hold the sweep gives back; a recent hold and a placed order are left alone', async () => {
    const [lost, kept] = [exclusive(), exclusive()];
    // The placement never hears back from the catalog: as far as the sale is concerned, its
    // process is gone.
    const gate = catalog.delayNextReservation(lost.id);
    const dying = ordering.app
      .get(OrdersService)
      .place(newBuyer(), order(lost.id), ordering.commit)
      .then(
        () => 'placed',
        (error: ServiceException) => error.code,
      );
    await waitFor('the sale to be reserved', async () => catalog.liveOrders(lost.id).length === 1);
    const [orderId] = catalog.liveOrders(lost.id);
    const placed = await place(newBuyer(), order(kept.id));
    expect(refusal(placed)).toBe('placed');

    expect(await sweep()).toBe(0);
    expect(catalog.liveOrders(lost.id)).toEqual([orderId]);
    expect(await holds()).toEqual([orderId]);

    expect(await sweep(later())).toBe(1);
    expect(catalog.liveOrders(lost.id)).toEqual([]);
    expect(catalog.liveOrders(kept.id)).toEqual([(placed as { data: OrderView }).data.id]);
    expect(await holds()).toEqual([]);

    // Should the placement wake up after all, it cannot write an order whose sale was released.
    gate.open();
    expect(await dying).toBe(CommonErrorCode.CONFLICT);
    expect(await orderExists(orderId)).toBe(false);
    expect(catalog.liveOrders(lost.id)).toEqual([]);
  });

  it('a hold the refused placement could not give back (the catalog did not answer) is given back by the sweep', async () => {
    const buyer = newBuyer();
    const key = `po-${randomUUID()}`;
    const [lost, won] = [exclusive(), exclusive()];
    // The placement loses its Idempotency-Key to another request after reserving, and its
    // release does not reach the catalog.
    const gate = catalog.delayNextReservation(lost.id);
    const loser = place(buyer, order(lost.id), key);
    await waitFor('the loser to reserve its sale', async () => catalog.liveOrders(lost.id).length === 1);
    const [orderId] = catalog.liveOrders(lost.id);
    expect(refusal(await place(buyer, order(won.id), key))).toBe('placed');
    catalog.failReleases(1);
    gate.open();

    expect(refusal(await loser)).toBe(CommonErrorCode.IDEMPOTENCY_KEY_REUSED);
    expect(catalog.liveOrders(lost.id)).toEqual([orderId]);
    expect(await holds()).toEqual([orderId]);
    expect(await sweep(later())).toBe(1);
    expect(catalog.liveOrders(lost.id)).toEqual([]);
    expect(await holds()).toEqual([]);
  });

  it('a buyer whose exclusive order billing declined cannot hold that offer again until the cool-down has passed', async () => {
    const [sought, other] = [exclusive(), exclusive()];
    const attacker = newBuyer();
    const saga = ordering.app.get(PurchaseSaga);
    const decline = (orderId: string) =>
      ordering.unitOfWork.run((tx) => saga.declined({ orderId, reason: 'INSUFFICIENT_FUNDS' } as PaymentDeclinedV1, { tx, event: { id: randomUUID() } as EventEnvelope<PaymentDeclinedV1>, deliveryCount: 1 }));

    // An empty wallet: the order holds the offer until billing declines it.
    const first = await place(attacker, order(sought.id));
    const firstId = (first as { data: OrderView }).data.id;
    expect(catalog.liveOrders(sought.id)).toEqual([firstId]);
    await decline(firstId);
    // The decline tells the catalog in an event of the order, which the catalog takes when it can.
    expect(await ordering.events(firstId)).toContainEqual({ subject: OrderingEvents.orderExclusiveEnded.subject, payload: { orderId: firstId, reason: 'cancelled' } });
    // Asked again before the catalog has taken that release, which still marks the offer sold
    // (to the declined order): the answer is the cool-down, not an exclusive sale until 2028.
    catalog.marksSoldOut = true;
    try {
      expect(refusal(await place(attacker, order(sought.id)))).toBe(OrderingErrorCode.EXCLUSIVE_ORDER_DECLINED_RECENTLY);
    } finally {
      catalog.marksSoldOut = false;
    }
    catalog.release(firstId);
    expect(catalog.liveOrders(sought.id)).toEqual([]);

    // Asked again at once (a script looping on it): refused before anything is held or reserved.
    const again = await Promise.all([place(attacker, order(sought.id)), place(attacker, order(sought.id))]);
    expect(again.map(refusal)).toEqual([OrderingErrorCode.EXCLUSIVE_ORDER_DECLINED_RECENTLY, OrderingErrorCode.EXCLUSIVE_ORDER_DECLINED_RECENTLY]);
    expect(again[0].ok ? '' : again[0].error.message).toMatch(/declined for want of funds .*order it again after \d{4}-/);
    expect(catalog.liveOrders(sought.id)).toEqual([]);
    expect(await holds()).toEqual([]);
    expect(await query(`SELECT count(*)::int AS n FROM purchase_order WHERE buyer_organization_id = $1`, [attacker.organizationId])).toEqual([{ n: 1 }]);

    // Other exclusive offers stay open to the same buyer, and this one to every other buyer.
    expect(refusal(await place(attacker, order(other.id)))).toBe('placed');
    const rival = await place(newBuyer(), order(sought.id));
    expect(refusal(rival)).toBe('placed');
    expect(catalog.liveOrders(sought.id)).toEqual([(rival as { data: OrderView }).data.id]);

    // Once the cool-down (120 s by default) has passed, the buyer may order it again (here it is sold: the catalog says so).
    await query(`UPDATE purchase_order SET closed_at = closed_at - interval '121 seconds' WHERE id = $1`, [firstId]);
    expect(refusal(await place(attacker, order(sought.id)))).toBe(CatalogErrorCode.EXCLUSIVITY_CONFLICT);
  });
  describe('an exclusive sale reserved after the catalog answered a placement of another offer of its dataset', () => {
    // The catalog here never marks an offer sold out: each placement below begins with an answer
    // that predates the exclusive sale, as one does when the sale is reserved a moment later.
    const dataset = () => randomUUID();
    const once = { model: 'one_time', price: { amount: 1_280_000, currency: 'CNY' } } as const;

    it('refuses that placement for another buyer in the sale\'s territory, and lets the holder and other territories buy', async () => {
      const datasetId = dataset();
      const sold = shelf.list({ model: 'one_time', price: { amount: 50_000_000, currency: 'CNY' } }, { template: 'commercial_exclusive', exclusive: true, datasetId });
      const research = shelf.list(once, { template: 'research', datasetId });
      const overseas = shelf.list(once, { datasetId, territories: ['US', 'EU'] });
      const [holder, rival] = [newBuyer(), newBuyer()];

      expect(refusal(await place(holder, order(sold.id)))).toBe('placed');
      const refused = await place(rival, order(research.id));

      expect(refusal(refused)).toBe(CatalogErrorCode.EXCLUSIVITY_CONFLICT);
      expect(refused.ok ? '' : refused.error.message).toMatch(new RegExp(`Offer ${research.id} cannot be bought now: an exclusive license for this offer's territory \\(CN\\) was sold to another buyer`));
      expect(await query(`SELECT id FROM purchase_order WHERE buyer_organization_id = $1`, [rival.organizationId])).toEqual([]);
      expect(refusal(await place(holder, order(research.id)))).toBe('placed');
      expect(refusal(await place(rival, order(overseas.id)))).toBe('placed');
    });

    it('refuses it while the exclusive placement is still reserving, and allows it once that order is cancelled', async () => {
      const datasetId = dataset();
      const sold = shelf.list({ model: 'one_time', price: { amount: 50_000_000, currency: 'CNY' } }, { template: 'commercial_exclusive', exclusive: true, datasetId });
      const evaluation = shelf.list({ model: 'one_time', price: { amount: 99_000, currency: 'CNY' } }, { template: 'evaluation', datasetId });
      const [holder, rival] = [newBuyer(), newBuyer()];
      const gate = catalog.delayNextReservation(sold.id);

      const reserving = place(holder, order(sold.id));
      await waitFor('the exclusive placement\'s hold', async () => (await holds()).length > 0, 10_000);
      const whileHeld = await place(rival, order(evaluation.id));
      gate.open();
      const placed = await reserving;

      expect(refusal(whileHeld)).toBe(CatalogErrorCode.EXCLUSIVITY_CONFLICT);
      // Not yet sold: the refusal says it is being reserved, and that the offer may come back.
      expect(whileHeld.ok ? '' : whileHeld.error.message).toMatch(/an exclusive license for this offer's territory \(CN\) is being reserved for another buyer at this moment\. If that sale is refused, the offer is on sale again/);
      expect(refusal(placed)).toBe('placed');
      expect(await holds()).toEqual([]);

      const saga = ordering.app.get(PurchaseSaga);
      const orderId = (placed as { data: OrderView }).data.id;
      await ordering.unitOfWork.run((tx) =>
        saga.declined({ orderId, reason: 'INSUFFICIENT_FUNDS' } as PaymentDeclinedV1, { tx, event: { id: randomUUID() } as EventEnvelope<PaymentDeclinedV1>, deliveryCount: 1 }),
      );
      expect(refusal(await place(rival, order(evaluation.id)))).toBe('placed');
    });
    it('refuses an order of an exclusive offer with one the buyer licenses already before reserving anything, so repeating it keeps the offer from no one', async () => {
      const datasetId = dataset();
      const sold = shelf.list({ model: 'one_time', price: { amount: 50_000_000, currency: 'CNY' } }, { template: 'commercial_exclusive', exclusive: true, datasetId, territories: ['VN'] });
      const perpetual = shelf.list({ model: 'one_time', price: { amount: 1, currency: 'CNY' } });
      const [squatter, buyer] = [newBuyer(), newBuyer()];
      expect(refusal(await place(squatter, order(perpetual.id)))).toBe('placed');

      const refused = await Promise.all(Array.from({ length: 5 }, () => place(squatter, order(sold.id, perpetual.id))));

      expect(refused.map(refusal)).toEqual(Array(5).fill(OrderingErrorCode.ALREADY_LICENSED));
      expect(catalog.liveOrders(sold.id)).toEqual([]);
      expect([...catalog.sales.values()].filter((sale) => sale.offerId === sold.id)).toEqual([]);
      expect(await holds()).toEqual([]);
      expect(refusal(await place(buyer, order(sold.id)))).toBe('placed');
    });

    it('answers every retry of an order of an exclusive offer and another offer of its dataset, sent at once, with the one order', async () => {
      const datasetId = dataset();
      const sold = shelf.list({ model: 'one_time', price: { amount: 50_000_000, currency: 'CNY' } }, { template: 'commercial_exclusive', exclusive: true, datasetId });
      const research = shelf.list(once, { template: 'research', datasetId });
      const buyer = newBuyer();
      const key = `po-${randomUUID()}`;

      const replies: RpcReply<OrderView>[] = [];
      await Promise.all(
        Array.from({ length: 16 }, async (_, n) => {
          await new Promise((resolve) => setTimeout(resolve, n * 4));
          replies.push(await place(buyer, order(sold.id, research.id), key));
        }),
      );

      const codes = replies.map((reply) => (reply.ok ? 'placed' : reply.error.code));
      expect(codes.filter((code) => code !== 'placed' && code !== CommonErrorCode.CONFLICT)).toEqual([]);
      const ids = new Set(replies.flatMap((reply) => (reply.ok ? [reply.data.id] : [])));
      expect(ids.size).toBe(1);
      expect(catalog.liveOrders(sold.id)).toEqual([...ids]);
      expect(await holds()).toEqual([]);
    });
    it('answers a duplicate that reads the offer after the first attempt reserved it with that order, not with the offer sold', async () => {
      const sold = exclusive();
      const buyer = newBuyer();
      const key = `po-${randomUUID()}`;
      catalog.marksSoldOut = true;
      try {
        // The first attempt reserves the sale and is held there, before its order is written.
        const gate = catalog.delayNextReservation(sold.id);
        const first = place(buyer, order(sold.id), key);
        await waitFor('the first attempt to reserve', async () => catalog.liveOrders(sold.id).length === 1);
        const duplicate = await place(buyer, order(sold.id), key);
        gate.open();
        const answered = await first;

        expect([refusal(duplicate), refusal(answered)]).toEqual(['placed', 'placed']);
        const orderId = (duplicate as { data: OrderView }).data.id;
        expect((answered as { data: OrderView }).data.id).toBe(orderId);
        expect(catalog.liveOrders(sold.id)).toEqual([orderId]);
        expect(await holds()).toEqual([]);
        // Anyone else's order, the buyer's own under another key too, finds it sold.
        expect(refusal(await place(newBuyer(), order(sold.id)))).toBe(CatalogErrorCode.EXCLUSIVITY_CONFLICT);
        expect(refusal(await place(buyer, order(sold.id)))).toBe(CatalogErrorCode.EXCLUSIVITY_CONFLICT);
      } finally {
        catalog.marksSoldOut = false;
      }
    });
  });
});
