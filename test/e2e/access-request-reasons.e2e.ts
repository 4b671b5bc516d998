import { commercialOffer, speechListing, VendorClient } from '../support/catalog';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

interface Buyer {
  key: string;
  organizationId: string;
}

const REASON = '申请用途为人脸识别商用，超出本数据集授权范围';

/**
 * A buyer asks for a dataset whose vendor vets each buyer, the vendor rejects the request with
 * a reason, and the buyer reads it: through the public API with every app running. Before,
 * the buyer saw `rejected` and nothing else, and a vendor's `{reason}` was refused.
 */
describe("a vendor's rejection of an access request, through the public API", () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  let offerId: string;

  const as = (who: Buyer | VendorClient) => ({ as: { key: who.key } });
  const signUpBuyer = async (name: string): Promise<Buyer> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'data-procurement@example.cn' }) }));
    return { key: answer.apiKey, organizationId: answer.organization.id };
  };
  const ask = async (buyer: Buyer, intendedUse: string) => {
    const response = await system.request('/v1/access-requests', { method: 'POST', ...as(buyer), body: JSON.stringify({ offerId, intendedUse }) });
    expect(response.status).toBe(201);
    return json(response);
  };
  const reject = (id: string, body?: string) => system.request(`/v1/access-requests/${id}/reject`, { method: 'POST', ...as(vendor), ...(body === undefined ? {} : { body }) });
  const listOf = async (who: Buyer | VendorClient, query = '') => (await json(await system.request(`/v1/access-requests${query}`, as(who)))).items;
  const expectProblem = async (response: Response, status: number, code: string) => {
    const body = await json(response);
    expect({ status: response.status, type: response.headers.get('content-type'), code: body.code }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/), code });
    return body;
  };

  beforeAll(async () => {
    system = await TroveSystem.start({ env: { LOG_LEVEL: 'warn' } });
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    const { dataset } = await vendor.listing(speechListing({ title: '人脸与语音多模态采集数据 800 人 / face and voice, 800 speakers' }));
    offerId = (await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer(36_000_000, { requiresApproval: true }))).id;
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    expect((await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' })).status).toBe(200);
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('tells the buyer why, on its list; a bad reason is 400 and changes nothing; rejecting again with another reason is 409 and keeps the first', async () => {
    const buyer = await signUpBuyer('旷视科技 Megvii 数据采购部');
    const asked = await ask(buyer, '训练商用人脸识别门禁模型 / training a commercial face-recognition door access model');
    expect(asked).toMatchObject({ status: 'pending', rejectionReason: null });

    // A reason the buyer would read reordered, or that is all spaces, is refused, naming it.
    for (const bad of [`授权期限 \u202e年01`, `${REASON}\u001b[2J`, '   ', 'x'.repeat(1001)]) {
      const problem = await expectProblem(await reject(asked.id, JSON.stringify({ reason: bad })), 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([{ field: 'reason', problems: [expect.stringMatching(/^reason /)] }]);
    }
    expect(await listOf(buyer)).toEqual([asked]);

    const rejected = await reject(asked.id, JSON.stringify({ reason: `  ${REASON}\n` }));
    const answer = await json(rejected);
    expect({ status: rejected.status, answer }).toEqual({ status: 200, answer: { ...asked, status: 'rejected', rejectionReason: REASON, decidedAt: expect.any(String) } });

    // What the buyer reads: the request, rejected, and why.
    expect(await listOf(buyer)).toEqual([answer]);
    expect(await listOf(buyer, '?status=rejected')).toEqual([answer]);
    expect((await listOf(vendor, '?status=rejected')).find((r: { id: string }) => r.id === asked.id)).toEqual(answer);

    // Rejecting again (a retry, with the same reason or none) answers the request as it is.
    for (const body of [JSON.stringify({ reason: REASON }), undefined]) {
      const again = await reject(asked.id, body);
      expect({ status: again.status, answer: await json(again) }).toEqual({ status: 200, answer });
    }
    // Another reason is not recorded, and the vendor is told so, with the reason the buyer reads.
    const other = await expectProblem(await reject(asked.id, JSON.stringify({ reason: '数据集暂停授权 / licensing paused' })), 409, 'INVALID_STATE');
    expect(other.detail).toContain(REASON);
    // An approval now is 409 too.
    await expectProblem(await system.request(`/v1/access-requests/${asked.id}/approve`, { method: 'POST', ...as(vendor) }), 409, 'INVALID_STATE');
    expect(await listOf(buyer)).toEqual([answer]);
  });

  it("refuses an intended use the vendor would read altered (terminal escapes, reordering), and records nothing", async () => {
    const buyer = await signUpBuyer('某智能门禁初创公司 / a door-access start-up');
    for (const bad of ['\u001b[2J\u001b[31mAPPROVED BY ADMIN\u001b[0m', '教育用途 \u202eesu laicremmoc', 'research\u0007', '   ', 'x'.repeat(2001)]) {
      const response = await system.request('/v1/access-requests', { method: 'POST', ...as(buyer), body: JSON.stringify({ offerId, intendedUse: bad }) });
      const problem = await expectProblem(response, 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([{ field: 'intendedUse', problems: [expect.stringMatching(/^intendedUse /)] }]);
    }
    expect(await listOf(buyer)).toEqual([]);
    // Line breaks and tabs are prose.
    expect(await ask(buyer, '用途：\n\t1. 门禁人脸识别模型评测\n\t2. 不用于商用部署')).toMatchObject({ status: 'pending' });
  });

  it('still rejects without a reason, with no body or {}', async () => {
    for (const body of [undefined, '{}']) {
      const buyer = await signUpBuyer(`云从科技 CloudWalk ${body ?? 'no body'}`);
      const asked = await ask(buyer, '评测人脸活体检测算法 / evaluating a face liveness detector');
      const rejected = await reject(asked.id, body);
      expect({ status: rejected.status, answer: await json(rejected) }).toEqual({ status: 200, answer: expect.objectContaining({ id: asked.id, status: 'rejected', rejectionReason: null }) });
      expect(await listOf(buyer)).toEqual([expect.objectContaining({ status: 'rejected', rejectionReason: null })]);
    }
  });
});
