import { withDatabase } from '../../../test/support/postgres';
import { GatewayHarness } from './gateway-harness';

jest.setTimeout(120_000);

const DECLINED = '营业执照与申请主体不符，请以数据公司主体重新申请';
const SUSPENDED = '采购数据用于未经授权的人脸识别商用，暂停账户待核查';
const REFUSED = 'The organization is suspended; its keys are refused until an operator reinstates it.';

interface Party {
  organizationId: string;
  key: string;
}

/**
 * An operator says why it suspends an organization or declines a vendor's application, and the
 * organization reads it in the 403 every one of its keys gets. Before, `suspend` took no body
 * and a declined vendor got `403 ORGANIZATION_SUSPENDED` without ever learning why.
 */
describe("an operator's reason for a suspension", () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await GatewayHarness.start();
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const sql = <T>(text: string, values: unknown[] = []) => withDatabase(harness.gatewayDb.url, async (c) => (await c.query(text, values)).rows as T[]);
  const signUp = async (name: string, kind: 'buyer' | 'vendor'): Promise<Party> => {
    const answer = await harness.inject({ method: 'POST', url: '/v1/organizations', body: { name, kind, contactEmail: 'compliance@example.cn' } });
    expect(answer.status).toBe(201);
    return { organizationId: answer.body.organization.id, key: answer.body.apiKey };
  };
  const suspend = (organizationId: string, body?: unknown) =>
    harness.inject({ method: 'POST', url: `/v1/admin/organizations/${organizationId}/suspend`, key: harness.adminKey, ...(body === undefined ? {} : { body }) });
  const approve = (organizationId: string) => harness.inject({ method: 'POST', url: `/v1/admin/organizations/${organizationId}/approve`, key: harness.adminKey });
  const me = (party: Party) => harness.inject({ method: 'GET', url: '/v1/me', key: party.key });
  const listed = async (organizationId: string, query: string) =>
    (await harness.inject({ method: 'GET', url: `/v1/admin/organizations?${query}&limit=100`, key: harness.adminKey })).body.items.find((o: { id: string }) => o.id === organizationId);
  const statusEvents = (organizationId: string) =>
    sql<{ payload: Record<string, unknown> }>(`SELECT payload FROM outbox WHERE subject = 'evt.gateway.organization.status-changed.v1' AND payload->>'organizationId' = $1 ORDER BY seq`, [organizationId]);

  it('declines a pending vendor with a reason, which the vendor reads in the 403 of its very next call', async () => {
    const vendor = await signUp('北京某某信息咨询有限公司 (自称 海天瑞声)', 'vendor');
    // Its key is in the key cache, with the status it had.
    expect((await me(vendor)).body.organization).toMatchObject({ status: 'pending', statusReason: null });

    const declined = await suspend(vendor.organizationId, { reason: `  ${DECLINED} ` });
    expect({ status: declined.status, body: declined.body }).toEqual({
      status: 200,
      body: expect.objectContaining({ id: vendor.organizationId, status: 'suspended', statusReason: DECLINED }),
    });

    const refused = await me(vendor);
    expect({ status: refused.status, code: refused.body.code, detail: refused.body.detail }).toEqual({
      status: 403,
      code: 'ORGANIZATION_SUSPENDED',
      detail: `${REFUSED} It was suspended by the operator: ${DECLINED}`,
    });
    // Any route, the same answer: the reason and nothing else about the suspension.
    const keys = await harness.inject({ method: 'GET', url: '/v1/api-keys', key: vendor.key });
    expect({ status: keys.status, detail: keys.body.detail }).toEqual({ status: 403, detail: refused.body.detail });

    expect(await listed(vendor.organizationId, 'kind=vendor&status=suspended')).toEqual(declined.body);
    // The other services hear of the status, not the reason.
    expect((await statusEvents(vendor.organizationId)).map((e) => Object.keys(e.payload).sort())).toEqual([['changedAt', 'organizationId', 'status']]);
  });

  it('clears the reason when a suspended buyer is approved again, and its key works', async () => {
    const buyer = await signUp('某自动驾驶公司 数据采购部', 'buyer');
    expect((await me(buyer)).status).toBe(200);
    expect((await suspend(buyer.organizationId, { reason: SUSPENDED })).body).toMatchObject({ status: 'suspended', statusReason: SUSPENDED });
    expect((await me(buyer)).body.detail).toBe(`${REFUSED} It was suspended by the operator: ${SUSPENDED}`);

    const reinstated = await approve(buyer.organizationId);
    expect({ status: reinstated.status, body: reinstated.body }).toEqual({ status: 200, body: expect.objectContaining({ status: 'active', statusReason: null }) });
    const again = await me(buyer);
    expect({ status: again.status, organization: again.body.organization }).toEqual({ status: 200, organization: reinstated.body });
    expect(await sql(`SELECT status, status_reason FROM organization WHERE id = $1`, [buyer.organizationId])).toEqual([{ status: 'active', status_reason: null }]);

    // Suspended again without a reason: the old one does not come back.
    expect((await suspend(buyer.organizationId)).body).toMatchObject({ status: 'suspended', statusReason: null });
    expect((await me(buyer)).body.detail).toBe(REFUSED);
  });

  it('refuses a bad reason with 400, naming it, and changes nothing', async () => {
    const buyer = await signUp('上海某语音科技有限公司', 'buyer');
    expect((await me(buyer)).status).toBe(200);
    for (const body of [
      { reason: `营业执照已过期 \u202e期过已` },
      { reason: `${SUSPENDED}\u001b[2J` },
      { reason: `${SUSPENDED}\n请联系运营` },
      { reason: '   ' },
      { reason: '' },
      { reason: '违'.repeat(1001) },
      { reason: 7 },
    ]) {
      const refused = await suspend(buyer.organizationId, body);
      expect({ status: refused.status, code: refused.body.code, fields: refused.body.errors?.map((e: { field: string }) => e.field) }).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        fields: ['reason'],
      });
    }
    const unknown = await suspend(buyer.organizationId, { reason: SUSPENDED, notifyBuyer: true });
    expect({ status: unknown.status, fields: unknown.body.errors.map((e: { field: string }) => e.field) }).toEqual({ status: 400, fields: ['notifyBuyer'] });

    expect((await me(buyer)).body.organization).toMatchObject({ status: 'active', statusReason: null });
    expect(await statusEvents(buyer.organizationId)).toEqual([]);
  });

  it('still suspends with no body, {} or a null reason, without a reason; 1,000 characters is the longest reason', async () => {
    const first = await signUp('深圳某数据标注工作室', 'vendor');
    const second = await signUp('杭州某 AI 实验室 数据组', 'buyer');
    const nulled = await signUp('武汉某医疗语音数据公司', 'buyer');
    const third = await signUp('成都某方言语音采集团队', 'vendor');
    expect((await suspend(first.organizationId)).body).toMatchObject({ status: 'suspended', statusReason: null });
    expect((await suspend(second.organizationId, {})).body).toMatchObject({ status: 'suspended', statusReason: null });
    expect((await suspend(nulled.organizationId, { reason: null })).body).toMatchObject({ status: 'suspended', statusReason: null });
    for (const party of [first, second, nulled]) {
      const refused = await me(party);
      expect({ status: refused.status, code: refused.body.code, detail: refused.body.detail }).toEqual({ status: 403, code: 'ORGANIZATION_SUSPENDED', detail: REFUSED });
    }

    const longest = '请'.repeat(1000);
    expect((await suspend(third.organizationId, { reason: `\t${longest}  ` })).body).toMatchObject({ status: 'suspended', statusReason: longest });
  });

  it('answers a second suspension 409 and keeps the first reason', async () => {
    const vendor = await signUp('广州某多模态数据公司', 'vendor');
    await approve(vendor.organizationId);
    const first = await suspend(vendor.organizationId, { reason: SUSPENDED });
    const second = await suspend(vendor.organizationId, { reason: DECLINED });
    expect({ status: second.status, code: second.body.code }).toEqual({ status: 409, code: 'INVALID_STATE' });
    expect(await listed(vendor.organizationId, 'status=suspended')).toEqual(first.body);
    expect((await me(vendor)).body.detail).toBe(`${REFUSED} It was suspended by the operator: ${SUSPENDED}`);
  });

  it('keeps a reason off any organization that is not suspended, in the database itself', async () => {
    const buyer = await signUp('南京某智能客服公司', 'buyer');
    await expect(sql(`UPDATE organization SET status_reason = $2 WHERE id = $1`, [buyer.organizationId, SUSPENDED])).rejects.toThrow(/organization_status_reason_check/);
  });
});
