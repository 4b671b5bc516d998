import { issueKey } from '../../apps/gateway/src/auth/api-key-token';
import { withDatabase } from '../support/postgres';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(60_000);

describe('rate limits', () => {
  let system: TroveSystem;

  beforeAll(async () => {
    system = await TroveSystem.start({
      apps: ['gateway'],
      env: { RATE_LIMIT_PER_KEY: '10', RATE_LIMIT_PER_ORGANIZATION: '15', RATE_LIMIT_PER_ADDRESS: '5', SIGNUPS_PER_ADDRESS_PER_HOUR: '5', AUTH_FAILURES_PER_ADDRESS: '5' },
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function signUp(name: string): Promise<Response> {
    return system.request('/v1/organizations', {
      as: 'anonymous',
      method: 'POST',
      body: JSON.stringify({ name, kind: 'buyer', contactEmail: 'ml-platform@example.cn' }),
    });
  }

  const me = (key: string) => system.request('/v1/me', { as: { key } });

  it("answers 429 with Retry-After to one key past its limit while another key's requests still succeed", async () => {
    const greedy = (await json(await signUp('百度 文心 数据组'))).apiKey as string;
    const patient = (await json(await signUp('阿里 通义 数据组'))).apiKey as string;
    // All 40 must land in one one-second window: on a machine so loaded that a burst takes
    // longer than that, the burst is tried again (a fresh key each time) rather than judged.
    let greedyAnswers: Response[] = [];
    let patientAnswers: Response[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const key = attempt === 0 ? greedy : ((await json(await signUp(`百度 文心 数据组 ${attempt}`))).apiKey as string);
      const started = Date.now();
      [greedyAnswers, patientAnswers] = await Promise.all([
        Promise.all(Array.from({ length: 40 }, () => me(key))),
        Promise.all(Array.from({ length: 5 }, () => me(patient))),
      ]);
      if (Date.now() - started < 900) break;
    }
    const limited = greedyAnswers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(30);
    expect(greedyAnswers.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await json(limited[0])).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // The refusal names the limit reached: the key's own.
    expect((await json(limited[1])).detail).toMatch(/^This API key made more than 10 requests a second \(RATE_LIMIT_PER_KEY\): retry after \d+ s\.$/);
    expect(patientAnswers.map((r) => r.status)).toEqual(Array(5).fill(200));
  });

  it('limits callers without a key by address', async () => {
    let answers: Response[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const started = Date.now();
      answers = await Promise.all(Array.from({ length: 12 }, () => system.request('/v1/datasets/00000000-0000-4000-8000-0000000000aa', { as: 'anonymous' })));
      if (Date.now() - started < 900) break;
    }
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(7);
    const refused = await json(answers.find((r) => r.status === 429)!);
    expect(refused.detail).toMatch(/^This address made more than 5 requests a second without an API key \(RATE_LIMIT_PER_ADDRESS\): retry after \d+ s\.$/);
  });

  it('gives no fresh bucket to a client that sends X-Forwarded-For without a trusted proxy in front', async () => {
    let answers: Response[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const started = Date.now();
      answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          system.request('/v1/datasets/00000000-0000-4000-8000-0000000000aa', { as: 'anonymous', headers: { 'x-forwarded-for': `6.6.6.${i + 1}` } }),
        ),
      );
      if (Date.now() - started < 900) break;
    }
    expect(answers.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(7);
  });

  it('limits sign-ups per address per hour, counting only the ones their rules accept', async () => {
    // Mistakes a client fixes (a field it may not set, a bad email, no kind) sign nobody up and
    // spend none of the hourly sign-ups: each is a 400, as often as the per-second limit allows
    // (the address's second, spent by the tests before, passes first).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const body of [
      { name: '第一次填错的公司', kind: 'buyer', contactEmail: 'ml-platform@example.cn', role: 'admin' },
      { name: '第二次填错的公司', kind: 'buyer', contactEmail: 'not an email' },
      { name: '第三次填错的公司', contactEmail: 'ml-platform@example.cn' },
    ]) {
      const answer = await system.request('/v1/organizations', { as: 'anonymous', method: 'POST', body: JSON.stringify(body) });
      expect({ status: answer.status, code: (await json(answer)).code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    }
    let refused: Response | undefined;
    for (let i = 0; i < 10 && !refused; i++) {
      const answer = await signUp(`第 ${i} 家公司`);
      if (answer.status === 429) refused = answer;
      else expect(answer.status).toBe(201);
    }
    expect(refused).toBeDefined();
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(60);
    // Every sign-up from this address in this file, the earlier tests' included, counted.
    const organizations = await withDatabase(system.databases.get('gateway')!.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM organization WHERE kind <> 'admin'`)).rows[0].n);
    expect(organizations).toBe(5);
  });

  it('never limits health probes or metrics scrapes', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${system.gateway.url}/health/ready`)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
  });

  it('answers failed authentications past AUTH_FAILURES_PER_ADDRESS with 429, while a valid key from the same address still works', async () => {
    const guesses: Response[] = [];
    for (let i = 0; i < 5; i++) guesses.push(await me(issueKey().token));
    expect(guesses.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    const refused = await me(issueKey().token);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await json(refused)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect((await system.request('/v1/me')).status).toBe(200);
  });

  it("counts all of an organization's keys together: more keys buy no more requests", async () => {
    // Signed up by an operator, and last in this file's first part: the address's hourly
    // sign-ups, and the count of organizations the sign-up test checks, belong to the other tests.
    const signedUp = await json(
      await system.request('/v1/organizations', { as: 'admin', method: 'POST', body: JSON.stringify({ name: '零一万物 数据采购', kind: 'buyer', contactEmail: 'data-procurement@example.cn' }) }),
    );
    const first = signedUp.apiKey as string;
    const more = async (name: string) => (await json(await system.request('/v1/api-keys', { as: { key: first }, method: 'POST', body: JSON.stringify({ name }) }))).key as string;
    const keys = [first, await more('ingest-a'), await more('ingest-b')];
    // Each key alone would be let through 10 a second: 30 of these 36 without the organization's limit.
    let answers: Response[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const started = Date.now();
      answers = await Promise.all(keys.flatMap((key) => Array.from({ length: 12 }, () => me(key))));
      if (Date.now() - started < 900) break;
    }
    const passed = answers.filter((r) => r.status === 200);
    const limited = answers.filter((r) => r.status === 429);
    expect(passed.length).toBeLessThanOrEqual(15);
    expect(passed.length + limited.length).toBe(36);
    expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await json(limited[0])).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    // Every refusal names the organization's limit but those of a key past its own 10 (at most
    // 2 of each key's 12), which are told that instead; which of the two a request meets first
    // depends on the order the 36 arrive in.
    const details = await Promise.all(limited.slice(1).map(async (r) => (await json(r)).detail as string));
    const organization = /^The API keys of this organization together made more than 15 requests a second \(RATE_LIMIT_PER_ORGANIZATION\): retry after \d+ s\.$/;
    expect(details.filter((detail) => organization.test(detail)).length).toBeGreaterThanOrEqual(details.length - 2 * keys.length);
    expect(details.every((detail) => organization.test(detail) || detail.includes('(RATE_LIMIT_PER_KEY)'))).toBe(true);
  });
});

/**
 * What a review as an attacker found: a refusal was never counted against a rate limit, each
 * refusal on an audited route wrote an audit row (100 calls of `POST /v1/api-keys` without a key
 * were 100 rows), buckets were per route (a key had its limit once for each route it called),
 * and addresses without a key were counted one IPv6 address at a time, not by /64.
 */
describe('rate limits that hold for refused calls too', () => {
  let system: TroveSystem;
  const audited = async (action: string) =>
    withDatabase(system.databases.get('gateway')!.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM audit_event WHERE action = $1`, [action])).rows[0].n as number);

  beforeAll(async () => {
    system = await TroveSystem.start({
      apps: ['gateway'],
      // Behind a proxy on this machine, as deployed: X-Forwarded-For names the client.
      env: { RATE_LIMIT_PER_KEY: '10', RATE_LIMIT_PER_ADDRESS: '5', SIGNUPS_PER_ADDRESS_PER_HOUR: '3', AUTH_FAILURES_PER_ADDRESS: '5', TRUST_PROXY: '127.0.0.1,::1' },
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  /** Sends `burst` at once until it lands within one second (a loaded machine may take longer), answering its statuses. */
  async function withinOneSecond(burst: () => Promise<Response>[]): Promise<number[]> {
    let answers: Response[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const started = Date.now();
      answers = await Promise.all(burst());
      if (Date.now() - started < 900) break;
    }
    return answers.map((r) => r.status);
  }
  const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

  it('keeps calls without a key to a route that needs one from writing the audit log without end', async () => {
    const before = await audited('api-key.create');
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => system.request('/v1/api-keys', { as: 'anonymous', method: 'POST', body: JSON.stringify({ name: '训练集群下载' }), headers: { 'x-forwarded-for': '198.51.100.61' } })),
    );
    const statuses = answers.map((r) => r.status);
    // Five failures a minute from the address, then 429; and only those five are in the log.
    expect([count(statuses, 401), count(statuses, 429)]).toEqual([5, 35]);
    expect((await audited('api-key.create')) - before).toBe(5);
  });

  it("slows a key's calls it may not make like any other, and writes no row for a 429", async () => {
    const buyer = await json(await system.request('/v1/organizations', { as: 'anonymous', method: 'POST', body: JSON.stringify({ name: '深度求索 DeepSeek', kind: 'buyer', contactEmail: 'data@example.cn' }), headers: { 'x-forwarded-for': '198.51.100.62' } }));
    const before = await audited('organization.approve');
    const statuses = await withinOneSecond(() =>
      Array.from({ length: 30 }, () => system.request(`/v1/admin/organizations/${buyer.organization.id}/approve`, { method: 'POST', as: { key: buyer.apiKey } })),
    );
    expect(count(statuses, 403)).toBeLessThanOrEqual(10);
    expect(count(statuses, 429)).toBeGreaterThanOrEqual(20);
    expect((await audited('organization.approve')) - before).toBe(count(statuses, 403));
  });

  it('counts a key once over every route, not once per route', async () => {
    const buyer = await json(await system.request('/v1/organizations', { as: 'anonymous', method: 'POST', body: JSON.stringify({ name: '面壁智能 ModelBest', kind: 'buyer', contactEmail: 'data@example.cn' }), headers: { 'x-forwarded-for': '198.51.100.63' } }));
    const statuses = await withinOneSecond(() => ['/v1/me', '/v1/api-keys', '/v1/orders'].flatMap((path) => Array.from({ length: 8 }, () => system.request(path, { as: { key: buyer.apiKey } }))));
    // 24 calls, 8 on each of three routes, at a limit of 10 a second: per route, all passed.
    expect(count(statuses, 429)).toBeGreaterThanOrEqual(14);
  });

  it('counts an IPv6 client without a key by its /64, for reads and sign-ups alike', async () => {
    const statuses = await withinOneSecond(() =>
      Array.from({ length: 12 }, (_, i) => system.request('/v1/datasets/00000000-0000-4000-8000-0000000000aa', { as: 'anonymous', headers: { 'x-forwarded-for': `2001:db8:7:9::${i + 1}` } })),
    );
    expect(count(statuses, 429)).toBeGreaterThanOrEqual(7);
    const signUps: number[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await system.request('/v1/organizations', {
        as: 'anonymous',
        method: 'POST',
        body: JSON.stringify({ name: `数据标注工作室 ${i + 1} 号`, kind: 'buyer', contactEmail: 'ops@example.cn' }),
        headers: { 'x-forwarded-for': `2001:db8:7:a::${i + 1}` },
      });
      signUps.push(answer.status);
    }
    expect(signUps).toEqual([201, 201, 201, 429, 429]);
  });
});
