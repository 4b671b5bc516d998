import { GatewayHarness } from './gateway-harness';

jest.setTimeout(60_000);

/** A reverse proxy in front of the gateway (inside 10.0.0.0/8) and a client that reaches it directly. */
const PROXY = '10.20.0.7';
const DIRECT_CLIENT = '203.0.113.45';

describe('the client address: X-Forwarded-For is believed only from TRUST_PROXY', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await GatewayHarness.start({ TRUST_PROXY: '10.0.0.0/8', SIGNUPS_PER_ADDRESS_PER_HOUR: '2' });
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const signUp = (name: string, from: string, forwardedFor?: string) =>
    harness.inject({
      method: 'POST',
      url: '/v1/organizations',
      remoteAddress: from,
      headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
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
});
