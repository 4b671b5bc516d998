import { GatewayHarness, HARNESS_START_TIMEOUT_MS } from './gateway-harness';

jest.setTimeout(60_000);

/** A reverse proxy in front of the gateway (inside 10.0.0.0/8) and a client that reaches it directly. */
const PROXY = '10.20.0.7';
const DIRECT_CLIENT = '203.0.113.45';

describe('the client address: X-Forwarded-For is believed only from TRUST_PROXY', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await GatewayHarness.start({ TRUST_PROXY: '10.0.0.0/8', SIGNUPS_PER_ADDRESS_PER_HOUR: '2' });
  }, HARNESS_START_TIMEOUT_MS);

  afterAll(async () => {
    await harness?.stop();
  });

  const signUp = (name: string, from: string, forwardedFor?: string, key?: string) =>
    harness.inject({
      method: 'POST',
      url: '/v1/organizations',
      remoteAddress: from,
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
      key,
      body: { name, kind: 'buyer', contactEmail: 'data-procurement@example.cn' },
    });

  async function auditedAddresses(): Promise<Map<string, string>> {
    const answer = await harness.inject({ method: 'GET', url: '/v1/admin/audit?action=organization.sign-up&limit=100', key: harness.adminKey });
    expect(answer.status).toBe(200);
    const byName = new Map<string, string>();
    for (const event of answer.body.items as { target: { id: string | null }; ip: string }[]) byName.set(event.target.id ?? '', event.ip);
    return byName;
  }

  it('gives a client that spoofs X-Forwarded-For neither a fresh rate-limit bucket nor a false audited address', async () => {
    const answers = [
      await signUp('深圳 语料 甲', DIRECT_CLIENT, '6.6.6.6'),
      await signUp('深圳 语料 乙', DIRECT_CLIENT, '7.7.7.7'),
      await signUp('深圳 语料 丙', DIRECT_CLIENT, '8.8.8.8, 9.9.9.9'),
    ];
    // Two sign-ups per address per hour: the third is refused although it claimed yet another address.
    expect(answers.map((a) => a.status)).toEqual([201, 201, 429]);
    expect(answers[2].body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(answers[2].body.detail).toMatch(/^This address sent 2 sign-ups within the hour, the most SIGNUPS_PER_ADDRESS_PER_HOUR allows: retry after \d+ s\.$/);

    const audited = await auditedAddresses();
    expect(audited.get(answers[0].body.organization.id)).toBe(DIRECT_CLIENT);
    expect(audited.get(answers[1].body.organization.id)).toBe(DIRECT_CLIENT);
  });

  it('counts and audits the forwarded client address when the request comes through a configured proxy', async () => {
    const viaProxy = [
      await signUp('杭州 多模态 数据 一', PROXY, '198.51.100.1'),
      await signUp('杭州 多模态 数据 二', PROXY, '198.51.100.2'),
      await signUp('杭州 多模态 数据 三', PROXY, '198.51.100.3'),
      await signUp('杭州 多模态 数据 四', PROXY, '198.51.100.1'),
      await signUp('杭州 多模态 数据 五', PROXY, '198.51.100.1'),
    ];
    // Every client behind the proxy has its own bucket; the proxy's own address is not one.
    expect(viaProxy.map((a) => a.status)).toEqual([201, 201, 201, 201, 429]);

    const audited = await auditedAddresses();
    expect(audited.get(viaProxy[0].body.organization.id)).toBe('198.51.100.1');
    expect(audited.get(viaProxy[1].body.organization.id)).toBe('198.51.100.2');
    expect(audited.get(viaProxy[2].body.organization.id)).toBe('198.51.100.3');
  });

  it('counts an operator signing organizations up with the admin key per key, not against the address, and files each sign-up under the organization it made', async () => {
    const OPERATOR = '203.0.113.80';
    const anonymous = [await signUp('北京 语音 一', OPERATOR), await signUp('北京 语音 二', OPERATOR), await signUp('北京 语音 三', OPERATOR)];
    expect(anonymous.map((a) => a.status)).toEqual([201, 201, 429]);
    // The same address, now carrying the admin key: the address's spent hourly budget does not stop it.
    const byOperator = [];
    for (const name of ['国网 电力 客服 语音', '南方电网 巡检 图像', '中国移动 客服 对话', '招商银行 金融 文本']) byOperator.push(await signUp(name, OPERATOR, undefined, harness.adminKey));
    expect(byOperator.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    // Each record names the organization signed up (not the operator's own) and who did it.
    const audit = await harness.inject({ method: 'GET', url: `/v1/admin/audit?action=organization.sign-up&target=${byOperator[0].body.organization.id}`, key: harness.adminKey });
    expect(audit.status).toBe(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ target: { type: 'organization', id: byOperator[0].body.organization.id }, outcome: expect.anything() });
  });

  it('counts a sign-up that carries another key against its address: the keys sign-ups hand out buy no fresh allowance', async () => {
    const FARM = '198.18.0.9';
    const [first, second] = [await signUp('深圳 数据 农场 一', FARM), await signUp('深圳 数据 农场 二', FARM)];
    expect([first.status, second.status]).toEqual([201, 201]);
    // Spent: neither the keys those sign-ups answered nor a key from elsewhere sign up more from here.
    const withKeys = [
      await signUp('深圳 数据 农场 三', FARM, undefined, first.body.apiKey as string),
      await signUp('深圳 数据 农场 四', FARM, undefined, second.body.apiKey as string),
    ];
    expect(withKeys.map((a) => a.status)).toEqual([429, 429]);
    // From a fresh address a key is counted there like no key at all: two, then refused.
    const ELSEWHERE = '198.18.0.10';
    const elsewhere = [];
    for (const n of ['五', '六', '七']) elsewhere.push(await signUp(`深圳 数据 农场 ${n}`, ELSEWHERE, undefined, first.body.apiKey as string));
    expect(elsewhere.map((a) => a.status)).toEqual([201, 201, 429]);
  });
});
