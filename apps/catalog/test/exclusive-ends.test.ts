import { OrderingEvents, type OrderExclusiveEndedV1 } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { defaultTerms } from '@trove/licensing';
import { encodeJson, Namespace, UnitOfWork, type EventEnvelope } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { DatasetsService } from '../src/datasets/datasets.service';
import { OffersService } from '../src/offers/offers.service';
import { VersionsService } from '../src/versions/versions.service';
import { connectNats } from '../../../test/support/nats';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { startCatalogModule, type CatalogModule } from './catalog-module';

jest.setTimeout(120_000);

const owner: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() };
const ENDED = OrderingEvents.orderExclusiveEnded.subject;

/**
 * The catalog takes ordering's `order.exclusive-ended` from the event stream (consumer
 * `order-exclusive-ends`) and releases the order's exclusive sale: the saga's cancellations,
 * refunds and lapses no longer ask the catalog while it may be down. Events are published as
 * ordering's relay publishes them, numbered in the order's history.
 */
describe("the catalog releases an order's exclusive sale when ordering says it ended", () => {
  let catalog: CatalogModule;
  let moduleRef: TestingModule;
  let nc: NatsConnection;

  const offers = () => moduleRef.get(OffersService);
  const query = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => withDatabase(catalog.db.url, async (c) => (await c.query(text, values)).rows as T[]);
  const saleOf = async (orderId: string) => (await query<{ status: string }>(`SELECT status FROM exclusive_sale WHERE order_id = $1`, [orderId]))[0]?.status;

  /** Ordering's event: the order's `seq`-th, after `previous` (its earlier events, by subject). */
  const publish = async (payload: OrderExclusiveEndedV1, seq: number, previous: Record<string, number>, id = randomUUID()) => {
    const envelope: EventEnvelope = {
      id,
      subject: ENDED,
      occurredAt: new Date().toISOString(),
      producer: 'ordering',
      payload,
      aggregate: { type: 'ordering.order', id: payload.orderId, seq, previous },
    };
    const h = natsHeaders();
    h.set('Nats-Msg-Id', `${id}.${seq}.${Math.random()}`);
    await nc.jetstream().publish(moduleRef.get(Namespace).subject(ENDED), encodeJson(envelope), { headers: h });
    return id;
  };
  /** placed, paid, refund-requested, refunded: what an order refunded after its payment wrote before. */
  const refundedBefore = { 'evt.ordering.order.placed.v1': 1, 'evt.ordering.order.paid.v1': 2, 'evt.ordering.order.refund-requested.v1': 3, 'evt.ordering.order.refunded.v1': 4 };

  let offerId: string;

  beforeAll(async () => {
    catalog = await startCatalogModule('exclusive_ends');
    moduleRef = catalog.moduleRef;
    nc = await connectNats();
    const datasets = moduleRef.get(DatasetsService);
    const versions = moduleRef.get(VersionsService);
    const id = (await datasets.create(owner, { ...exampleMetadata('speech'), title: '普通话车载语音 独家授权 500 小时', description: '车内麦克风阵列采集的普通话语音指令与转写' } as never)).id;
    const version = await versions.create(owner, id, '1.0.0', undefined);
    await versions.addFile(undefined, { datasetId: id, versionId: version.id, path: 'data/part-0001.jsonl', size: 2048, sha256: 'c'.repeat(64), storageKey: `datasets/${id}/1.0.0/part-0001.jsonl` });
    await versions.release(owner, id, version.id);
    offerId = (
      await offers().create(owner, {
        datasetId: id,
        license: { template: 'commercial', terms: { ...defaultTerms('commercial'), exclusive: true, territories: ['CN'], termMonths: 24 } },
        pricing: { model: 'one_time', price: { amount: 4_800_000, currency: 'CNY' } },
      } as never)
    ).id;
    await datasets.submit(owner, id, 'active');
    await datasets.approve(id);
  });

  afterAll(async () => {
    await nc?.close();
    await catalog?.stop();
  });

  it('answers a retry of the order that reserved the sale with the offer on sale, and everyone else with it sold', async () => {
    const buyer: Caller = { organizationId: randomUUID(), role: 'buyer', keyId: randomUUID() };
    const orderId = randomUUID();
    const soldOut = async (caller: Caller, order?: string) => (await moduleRef.get(UnitOfWork).read(() => offers().snapshot(caller, offerId, order))).exclusiveSoldOut;
    await offers().reserveExclusive({ offerId, buyerOrgId: buyer.organizationId, orderId });

    // The placement's retry asks with its order: its own sale is no collision (reserving again answers that sale).
    expect(await soldOut(buyer, orderId)).toBeUndefined();
    expect(await offers().reserveExclusive({ offerId, buyerOrgId: buyer.organizationId, orderId })).toMatchObject({ status: 'live', orderId });
    // Another order of the same buyer, or any other buyer, finds it sold.
    expect(await soldOut(buyer, randomUUID())).toEqual({ until: expect.any(String) });
    expect(await soldOut(buyer)).toEqual({ until: expect.any(String) });
    expect(await soldOut({ ...buyer, organizationId: randomUUID() })).toEqual({ until: expect.any(String) });
    // The order's id names the buyer's sale only: another buyer asking with it finds the offer sold and cannot reserve it.
    const intruder: Caller = { ...buyer, organizationId: randomUUID() };
    expect(await soldOut(intruder, orderId)).toEqual({ until: expect.any(String) });
    await expect(offers().reserveExclusive({ offerId, buyerOrgId: intruder.organizationId, orderId })).rejects.toMatchObject({ code: 'CONFLICT' });

    await offers().releaseExclusive(orderId);
    expect(await saleOf(orderId)).toBe('released');
  });

  it("refuses a second sale at checkout in words for the buyer: the offer cannot be bought now, naming the territory sold and until when", async () => {
    const orderId = randomUUID();
    const sale = await offers().reserveExclusive({ offerId, buyerOrgId: randomUUID(), orderId });
    const refused = offers().reserveExclusive({ offerId, buyerOrgId: randomUUID(), orderId: randomUUID() });
    await expect(refused).rejects.toMatchObject({ code: 'EXCLUSIVITY_CONFLICT', status: 409 });
    await expect(refused).rejects.toThrow(
      `Offer ${offerId} cannot be bought now: an exclusive license of its dataset for CN is sold, until ${sale.endsAt}, and an exclusive license for this offer's territory (CN) would overlap it.`,
    );
    await offers().releaseExclusive(orderId);
  });

  it('releases the sale of a refunded order once, ignores a repeat and an order without a sale, and the territory sells again', async () => {
    const refunded = randomUUID();
    await offers().reserveExclusive({ offerId, buyerOrgId: randomUUID(), orderId: refunded });
    expect(await saleOf(refunded)).toBe('live');

    const eventId = await publish({ orderId: refunded, reason: 'refunded' }, 5, refundedBefore);
    await waitFor('the sale to be released', async () => (await saleOf(refunded)) === 'released');
    const [{ released_at: releasedAt }] = await query<{ released_at: Date }>(`SELECT released_at FROM exclusive_sale WHERE order_id = $1`, [refunded]);

    // The same event again (a relay that died before marking it) and an order that holds no
    // sale (its placement was refused): nothing changes, nothing is a dead letter.
    await publish({ orderId: refunded, reason: 'refunded' }, 5, refundedBefore, eventId);
    const unsold = randomUUID();
    await publish({ orderId: unsold, reason: 'cancelled' }, 2, { 'evt.ordering.order.placed.v1': 1 });
    await waitFor('both to be taken', async () => (await query(`SELECT 1 FROM event_position WHERE aggregate_id = $1`, [unsold])).length === 1);
    expect(await query(`SELECT released_at FROM exclusive_sale WHERE order_id = $1`, [refunded])).toEqual([{ released_at: releasedAt }]);
    expect(await saleOf(unsold)).toBeUndefined();
    expect(await query(`SELECT subject FROM dead_letter`)).toEqual([]);

    // Another buyer's order takes the territory.
    const next = randomUUID();
    expect(await offers().reserveExclusive({ offerId, buyerOrgId: randomUUID(), orderId: next })).toMatchObject({ status: 'live' });
    await offers().releaseExclusive(next);
  });

  it("releases a lapsed subscription's sale, and the same order's later refund changes nothing more", async () => {
    const lapsed = randomUUID();
    await offers().reserveExclusive({ offerId, buyerOrgId: randomUUID(), orderId: lapsed });

    // placed, paid, then the lapse (3); refunded later: refund-requested (4), refunded (5), ended again (6).
    await publish({ orderId: lapsed, reason: 'lapsed' }, 3, { 'evt.ordering.order.placed.v1': 1, 'evt.ordering.order.paid.v1': 2 });
    await waitFor('the sale to be released', async () => (await saleOf(lapsed)) === 'released');
    await publish({ orderId: lapsed, reason: 'refunded' }, 6, { 'evt.ordering.order.placed.v1': 1, 'evt.ordering.order.paid.v1': 2, [ENDED]: 3, 'evt.ordering.order.refund-requested.v1': 4, 'evt.ordering.order.refunded.v1': 5 });
    await waitFor('the refund to be taken', async () => Number((await query<{ seq: string }>(`SELECT last_seq AS seq FROM event_position WHERE aggregate_id = $1`, [lapsed]))[0]?.seq) === 6);
    expect(await saleOf(lapsed)).toBe('released');
    expect(await query(`SELECT subject FROM dead_letter`)).toEqual([]);
  });
});
