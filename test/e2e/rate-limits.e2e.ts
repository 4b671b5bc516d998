import { json, TroveSystem } from '../support/system';

jest.setTimeout(60_000);

describe('rate limits', () => {
  let system: TroveSystem;

  beforeAll(async () => {
    system = await TroveSystem.start({
      apps: ['gateway'],
      env: { RATE_LIMIT_PER_KEY: '10', RATE_LIMIT_PER_ADDRESS: '5', SIGNUPS_PER_ADDRESS_PER_HOUR: '3' },
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function signUp(name: string): Promise<Response> {
    return system.request('/v1/organizations', {
      as: 'anonymous',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ml-platform@example.cn' }),
    });
  }

  const me = (key: string) => fetch(`${system.gateway.url}/v1/me`, { headers: { authorization: `Bearer ${key}` } });

  it("answers 429 with Retry-After to one key past its limit while another key's requests still succeed", async () => {
    const greedy = (await json(await signUp('百度 文心 数据组'))).apiKey as string;
    const patient = (await json(await signUp('阿里 通义 数据组'))).apiKey as string;
    // A fresh one-second window, so all 40 land in the same one.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const [greedyAnswers, patientAnswers] = await Promise.all([
      Promise.all(Array.from({ length: 40 }, () => me(greedy))),
      Promise.all(Array.from({ length: 5 }, () => me(patient))),
    ]);
    const limited = greedyAnswers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(30);
    expect(greedyAnswers.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await json(limited[0])).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(patientAnswers.map((r) => r.status)).toEqual(Array(5).fill(200));
  });

  it('limits callers without a key by address', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000)));
    const answers = await Promise.all(Array.from({ length: 12 }, () => system.request('/v1/datasets/00000000-0000-4000-8000-0000000000aa', { as: 'anonymous' })));
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(5);
  });

  it('limits sign-ups per address per hour', async () => {
    const third = await signUp('第三家公司');
    expect(third.status).toBe(201);
    const fourth = await signUp('第四家公司');
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(60);
  });

  it('never limits health probes or metrics scrapes', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${system.gateway.url}/health/ready`)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
  });
});
