import { DeliverySubjects, OrderingEvents, type EntitlementList, type EntitlementStatus, type OrderPaidV1 } from '@trove/contracts';
import type { Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { DeliveryHarness } from './delivery-harness';
import { ask, newBuyer, paidLine, publish } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

const MONTH = 30 * 86_400_000;

/**
 * `delivery.entitlement.list` pages like every list of the public API: `limit` (20 by default,
 * at most 100) and `cursor`, answering `{items, nextCursor}`, newest first, with a keyset cursor
 * over the database, so a buyer with many entitlements walks them page by page and sees each
 * exactly once, with `status` narrowing the pages in the database, the ended license terms included.
 */
describe('listing a buyer’s entitlements page by page', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const datasetId = randomUUID();
  const versionId = randomUUID();
  const buyer = newBuyer();
  const otherBuyer = newBuyer();
  const revokedOrders: string[] = [];

  const list = (caller: Caller, request: { limit?: number; cursor?: string; status?: EntitlementStatus } = {}): Promise<EntitlementList> =>
    ask(h, DeliverySubjects.listEntitlements, request, caller);

  /** Every id of the caller's list, walked at `limit` a page, and the size of each page. */
  async function walk(caller: Caller, limit?: number, status?: EntitlementStatus): Promise<{ ids: string[]; sizes: number[] }> {
    const ids: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(caller, { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}), ...(status ? { status } : {}) });
      expect(Object.keys(page).sort()).toEqual(['items', 'nextCursor']);
      ids.push(...page.items.map((item) => item.id));
      sizes.push(page.items.length);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { ids, sizes };
  }

  /** The caller's entitlements as the database orders them: newest grant first, then by id. */
  const newestFirst = (organizationId: string) =>
    withDatabase(h.db.url, async (c) =>
      (await c.query(`SELECT id FROM entitlement WHERE buyer_organization_id = $1 ORDER BY granted_at DESC, id DESC`, [organizationId])).rows.map((r: { id: string }) => r.id),
    );

  const granted = (organizationId: string, count: number) =>
    waitFor(`${count} entitlements granted`, async () => (await newestFirst(organizationId)).length === count, 30_000);

  const paid = async (caller: Caller, lines: OrderPaidV1['lines'], paidAt: Date): Promise<string> => {
    const orderId = randomUUID();
    await publish(h, OrderingEvents.orderPaid, { orderId, buyerOrganizationId: caller.organizationId, lines, paidAt: paidAt.toISOString() });
    return orderId;
  };

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    // 45 entitlements of one buyer (an AI lab licensing Mandarin speech corpora month after
    // month): one order of 20 lines, all granted at the same instant, so a page ends inside a run
    // of equal grant times; then 25 orders of one line each. Four of those were licensed for twelve
    // months more than a year ago (their term is over: expired, though their row still says
    // active); three are refunded.
    const now = Date.now();
    await paid(buyer, [...Array(20).keys()].map(() => paidLine(datasetId, [versionId], 'commercial')), new Date(now - 30 * MONTH));
    for (let i = 0; i < 25; i++) {
      const expired = i < 4;
      const line = paidLine(datasetId, [versionId], 'commercial', expired ? { termsChange: { termMonths: 12 } } : {});
      const orderId = await paid(buyer, [line], new Date(now - (expired ? 13 + i : 0) * MONTH - (25 - i) * 1000));
      if (i >= 4 && i < 7) revokedOrders.push(orderId);
    }
    await paid(otherBuyer, [paidLine(datasetId, [versionId], 'commercial')], new Date(now));
    await granted(buyer.organizationId, 45);
    await granted(otherBuyer.organizationId, 1);
    for (const orderId of revokedOrders) await publish(h, OrderingEvents.orderRefunded, { orderId });
    await waitFor(
      'the refunds applied',
      () => withDatabase(h.db.url, async (c) => Number((await c.query(`SELECT count(*) AS n FROM entitlement WHERE status = 'revoked'`)).rows[0].n) === revokedOrders.length),
      30_000,
    );
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  it('walks 45 entitlements in pages of 20, 20 and 5, newest first, each exactly once, and ends with nextCursor null', async () => {
    const expected = await newestFirst(buyer.organizationId);
    const first = await list(buyer);
    expect(first.items).toHaveLength(20);
    expect(first.nextCursor).toEqual(expect.any(String));

    const { ids, sizes } = await walk(buyer);
    expect(sizes).toEqual([20, 20, 5]);
    expect(new Set(ids).size).toBe(45);
    expect(ids).toEqual(expected);

    const all = await list(buyer, { limit: 100 });
    expect({ ids: all.items.map((item) => item.id), nextCursor: all.nextCursor }).toEqual({ ids: expected, nextCursor: null });
    for (const limit of [1, 7, 19, 44, 45]) expect((await walk(buyer, limit)).ids).toEqual(expected);
    // Another buyer's list is its own.
    expect((await walk(otherBuyer)).ids).toEqual(await newestFirst(otherBuyer.organizationId));
  });

  it('narrows the pages with ?status=, an ended license term counted as expired as the items show it', async () => {
    const all = (await list(buyer, { limit: 100 })).items;
    const byStatus = (status: EntitlementStatus) => all.filter((item) => item.status === status).map((item) => item.id);
    expect([byStatus('active').length, byStatus('expired').length, byStatus('revoked').length]).toEqual([38, 4, 3]);
    for (const status of ['active', 'expired', 'revoked'] as const) {
      const first = await list(buyer, { status, limit: 2 });
      expect(first.items.every((item) => item.status === status)).toBe(true);
      expect(first.items).toHaveLength(2);
      expect((await walk(buyer, 2, status)).ids).toEqual(byStatus(status));
      expect((await walk(buyer, undefined, status)).ids).toEqual(byStatus(status));
    }
    expect((await list(buyer, { status: 'active' })).items).toHaveLength(20);
  });

  it('refuses a limit above 100 or below 1 and a cursor it never gave, with VALIDATION_FAILED', async () => {
    for (const request of [{ limit: 101 }, { limit: 0 }, { limit: 2.5 }, { cursor: 'bm90LWEtY3Vyc29y' }, { cursor: 'not a cursor' }]) {
      await expect(list(buyer, request)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('keeps its place while new entitlements are granted between two pages: the rest of the walk is what was left, once each', async () => {
    const before = await newestFirst(buyer.organizationId);
    const first = await list(buyer);
    await paid(buyer, [paidLine(datasetId, [versionId], 'commercial'), paidLine(datasetId, [versionId], 'commercial')], new Date());
    await granted(buyer.organizationId, 47);
    const rest: string[] = [];
    for (let cursor = first.nextCursor; cursor; ) {
      const page = await list(buyer, { cursor });
      rest.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    }
    expect([...first.items.map((item) => item.id), ...rest]).toEqual(before);
    expect((await walk(buyer)).sizes).toEqual([20, 20, 7]);
  });
});
