import 'reflect-metadata';
import { BillingSubjects, CommonErrorCode, type ListPayoutsRequest, type ListTopUpsRequest, type PayoutView, type TopUpView } from '@trove/contracts';
import { RpcClient } from '@trove/messaging';
import { encodeCursor, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { payoutsCursorScope, topUpsCursorScope } from '../src/wallets/wallets.service';
import { BillingHarness, buyer, line, OPERATOR, order, vendor } from './billing-harness';

jest.setTimeout(120_000);

const START = Date.parse('2026-03-16T01:00:00.000Z');
const minute = (n: number) => new Date(START + n * 60_000);

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

describe('billing: buyers, vendors and operators list top-ups and payouts', () => {
  let billing: BillingHarness;
  let rpc: RpcClient;
  let clockAt = 0;

  beforeAll(async () => {
    billing = await BillingHarness.start();
    rpc = billing.app.get(RpcClient);
  });

  afterAll(async () => {
    await billing?.stop();
  });

  afterEach(async () => {
    expect(await billing.violations()).toEqual([]);
  });

  /** Each filing a minute after the one before, across the whole file: the lists' order is the filing order. */
  const tick = () => billing.clock.set(minute(clockAt++));
  const file = async (caller: Caller, amount: number) => {
    tick();
    return billing.wallets.recordTopUp(caller, { amount: { amount, currency: 'CNY' }, reference: `招商银行 CMB-20260316-${randomUUID().slice(0, 8)}` });
  };
  const topUps = (caller: Caller, request: ListTopUpsRequest = {}) => billing.as(caller, () => rpc.send(BillingSubjects.listTopUps, request));
  const payouts = (caller: Caller, request: ListPayoutsRequest = {}) => billing.as(caller, () => rpc.send(BillingSubjects.listPayouts, request));

  /** Every page of a list, following nextCursor, with the size of each page. */
  async function walk<T>(page: (cursor?: string) => Promise<Page<T>>): Promise<{ items: T[]; sizes: number[] }> {
    const items: T[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const answer = await page(cursor);
      items.push(...answer.items);
      sizes.push(answer.items.length);
      cursor = answer.nextCursor ?? undefined;
    } while (cursor && sizes.length < 50);
    return { items, sizes };
  }
  const ids = (items: { id: string }[]) => items.map((i) => i.id);

  it("shows a buyer its own organization's top-ups alone, newest first, each as GET /v1/wallet/top-ups/:id answers it, page by page", async () => {
    const [国网, 电信] = [buyer(), buyer()];
    const filed: TopUpView[] = [];
    for (let i = 0; i < 7; i++) {
      filed.push(await file(国网, 100_000 + i));
      await file(电信, 500_000 + i);
    }
    await billing.wallets.confirmTopUp(filed[1].id);
    await billing.wallets.rejectTopUp(filed[2].id, '招商银行对账单上没有这笔转账');
    await billing.wallets.cancelTopUp(国网, filed[3].id);

    const { items, sizes } = await walk((cursor) => topUps(国网, { limit: 3, cursor }));

    expect(sizes).toEqual([3, 3, 1]);
    expect(ids(items)).toEqual(ids(filed).reverse());
    for (const item of items) expect(item).toEqual(await billing.wallets.topUp(国网, item.id));
    expect(items.find((t) => t.id === filed[2].id)).toMatchObject({ status: 'rejected', rejectionReason: '招商银行对账单上没有这笔转账' });
    // 电信's seven are never in 国网's list, and the other way round.
    const theirs = ids((await topUps(电信, { limit: 100 })).items);
    expect(theirs).toHaveLength(7);
    expect(theirs.filter((id) => ids(filed).includes(id))).toEqual([]);
  });

  it('narrows a list by status, and gives a buyer naming another organization nothing', async () => {
    const [讯飞, 百度] = [buyer(), buyer()];
    const a = await file(讯飞, 10_000);
    const b = await file(讯飞, 20_000);
    const c = await file(讯飞, 30_000);
    await billing.wallets.confirmTopUp(b.id);
    const 百度s = await file(百度, 40_000);

    expect(ids((await topUps(讯飞, { status: 'pending' })).items)).toEqual([c.id, a.id]);
    expect(ids((await topUps(讯飞, { status: 'confirmed' })).items)).toEqual([b.id]);
    expect((await topUps(讯飞, { status: 'rejected' })).items).toEqual([]);
    // The gateway never sends a buyer's `organization`; billing scopes to the caller all the same.
    expect(await topUps(讯飞, { organization: 百度.organizationId })).toEqual({ items: [], nextCursor: null });
    expect(ids((await topUps(讯飞, { organization: 讯飞.organizationId })).items)).toEqual([c.id, b.id, a.id]);
    expect(ids((await topUps(百度, {})).items)).toEqual([百度s.id]);
  });

  it("gives an operator every organization's top-ups oldest first: ?status=pending is the queue, worked through while it pages", async () => {
    const [商汤, 智谱] = [buyer(), buyer()];
    const filed: TopUpView[] = [];
    for (let i = 0; i < 5; i++) {
      filed.push(await file(商汤, 70_000 + i));
      filed.push(await file(智谱, 80_000 + i));
    }
    const ours = new Set(ids(filed));

    // The whole list, oldest first, holds ours in filing order (earlier tests' top-ups come before).
    const everything = (await walk((cursor) => topUps(OPERATOR, { limit: 4, cursor }))).items.filter((t) => ours.has(t.id));
    expect(ids(everything)).toEqual(ids(filed));

    // One organization's, oldest first.
    expect(ids((await walk((cursor) => topUps(OPERATOR, { organization: 智谱.organizationId, limit: 2, cursor }))).items)).toEqual(ids(filed.filter((_, i) => i % 2 === 1)));

    // The operator's day: page through the pending ones, confirming each page as it comes. A
    // confirmed top-up leaves the pending list behind the cursor, so no page skips one.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await topUps(OPERATOR, { status: 'pending', limit: 3, cursor });
      for (const t of page.items) {
        expect(t.status).toBe('pending');
        seen.push(t.id);
        await billing.wallets.confirmTopUp(t.id);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.filter((id) => ours.has(id))).toEqual(ids(filed));
    expect((await topUps(OPERATOR, { status: 'pending' })).items).toEqual([]);
    expect(ids((await topUps(OPERATOR, { status: 'confirmed', organization: 商汤.organizationId })).items)).toEqual(ids(filed.filter((_, i) => i % 2 === 0)));
  });

  it('pages through top-ups filed at the same moment by their ids, none twice and none left out', async () => {
    const 阿里 = buyer();
    tick();
    const sameMoment: TopUpView[] = [];
    for (let i = 0; i < 5; i++) {
      sameMoment.push(await billing.wallets.recordTopUp(阿里, { amount: { amount: 1_000 + i, currency: 'CNY' }, reference: `工商银行 ICBC-${randomUUID().slice(0, 8)}` }));
    }
    const byId = ids(sameMoment).sort();

    expect(ids((await walk((cursor) => topUps(阿里, { limit: 2, cursor }))).items)).toEqual([...byId].reverse());
    expect(ids((await walk((cursor) => topUps(OPERATOR, { organization: 阿里.organizationId, limit: 2, cursor }))).items)).toEqual(byId);
  });

  it('refuses a forged cursor, an unknown status and an oversized page with VALIDATION_FAILED naming the field, and a vendor the top-ups', async () => {
    const 海天 = buyer();
    const forged = Buffer.from('not a position', 'utf8').toString('base64url');
    await expect(topUps(海天, { cursor: forged })).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, status: 400, errors: [{ field: 'cursor' }] });
    await expect(topUps(海天, { status: 'credited' as never })).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED, status: 400 });
    await expect(topUps(海天, { status: 'credited' as never })).rejects.toThrow('status');
    await expect(payouts(OPERATOR, { status: 'approved' as never })).rejects.toThrow('status');
    await expect(topUps(OPERATOR, { limit: 101 })).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED });
    await expect(topUps(OPERATOR, { organization: 'buyer-1' })).rejects.toMatchObject({ code: CommonErrorCode.VALIDATION_FAILED });
    await expect(topUps(vendor(), {})).rejects.toMatchObject({ code: CommonErrorCode.FORBIDDEN });
    await expect(payouts(海天, {})).rejects.toMatchObject({ code: CommonErrorCode.FORBIDDEN });
  });

  it("shows a vendor its own payouts newest first and an operator every vendor's oldest first, by status and page by page", async () => {
    const 百度 = buyer();
    const [数据堂, 标贝] = [vendor(), vendor()];
    await billing.fund(百度, 4_000_000);
    await billing.payments.charge(order(百度.organizationId, [line(数据堂.organizationId, 1_000_000), line(标贝.organizationId, 1_000_000)]));
    const asked: PayoutView[] = [];
    const theirs: PayoutView[] = [];
    for (let i = 0; i < 5; i++) {
      tick();
      asked.push(await billing.wallets.requestPayout(数据堂, { amount: { amount: 10_000 + i, currency: 'CNY' } }));
      tick();
      theirs.push(await billing.wallets.requestPayout(标贝, { amount: { amount: 20_000 + i, currency: 'CNY' } }));
    }
    await billing.wallets.approvePayout(asked[0].id);
    await billing.wallets.rejectPayout(asked[1].id, '收款账户名称与营业执照不符');
    await billing.wallets.cancelPayout(数据堂, asked[2].id);

    const own = await walk((cursor) => payouts(数据堂, { limit: 2, cursor }));
    expect(own.sizes).toEqual([2, 2, 1]);
    expect(ids(own.items)).toEqual(ids(asked).reverse());
    for (const item of own.items) expect(item).toEqual(await billing.wallets.payout(数据堂, item.id));
    expect(ids((await payouts(数据堂, { status: 'pending' })).items)).toEqual([asked[4].id, asked[3].id]);
    expect((await payouts(数据堂, { status: 'rejected' })).items).toEqual([expect.objectContaining({ id: asked[1].id, rejectionReason: '收款账户名称与营业执照不符' })]);
    expect(await payouts(数据堂, { organization: 标贝.organizationId })).toEqual({ items: [], nextCursor: null });
    expect(ids((await payouts(标贝, { limit: 100 })).items)).toEqual(ids(theirs).reverse());

    const queue = (await walk((cursor) => payouts(OPERATOR, { status: 'pending', limit: 3, cursor }))).items;
    expect(queue.every((p) => p.status === 'pending')).toBe(true);
    const ours = new Set([...ids(asked), ...ids(theirs)]);
    expect(ids(queue.filter((p) => ours.has(p.id)))).toEqual([theirs[0], theirs[1], theirs[2], asked[3], theirs[3], asked[4], theirs[4]].map((p) => p.id));
    expect(ids((await walk((cursor) => payouts(OPERATOR, { organization: 数据堂.organizationId, limit: 2, cursor }))).items)).toEqual(ids(asked));
    expect(ids((await payouts(OPERATOR, { organization: 数据堂.organizationId, status: 'paid' })).items)).toEqual([asked[0].id]);
  });

  /**
   * The SELECT a list ran, as the repository sent it, explained with sequential scans and sorts
   * priced out of reach: a list the indexes serve is an index scan in the list's order.
   */
  async function planOf(list: () => Promise<unknown>, table: string): Promise<string> {
    const spy = jest.spyOn(EntityManager.prototype, 'query');
    try {
      await list();
      // The list's own SELECT (a payout's read also selects a column computed by a subquery).
      const call = spy.mock.calls.find(([sql]) => typeof sql === 'string' && sql.startsWith('SELECT *') && new RegExp(`FROM ${table} (WHERE|ORDER) `).test(sql));
      expect(call).toBeDefined();
      const [sql, params] = call as [string, unknown[]];
      await billing.sql.query('BEGIN');
      try {
        // A test's few rows make any plan cheap: pricing a scan of the whole table and a sort out of
        // reach leaves one in the plan only where no index can serve the list in order.
        await billing.sql.query('SET LOCAL enable_seqscan = off');
        await billing.sql.query('SET LOCAL enable_sort = off');
        const plan = await billing.sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
        return plan.rows.map((row) => row['QUERY PLAN']).join('\n');
      } finally {
        await billing.sql.query('ROLLBACK');
      }
    } finally {
      spy.mockRestore();
    }
  }

  it('reads every list from an index in its order, sorting nothing', async () => {
    const 智源 = buyer();
    const 云测 = vendor();
    // A position in each list, as its own nextCursor would be: the statement then reads on from it.
    const position = { at: minute(0), id: randomUUID() };
    const withTopUpCursor = (caller: Caller, request: ListTopUpsRequest) => topUps(caller, { ...request, cursor: encodeCursor(position, topUpsCursorScope(caller, request)) });
    const withPayoutCursor = (caller: Caller, request: ListPayoutsRequest) => payouts(caller, { ...request, cursor: encodeCursor(position, payoutsCursorScope(caller, request)) });
    const lists: [string, () => Promise<unknown>, string][] = [
      ['a buyer', () => withTopUpCursor(智源, { limit: 5 }), 'top_up'],
      ['a buyer by status', () => topUps(智源, { status: 'pending' }), 'top_up'],
      ['the operator', () => withTopUpCursor(OPERATOR, {}), 'top_up'],
      ['the operator by status', () => withTopUpCursor(OPERATOR, { status: 'pending' }), 'top_up'],
      ['the operator by organization', () => topUps(OPERATOR, { organization: 智源.organizationId }), 'top_up'],
      ['the operator by organization and status', () => topUps(OPERATOR, { organization: 智源.organizationId, status: 'confirmed' }), 'top_up'],
      ['a vendor', () => withPayoutCursor(云测, {}), 'payout'],
      ['a vendor by status', () => payouts(云测, { status: 'paid' }), 'payout'],
      ['the operator', () => withPayoutCursor(OPERATOR, {}), 'payout'],
      ['the operator by status', () => payouts(OPERATOR, { status: 'pending' }), 'payout'],
      ['the operator by organization', () => withPayoutCursor(OPERATOR, { organization: 云测.organizationId }), 'payout'],
    ];
    const sorted: string[] = [];
    for (const [who, list, table] of lists) {
      const plan = await planOf(list, table);
      if (/Sort|Seq Scan/.test(plan)) sorted.push(`${table} for ${who}:\n${plan}`);
    }
    expect(sorted).toEqual([]);
  });
});
