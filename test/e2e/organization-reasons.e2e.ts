import { speechListing, VendorClient } from '../support/catalog';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(180_000);

const DECLINED = '营业执照与申请主体不符，请以数据公司主体重新申请';
const SUSPENDED = '采购的语音数据被转售给第三方，违反授权条款，账户暂停待核查';
const REFUSED = 'The organization is suspended; its keys are refused until an operator reinstates it.';

interface Party {
  key: string;
  organizationId: string;
}

/**
 * An operator declines a vendor's application or suspends an organization, says why, and the
 * organization reads the reason in the 403 its keys get: through the public API, on two gateway
 * replicas. Before, `suspend` took no body, and a declined vendor's keys got
 * `403 ORGANIZATION_SUSPENDED` without ever learning why.
 */
describe("an operator's reason for suspending an organization, through the public API", () => {
  let system: TroveSystem;

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog'], replicas: { gateway: 1 }, env: { LOG_LEVEL: 'warn' } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  const as = (who: Party) => ({ as: { key: who.key } });
  const signUpBuyer = async (name: string): Promise<Party> => {
    const answer = await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ai-data@example.cn' }) }));
    return { key: answer.apiKey, organizationId: answer.organization.id };
  };
  const suspend = (organizationId: string, body?: string) =>
    system.request(`/v1/admin/organizations/${organizationId}/suspend`, { method: 'POST', ...(body === undefined ? {} : { body }) });
  const approve = (organizationId: string) => system.request(`/v1/admin/organizations/${organizationId}/approve`, { method: 'POST' });
  const inQueue = async (organizationId: string, query: string) =>
    (await json(await system.request(`/v1/admin/organizations?${query}&limit=100`))).items.find((o: { id: string }) => o.id === organizationId);
  const refusal = async (response: Response) => {
    const body = await json(response);
    return { status: response.status, type: response.headers.get('content-type'), code: body.code, detail: body.detail };
  };
  const suspendedFor = (reason: string | null) => ({
    status: 403,
    type: expect.stringMatching(/^application\/problem\+json/),
    code: 'ORGANIZATION_SUSPENDED',
    detail: reason === null ? REFUSED : `${REFUSED} It was suspended by the operator: ${reason}`,
  });

  it('declines a pending vendor with a reason, which the vendor reads on its next call, on every replica', async () => {
    const vendor = await VendorClient.signUp(system, '北京某某信息咨询有限公司', false);
    // Awaiting approval, it prepares its listing; both replicas have its key cached.
    await vendor.expect(201, '/v1/datasets', 'POST', speechListing({ title: '普通话客服对话录音 500 小时' }));
    expect((await json(await system.request('/v1/me', { ...as(vendor), replica: 1 }))).organization).toMatchObject({ status: 'pending', statusReason: null });
    const queued = await inQueue(vendor.organizationId, 'kind=vendor&status=pending');
    expect(queued).toMatchObject({ status: 'pending', statusReason: null });

    const declined = await suspend(vendor.organizationId, JSON.stringify({ reason: `${DECLINED}\t ` }));
    const answer = await json(declined);
    expect({ status: declined.status, answer }).toEqual({ status: 200, answer: { ...queued, status: 'suspended', statusReason: DECLINED } });

    // Its very next call, on the replica that made the change, says why; the other replica too.
    expect(await refusal(await vendor.call('/v1/datasets', 'POST', speechListing({ title: '粤语电话录音 200 小时' })))).toEqual(suspendedFor(DECLINED));
    await waitFor('the other replica to give the reason', async () => (await refusal(await system.request('/v1/me', { ...as(vendor), replica: 1 }))).detail === suspendedFor(DECLINED).detail, 1000, 20);
    expect(await refusal(await system.request('/v1/api-keys', { ...as(vendor), replica: 1 }))).toEqual(suspendedFor(DECLINED));

    // Out of the approval queue, with its reason on the operators' list.
    expect(await inQueue(vendor.organizationId, 'kind=vendor&status=pending')).toBeUndefined();
    expect(await inQueue(vendor.organizationId, 'kind=vendor&status=suspended')).toEqual(answer);

    // Declining again is 409, and the vendor still reads the first reason.
    const again = await suspend(vendor.organizationId, JSON.stringify({ reason: '重复申请 / duplicate application' }));
    expect({ status: again.status, code: (await json(again)).code }).toEqual({ status: 409, code: 'INVALID_STATE' });
    expect(await refusal(await vendor.call('/v1/me'))).toEqual(suspendedFor(DECLINED));

    const audit = await json(await system.request(`/v1/admin/audit?target=${vendor.organizationId}&limit=10`));
    expect(audit.items.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`)).toEqual(expect.arrayContaining(['organization.suspend:success']));
  });

  it('suspends an active buyer with a reason, then reinstates it: the reason is gone and its key works', async () => {
    const buyer = await signUpBuyer('某自动驾驶公司 数据采购部');
    expect((await system.request('/v1/me', as(buyer))).status).toBe(200);

    expect(await json(await suspend(buyer.organizationId, JSON.stringify({ reason: SUSPENDED })))).toMatchObject({ status: 'suspended', statusReason: SUSPENDED });
    expect(await refusal(await system.request('/v1/wallet', as(buyer)))).toEqual(suspendedFor(SUSPENDED));

    const reinstated = await approve(buyer.organizationId);
    const answer = await json(reinstated);
    expect({ status: reinstated.status, answer }).toEqual({ status: 200, answer: expect.objectContaining({ status: 'active', statusReason: null }) });
    for (const replica of [0, 1]) {
      await waitFor(`replica ${replica} to serve the key again`, async () => (await system.request('/v1/me', { ...as(buyer), replica })).status === 200, 1000, 20);
      expect((await json(await system.request('/v1/me', { ...as(buyer), replica }))).organization).toEqual(answer);
    }
    expect(await inQueue(buyer.organizationId, 'kind=buyer&status=active')).toEqual(answer);
  });

  it('refuses a bad reason with 400 and changes nothing; no body, and {}, still suspend without one', async () => {
    const buyer = await signUpBuyer('上海某语音科技有限公司');
    for (const reason of [`授权期限 \u202e年01`, `${SUSPENDED}\u001b[2J`, `${SUSPENDED}\r\n请联系运营`, '   ', '停'.repeat(1001)]) {
      const refused = await suspend(buyer.organizationId, JSON.stringify({ reason }));
      const problem = await json(refused);
      expect({ status: refused.status, code: problem.code, errors: problem.errors }).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        errors: [{ field: 'reason', problems: [expect.stringMatching(/^reason /)] }],
      });
    }
    expect((await json(await system.request('/v1/me', as(buyer)))).organization).toMatchObject({ status: 'active', statusReason: null });
    expect(await inQueue(buyer.organizationId, 'kind=buyer&status=active')).toMatchObject({ status: 'active', statusReason: null });

    const silent = await signUpBuyer('杭州某 AI 实验室 数据组');
    for (const [who, body] of [
      [buyer, undefined],
      [silent, '{}'],
    ] as const) {
      const suspended = await suspend(who.organizationId, body);
      expect({ status: suspended.status, answer: await json(suspended) }).toEqual({ status: 200, answer: expect.objectContaining({ status: 'suspended', statusReason: null }) });
      expect(await refusal(await system.request('/v1/me', as(who)))).toEqual(suspendedFor(null));
    }
  });
});
