// auth-overhead: an authenticated GET /v1/me against the same route with the key check
// skipped (a fixed caller instead), in the same run: what checking an API key costs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare } from '../lib/load.mjs';
import { BenchProcess, freePort } from '../lib/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export default {
  name: 'auth-overhead',
  title: 'Authentication: GET /v1/me with its API key checked, against the same route with the check skipped',
  target: 'authentication costs at most 20 % of throughput (ratio at least 0.80)',
  async run(ctx) {
    const gatewayDb = await ctx.appDatabase('gateway');
    const processes = [];
    const env = {
      DATABASE_URL: gatewayDb,
      NATS_URL: ctx.natsUrl,
      TROVE_NAMESPACE: ctx.namespace,
      TROVE_ADMIN_KEY: ctx.adminKey,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_KEY: '100000',
      RATE_LIMIT_PER_ORGANIZATION: '100000',
      RATE_LIMIT_PER_ADDRESS: '100000',
    };
    try {
      const realPort = await freePort();
      const real = new BenchProcess('gateway (key checked)', path.join(here, 'gateway.mjs'), { ...env, PORT: String(realPort), BENCH_KEY_CHECK: 'real' });
      processes.push(real.start());
      await real.ready(`http://127.0.0.1:${realPort}/health/ready`);
      const realUrl = `http://127.0.0.1:${realPort}`;

      const signUp = await fetch(`${realUrl}/v1/organizations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: '中国移动 九天 训练数据采购', kind: 'buyer', contactEmail: 'data@example.cn' }),
      });
      if (signUp.status !== 201) throw new Error(`sign-up answered ${signUp.status}`);
      const { apiKey } = await signUp.json();
      const headers = { authorization: `Bearer ${apiKey}` };
      const me = await (await fetch(`${realUrl}/v1/me`, { headers })).json();
      const principal = { keyId: me.keyId, organizationId: me.organization.id, role: me.role, organization: me.organization };

      const skippedPort = await freePort();
      const skipped = new BenchProcess('gateway (check skipped)', path.join(here, 'gateway.mjs'), {
        ...env,
        PORT: String(skippedPort),
        BENCH_KEY_CHECK: 'skipped',
        BENCH_PRINCIPAL: JSON.stringify(principal),
      });
      processes.push(skipped.start());
      await skipped.ready(`http://127.0.0.1:${skippedPort}/health/ready`);
      const skippedUrl = `http://127.0.0.1:${skippedPort}`;
      const same = await (await fetch(`${skippedUrl}/v1/me`, { headers })).json();
      if (JSON.stringify(same) !== JSON.stringify(me)) throw new Error(`the two gateways answer differently: ${JSON.stringify(same)}`);

      return await compare(ctx, {
        load: { requests: [{ method: 'GET', path: '/v1/me' }], headers },
        baseline: { label: 'GET /v1/me, key check skipped', target: { url: skippedUrl, processes: [skipped] } },
        trove: { label: 'GET /v1/me, API key checked', target: { url: realUrl, processes: [real] } },
        targetRatio: 0.8,
      });
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  },
};
