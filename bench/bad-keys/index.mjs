// bad-keys: how many requests per second the gateway turns away during a flood of random,
// well-formed API keys, against how many it serves with a valid key, on the same gateway in the
// same run. The flood is what guessing keys looks like: every request a new key id.
import { randomBytes } from 'node:crypto';
import { compare } from '../lib/load.mjs';
import { BenchProcess, freePort } from '../lib/processes.mjs';

/** A key nobody was given, in the form the gateway accepts: each one would be a new lookup. */
function guessedKey() {
  return `trv_${randomBytes(16).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}

export default {
  name: 'bad-keys',
  title: 'Bad keys: GET /v1/me during a flood of random API keys (turned away), against the same route with a valid key (served)',
  target: 'turning a bad key away costs no more than serving a valid one (ratio at least 1.00)',
  async run(ctx) {
    const gatewayDb = await ctx.appDatabase('gateway');
    const processes = [];
    try {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      // The failure limit at its default (30 a minute per address): the load comes from one
      // address, as a flood from one client would. Rate limits per key and address are out of the way.
      const gateway = new BenchProcess('gateway', ctx.appMain('gateway'), {
        DATABASE_URL: gatewayDb,
        NATS_URL: ctx.natsUrl,
        TROVE_NAMESPACE: ctx.namespace,
        TROVE_ADMIN_KEY: ctx.adminKey,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_PER_KEY: '100000',
        RATE_LIMIT_PER_ORGANIZATION: '100000',
        RATE_LIMIT_PER_ADDRESS: '100000',
      });
      processes.push(gateway.start());
      await gateway.ready(`${url}/health/ready`);

      const signUp = await fetch(`${url}/v1/organizations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: '百川智能 预训练数据采购', kind: 'buyer', contactEmail: 'data@example.cn' }),
      });
      if (signUp.status !== 201) throw new Error(`sign-up answered ${signUp.status}`);
      const { apiKey } = await signUp.json();
      const valid = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${apiKey}` } });
      if (valid.status !== 200) throw new Error(`the valid key answered ${valid.status}`);
      const guessed = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${guessedKey()}` } });
      if (guessed.status !== 401) throw new Error(`a guessed key answered ${guessed.status}, not 401`);

      // Both sides build every request afresh (setupRequest), so the load generator does the
      // same work for each; only the bad side puts a new key into it.
      const withKey = (key) => [{ method: 'GET', path: '/v1/me', setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${key()}` } }) }];
      const result = await compare(ctx, {
        load: {},
        baseline: { label: 'GET /v1/me with a valid key (200)', target: { url, processes: [gateway], requests: withKey(() => apiKey) } },
        trove: { label: 'GET /v1/me with a new random key each request (401, then 429 once the address is past its failure limit)', target: { url, processes: [gateway], requests: withKey(guessedKey), expect: [401, 429] } },
        targetRatio: 1,
      });
      const answered = (status) => result.sides.trove.runs.reduce((sum, run) => sum + (run.statuses[status] ?? 0), 0);
      return {
        ...result,
        settings: {
          'bad keys answered': `401 ×${answered(401)}, 429 ×${answered(429)} (AUTH_FAILURES_PER_ADDRESS at its default, 30 a minute)`,
        },
      };
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  },
};
