// auth-overhead: an authenticated GET /v1/me against the same route with the key check
// skipped (a fixed caller instead), in the same run: what checking an API key costs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { broke, measure } from '../lib/load.mjs';
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

      const load = { requests: [{ method: 'GET', path: '/v1/me' }], headers, connections: ctx.connections, warmupSeconds: ctx.warmupSeconds, durationSeconds: ctx.durationSeconds };
      const runs = { skipped: [], checked: [] };
      for (const order of [['skipped', 'checked'], ['checked', 'skipped']]) {
        for (const side of order) {
          const run = side === 'checked' ? await measure({ ...load, url: realUrl, processes: [real] }) : await measure({ ...load, url: skippedUrl, processes: [skipped] });
          ctx.log(`  ${side}: ${run.requestsPerSecond} requests/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms`);
          runs[side].push(run);
        }
      }
      const mean = (list, pick) => Math.round(list.reduce((sum, run) => sum + pick(run), 0) / list.length);
      const baseline = mean(runs.skipped, (r) => r.requestsPerSecond);
      const trove = mean(runs.checked, (r) => r.requestsPerSecond);
      return {
        connections: ctx.connections,
        durationSeconds: ctx.durationSeconds,
        sides: {
          baseline: { label: 'GET /v1/me, key check skipped', requestsPerSecond: baseline, p50Ms: mean(runs.skipped, (r) => r.latencyMs.p50), p99Ms: mean(runs.skipped, (r) => r.latencyMs.p99), runs: runs.skipped },
          trove: { label: 'GET /v1/me, API key checked', requestsPerSecond: trove, p50Ms: mean(runs.checked, (r) => r.latencyMs.p50), p99Ms: mean(runs.checked, (r) => r.latencyMs.p99), runs: runs.checked },
        },
        ratio: Math.round((trove / baseline) * 100) / 100,
        targetRatio: 0.8,
        pass: trove / baseline >= 0.8,
        broke: [...runs.skipped, ...runs.checked].some(broke),
      };
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
    }
  },
};
