import { CommonErrorCode, OrderingSubjects, SLOWEST_VENDORS_LISTED, type AccessRequestView, type OrderStatsView, type RpcSubject } from '@trove/contracts';
import { Namespace, type RpcReply } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { connectNats } from '../../../test/support/nats';
import { withDatabase } from '../../../test/support/postgres';
import { OfferShelf, sendAsGateway, startOrdering, type OrderingUnderTest } from './ordering-harness';

jest.setTimeout(120_000);

const shelf = new OfferShelf();
const admin: Caller = { organizationId: randomUUID(), role: 'admin', keyId: 'a'.repeat(32) };

interface Party {
  name: string;
  caller: Caller;
}

const vendor = (name: string): Party => ({ name, caller: { organizationId: randomUUID(), role: 'vendor', keyId: 'v'.repeat(32) } });
const buyer = (name: string): Party => ({ name, caller: { organizationId: randomUUID(), role: 'buyer', keyId: 'b'.repeat(32) } });

/**
 * `ordering.stats.orders` as the gateway asks it for `GET /v1/admin/stats`: next to the orders,
 * the access requests vendors have not decided yet, in all and per vendor, slowest first. Only
 * pending requests count; their ages are set in SQL, and "seven days" is the database's clock.
 */
describe('access requests left waiting, in the operators’ figures', () => {
  let ordering: OrderingUnderTest;
  let nc: NatsConnection;
  let namespace: Namespace;

  const datatang = vendor('数据堂 Datatang');
  const speechOcean = vendor('海天瑞声 SpeechOcean');
  const testin = vendor('云测数据 Testin Data');
  const zhipu = buyer('智谱 AI Zhipu');
  const moonshot = buyer('月之暗面 Moonshot AI');
  const baichuan = buyer('百川智能 Baichuan');

  beforeAll(async () => {
    // A database of its own: every pending request in it is one this file made.
    ordering = await startOrdering('access_waiting', shelf.catalog());
    namespace = ordering.app.get(Namespace);
    nc = await connectNats();
  });

  afterAll(async () => {
    await nc?.close();
    await ordering?.stop();
  });

  const send = <T>(subject: RpcSubject<unknown, T>, caller: Caller, body: unknown): Promise<RpcReply<T>> => sendAsGateway(nc, namespace, subject, caller, body);

  function data<T>(reply: RpcReply<T>): T {
    if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    return reply.data;
  }

  /**
   * `from` asks for a new listing of `to` that needs approval, made `age` ago (a PostgreSQL
   * interval), and `to` decides it when told to. Answers the request and when it was made, as stored.
   */
  async function request(from: Party, to: Party, age: string, decision?: 'approved' | 'rejected'): Promise<{ id: string; createdAt: string }> {
    const offer = Object.assign(shelf.list({ model: 'one_time', price: { amount: 1_800_000, currency: 'CNY' } }, { title: `${to.name} 普通话语音数据 / Mandarin speech` }), {
      requiresApproval: true,
      vendorOrganizationId: to.caller.organizationId,
    });
    const asked = data(await send(OrderingSubjects.createAccessRequest, from.caller, { offerId: offer.id, intendedUse: `${from.name} 训练中文语音大模型 / training a Chinese speech model` }));
    if (decision === 'approved') data(await send(OrderingSubjects.approveAccessRequest, to.caller, { id: asked.id }));
    if (decision === 'rejected') data(await send(OrderingSubjects.rejectAccessRequest, to.caller, { id: asked.id, reason: '申请用途超出本数据集授权范围' }));
    return { id: asked.id, createdAt: await backdate(asked, age) };
  }

  async function backdate(asked: AccessRequestView, age: string): Promise<string> {
    return withDatabase(ordering.db.url, async (c) => {
      const { rows } = await c.query(`UPDATE access_request SET created_at = now() - $2::interval WHERE id = $1 RETURNING created_at`, [asked.id, age]);
      return (rows[0].created_at as Date).toISOString();
    });
  }

  const stats = async (body: object = {}) => data(await send(OrderingSubjects.orderStats, admin, body)).accessRequestsWaiting;

  it('counts nothing when no request waits', async () => {
    expect(await stats()).toEqual({ pending: 0, oldestCreatedAt: null, overSevenDays: 0, slowestVendors: [] });
  });

  it('counts pending requests only, over seven days by the database’s clock, and lists the vendors whose oldest has waited longest first', async () => {
    // Decided requests, older than every pending one: were they counted, they would be the oldest.
    await request(zhipu, datatang, '40 days', 'rejected');
    await request(moonshot, datatang, '30 days', 'approved');
    await request(baichuan, speechOcean, '25 days', 'rejected');
    await request(zhipu, testin, '50 days', 'approved');

    const datatangFirst = await request(zhipu, datatang, '20 days');
    const datatangOldest = datatangFirst.createdAt;
    await request(moonshot, datatang, '5 days');
    await request(baichuan, datatang, '1 hour');
    const speechOceanOldest = (await request(moonshot, speechOcean, '10 days')).createdAt;
    await request(zhipu, speechOcean, '8 days');
    // Just under seven days: waiting, not yet overdue.
    const testinOldest = (await request(baichuan, testin, '6 days 23 hours')).createdAt;

    expect(await stats()).toEqual({
      pending: 6,
      oldestCreatedAt: datatangOldest,
      overSevenDays: 3,
      slowestVendors: [
        { vendorOrganizationId: datatang.caller.organizationId, pending: 3, oldestCreatedAt: datatangOldest },
        { vendorOrganizationId: speechOcean.caller.organizationId, pending: 2, oldestCreatedAt: speechOceanOldest },
        { vendorOrganizationId: testin.caller.organizationId, pending: 1, oldestCreatedAt: testinOldest },
      ],
    });

    // Once Datatang decides its oldest request, its next oldest (5 days) puts it last.
    data(await send(OrderingSubjects.approveAccessRequest, datatang.caller, { id: datatangFirst.id }));
    const after = await stats();
    expect(after).toMatchObject({ pending: 5, oldestCreatedAt: speechOceanOldest, overSevenDays: 2 });
    expect(after.slowestVendors.map((v) => [v.vendorOrganizationId, v.pending])).toEqual([
      [speechOcean.caller.organizationId, 2],
      [testin.caller.organizationId, 1],
      [datatang.caller.organizationId, 2],
    ]);

    // One buyer's requests alone, as for its orders.
    expect(await stats({ buyerOrganizationId: baichuan.caller.organizationId })).toEqual({
      pending: 2,
      oldestCreatedAt: testinOldest,
      overSevenDays: 0,
      slowestVendors: [
        { vendorOrganizationId: testin.caller.organizationId, pending: 1, oldestCreatedAt: testinOldest },
        { vendorOrganizationId: datatang.caller.organizationId, pending: 1, oldestCreatedAt: expect.any(String) },
      ],
    });
  });

  it(`lists ${SLOWEST_VENDORS_LISTED} vendors at most, and still counts the requests of those left out`, async () => {
    const before = await stats();
    const more = ['标贝科技 DataBaker', '爱数智慧 MagicData', '曼孚科技 Mindflow', '倍赛科技 BasicFinder', '星尘数据 Stardust', '整数智能 MolarData', '澳鹏中国 Appen China', '龙猫数据 Longmao Data', '景联文科技 Jinglianwen'].map(vendor);
    // Each one's request a day younger than the last, all older than SpeechOcean's 10 days.
    const oldest = new Map<string, string>();
    for (const [i, slow] of more.entries()) oldest.set(slow.caller.organizationId, (await request([zhipu, moonshot, baichuan][i % 3], slow, `${30 - i} days`)).createdAt);

    const now = await stats();
    expect(now.pending).toBe(before.pending + more.length);
    expect(now.overSevenDays).toBe(before.overSevenDays + more.length);
    expect(now.oldestCreatedAt).toBe(oldest.get(more[0].caller.organizationId));
    expect(now.slowestVendors).toHaveLength(SLOWEST_VENDORS_LISTED);
    // The nine new vendors, oldest first, then SpeechOcean; Testin (just under 7 days) and Datatang (5 days) are left out.
    expect(now.slowestVendors).toEqual([
      ...more.map((slow) => ({ vendorOrganizationId: slow.caller.organizationId, pending: 1, oldestCreatedAt: oldest.get(slow.caller.organizationId) })),
      { vendorOrganizationId: speechOcean.caller.organizationId, pending: 2, oldestCreatedAt: before.oldestCreatedAt },
    ]);
    for (const v of now.slowestVendors) {
      expect(v.vendorOrganizationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(v.oldestCreatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
  });

  it('answers them with the orders by status, to an admin only', async () => {
    const reply = data(await send(OrderingSubjects.orderStats, admin, {})) as OrderStatsView;
    expect(Object.keys(reply).sort()).toEqual(['accessRequestsWaiting', 'byStatus']);
    const refused = await send(OrderingSubjects.orderStats, datatang.caller, {});
    expect(refused.ok ? 'answered' : refused.error.code).toBe(CommonErrorCode.FORBIDDEN);
  });
});
