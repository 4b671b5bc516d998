import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { OrdersService, type Commit } from '../src/orders/orders.service';
import { OfferShelf, startOrdering, type OrderingUnderTest } from './ordering-harness';

jest.setTimeout(120_000);

const shelf = new OfferShelf();

/**
 * A vendor's sales (`GET /v1/sales`), narrowed to one of its listings or to one buyer: the
 * report a vendor reads when a buyer asks what it bought, or before it changes a listing's terms.
 */
describe('ordering sales of a vendor, by listing and by buyer', () => {
  let ordering: OrderingUnderTest;
  let orders: OrdersService;
  let commit: Commit;
  const 海天瑞声: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: 'v'.repeat(32) };
  const buyerOf = (): Caller => ({ organizationId: randomUUID(), role: 'buyer', keyId: 'b'.repeat(32) });
  const 智谱 = buyerOf();
  const 百度 = buyerOf();

  beforeAll(async () => {
    ordering = await startOrdering('sales', shelf.catalog());
    ({ commit } = ordering);
    orders = ordering.app.get(OrdersService);
  });

  afterAll(async () => {
    await ordering?.stop();
  });

  // Free offers are paid as they are placed: each order below is a sale at once.
  const speech = shelf.list({ model: 'free' }, { template: 'cc-by-4.0', title: '普通话朗读语音 / Mandarin read speech', vendorOrganizationId: 海天瑞声.organizationId });
  const dialogue = shelf.list({ model: 'free' }, { template: 'cdla-permissive-2.0', title: '客服对话 / customer-service dialogues', vendorOrganizationId: 海天瑞声.organizationId });
  const rivals = shelf.list({ model: 'free' }, { template: 'cc-by-4.0', title: '粤语语音 / Cantonese speech' });
  /** As the handler runs it: a read. */
  const sales = (request: Parameters<OrdersService['sales']>[1]) => ordering.unitOfWork.read(() => orders.sales(海天瑞声, request));
  const buy = async (buyer: Caller, offerId: string) => {
    const { id } = await orders.place(buyer, { items: [{ offerId }], acceptLicense: true }, commit);
    // Orders are placed to the millisecond: the next one is newer, whatever this machine's speed.
    await new Promise((resolve) => setTimeout(resolve, 2));
    return id;
  };

  it('lists the sales of one listing, or to one buyer, and pages each list with its own cursor only', async () => {
    const older = await buy(智谱, speech.id);
    const newer = await buy(智谱, speech.id);
    /** 智谱's two orders of the speech corpus, newest first, as every list is. */
    const speechTo智谱 = [newer, older];
    const speechTo百度 = await buy(百度, speech.id);
    const dialogueTo智谱 = await buy(智谱, dialogue.id);
    await buy(百度, rivals.id);

    const ids = (page: { items: { orderId: string }[] }) => page.items.map((s) => s.orderId);
    expect(ids(await sales({ limit: 100 }))).toEqual([dialogueTo智谱, speechTo百度, ...speechTo智谱]);
    expect(ids(await sales({ limit: 100, datasetId: speech.datasetId }))).toEqual([speechTo百度, ...speechTo智谱]);
    expect(ids(await sales({ limit: 100, buyerOrganizationId: 智谱.organizationId }))).toEqual([dialogueTo智谱, ...speechTo智谱]);
    expect(ids(await sales({ limit: 100, datasetId: speech.datasetId, buyerOrganizationId: 百度.organizationId }))).toEqual([speechTo百度]);
    // Another vendor's listing, or a buyer that bought nothing of it: nothing, not an error.
    expect(ids(await sales({ limit: 100, datasetId: rivals.datasetId }))).toEqual([]);
    expect(ids(await sales({ limit: 100, buyerOrganizationId: randomUUID() }))).toEqual([]);

    // Page by page, the filtered list comes whole and in order.
    const first = await sales({ limit: 2, datasetId: speech.datasetId });
    expect(ids(first)).toEqual([speechTo百度, newer]);
    const second = await sales({ limit: 2, datasetId: speech.datasetId, cursor: first.nextCursor! });
    expect({ ids: ids(second), next: second.nextCursor }).toEqual({ ids: [older], next: null });
    // That cursor belongs to the speech listing's sales: it pages neither another filter nor the whole list.
    for (const other of [{ datasetId: dialogue.datasetId }, {}, { datasetId: speech.datasetId, buyerOrganizationId: 智谱.organizationId }]) {
      await expect(sales({ limit: 2, cursor: first.nextCursor!, ...other })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});
