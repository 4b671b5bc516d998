import { randomBytes } from 'node:crypto';
import { RequestContext } from '@trove/platform';
import type { Logger, QueryRunner } from 'typeorm';
import { DataSource } from 'typeorm';
import { GatewayHarness, HARNESS_START_TIMEOUT_MS } from './gateway-harness';

jest.setTimeout(60_000);

const LIMIT = 5;
/** Where the flood comes from, and a company that shares nothing with it. */
const FLOODER = '203.0.113.66';
const NEIGHBOUR = '198.51.100.23';

/** A well-formed key nobody was ever given: the kind that used to cost a database lookup each. */
function guessedKey(): string {
  return `trv_${randomBytes(16).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}

/**
 * Counts the SQL the gateway sends while serving requests, from the moment `start` is called.
 * Background work (the outbox relay, janitors) runs outside any request and is not counted.
 */
class QueryCounter {
  private queries: string[] = [];
  private counting = false;

  constructor(dataSource: DataSource) {
    const original = dataSource.logger;
    const seen = (query: string) => {
      if (this.counting && RequestContext.current()) this.queries.push(query);
    };
    (dataSource as { logger: Logger }).logger = new Proxy(original, {
      get(target, property, receiver) {
        if (property === 'logQuery') {
          return (query: string, parameters?: unknown[], runner?: QueryRunner) => {
            seen(query);
            return target.logQuery(query, parameters, runner);
          };
        }
        return Reflect.get(target, property, receiver);
      },
    });
  }

  start(): void {
    this.queries = [];
    this.counting = true;
  }

  get count(): number {
    return this.queries.length;
  }
}

describe('failed authentications per address', () => {
  let harness: GatewayHarness;
  let queries: QueryCounter;
  let buyerKey: string;

  beforeAll(async () => {
    harness = await GatewayHarness.start({ AUTH_FAILURES_PER_ADDRESS: String(LIMIT) });
    queries = new QueryCounter(harness.app.get(DataSource));
    const signUp = await harness.inject({
      method: 'POST',
      url: '/v1/organizations',
      remoteAddress: FLOODER,
      body: { name: '智谱 训练数据 采购部', kind: 'buyer', contactEmail: 'procurement@example.cn' },
    });
    buyerKey = signUp.body.apiKey;
  }, HARNESS_START_TIMEOUT_MS);

  afterAll(async () => {
    await harness?.stop();
  });

  const me = (key: string, from: string) => harness.inject({ method: 'GET', url: '/v1/me', key, remoteAddress: from });

  it('refuses a flood of random keys with 429 and Retry-After, without touching the database, while a valid key from the same address keeps working', async () => {
    // A company's script with a valid key, behind the same NAT address as the flood.
    expect((await me(buyerKey, FLOODER)).status).toBe(200);

    queries.start();
    const first = [];
    for (let i = 0; i < LIMIT; i++) first.push(await me(guessedKey(), FLOODER));
    expect(first.map((a) => a.status)).toEqual(Array(LIMIT).fill(401));
    expect(queries.count).toBeLessThanOrEqual(LIMIT);

    queries.start();
    const flood = await Promise.all(Array.from({ length: 300 }, () => me(guessedKey(), FLOODER)));
    expect(queries.count).toBe(0);
    expect(new Set(flood.map((a) => a.status))).toEqual(new Set([429]));
    expect(flood[0].body).toMatchObject({ status: 429, code: 'RATE_LIMITED', detail: expect.stringContaining('failed authentications') });
    expect(Number(flood[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(flood[0].headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(flood[0].headers['content-type']).toContain('application/problem+json');

    // Only the failures are refused: the valid key still answers from that address.
    const valid = await me(buyerKey, FLOODER);
    expect(valid.status).toBe(200);
    expect(valid.body).toMatchObject({ role: 'buyer' });
    // And another address is judged on its own; the refusal names the key as the problem (RFC 6750).
    const refused = await me(guessedKey(), NEIGHBOUR);
    expect({ status: refused.status, challenge: refused.headers['www-authenticate'] }).toEqual({ status: 401, challenge: 'Bearer realm="trove", error="invalid_token"' });
  });

  it('serves a key that exists but was never used on this replica to a refused address', async () => {
    const created = await harness.inject({ method: 'POST', url: '/v1/api-keys', key: buyerKey, remoteAddress: NEIGHBOUR, body: { name: 'annotation-export' } });
    expect(created.status).toBe(201);
    const refused = await me(guessedKey(), FLOODER);
    expect(refused.status).toBe(429);
    // Issued a moment ago, never used: known to exist, so it costs the one lookup any key does.
    queries.start();
    expect((await me(created.body.key, FLOODER)).status).toBe(200);
    expect(queries.count).toBeLessThanOrEqual(1);
  });

  it('counts wrong secrets of a real key id and malformed headers as failures too', async () => {
    const address = '192.0.2.150';
    const wrongSecret = `${buyerKey.slice(0, 37)}${randomBytes(32).toString('base64url')}`;
    const answers = [];
    for (let i = 0; i < LIMIT; i++) answers.push(await me(i % 2 ? wrongSecret : 'not-a-key', address));
    expect(answers.map((a) => a.status)).toEqual(Array(LIMIT).fill(401));
    expect((await me(wrongSecret, address)).status).toBe(429);
    expect((await harness.inject({ method: 'GET', url: '/v1/me', headers: { authorization: 'Basic Og==' }, remoteAddress: address })).status).toBe(429);
  });
});
