// search: GET /v1/datasets through the gateway (Fastify + Nest) -> NATS -> the catalog ->
// one search statement, over 100,000 published listings, 16 clients cycling through a mix of
// Chinese, English and mixed words with filters, sorts and facets. Baseline: the very same
// statements (built by the catalog's own code from dist/) run directly with pg by 16 clients,
// in the same run, on the same database.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { broke, measure } from '../lib/load.mjs';
import { BenchProcess, freePort } from '../lib/processes.mjs';
import { generate } from './generate.mjs';
import { pathOf, QUERIES, requestOf } from './queries.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

const DATASETS = Number(process.env.BENCH_SEARCH_DATASETS ?? 100_000);
const CLIENTS = 16;
const TARGET_RATIO = 0.4;
const TARGET_P99_MS = 50;
const SETTINGS = { LOG_LEVEL: 'warn', RATE_LIMIT_PER_ADDRESS: '100000' };

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** `clients` loops running the statements round-robin for `seconds`, as autocannon does requests. */
async function direct(pool, statements, clients, seconds) {
  const latencies = [];
  let errors = 0;
  let next = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const statement = statements[next++ % statements.length];
        const started = process.hrtime.bigint();
        try {
          await pool.query(statement.sql, statement.params);
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        } catch {
          errors++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const round = (ms) => Math.round(ms * 10) / 10;
  return {
    requestsPerSecond: Math.round(latencies.length / seconds),
    latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies[latencies.length - 1] ?? 0) },
    requests: latencies.length,
    non2xx: 0,
    statuses: { ok: latencies.length },
    unexpected: 0,
    errors,
    cpuSecondsPerProcess: {},
  };
}

export default {
  name: 'search',
  title: `Search: GET /v1/datasets over ${DATASETS.toLocaleString('en')} published datasets, ${CLIENTS} clients, mixed queries with filters and facets`,
  target: `Trove p99 under ${TARGET_P99_MS} ms and at least ${TARGET_RATIO * 100} % of the same SQL run directly with pg`,
  async run(ctx) {
    const { searchStatement, searchPage } = require(path.join(ROOT, 'dist/apps/catalog/src/search/search-query.js'));
    const catalogDb = await ctx.appDatabase('catalog');
    const gatewayDb = await ctx.appDatabase('gateway');
    const loader = new pg.Client({ connectionString: catalogDb });
    await loader.connect();
    let seconds;
    try {
      seconds = await generate(loader, DATASETS);
    } finally {
      await loader.end();
    }
    ctx.log(`  generated ${DATASETS} published datasets in ${seconds.toFixed(1)} s`);

    const statements = QUERIES.map((query) => searchStatement(requestOf(query)));
    const requests = QUERIES.map((query) => ({ method: 'GET', path: pathOf(query) }));
    const pool = new pg.Pool({ connectionString: catalogDb, max: CLIENTS });
    const processes = [];
    const started = (p) => (processes.push(p), p.start());
    try {
      const catalogPort = await freePort();
      const gatewayPort = await freePort();
      const common = { NATS_URL: ctx.natsUrl, TROVE_NAMESPACE: ctx.namespace, ...SETTINGS };
      const catalog = started(new BenchProcess('catalog', ctx.appMain('catalog'), { ...common, DATABASE_URL: catalogDb, PORT: String(catalogPort) }));
      const gateway = started(new BenchProcess('gateway', ctx.appMain('gateway'), { ...common, DATABASE_URL: gatewayDb, PORT: String(gatewayPort), TROVE_ADMIN_KEY: ctx.adminKey }));
      await catalog.ready(`http://127.0.0.1:${catalogPort}/health/ready`);
      await gateway.ready(`http://127.0.0.1:${gatewayPort}/health/ready`);
      const url = `http://127.0.0.1:${gatewayPort}`;

      // Both sides must give the same answer to every query before anything is measured.
      let matched = 0;
      for (const [i, statement] of statements.entries()) {
        const { rows } = await pool.query(statement.sql, statement.params);
        const expected = searchPage(rows[0], statement.limit, statement.currency, statement.sort);
        const answer = await fetch(`${url}${requests[i].path}`);
        const body = await answer.json().catch(() => null);
        const ids = (page) => page?.items?.map((item) => item.id).join(',');
        if (answer.status !== 200 || body.total !== expected.total || ids(body) !== ids(expected) || JSON.stringify(body.facets) !== JSON.stringify(expected.facets)) {
          throw new Error(`the gateway answered ${answer.status} for ${requests[i].path} unlike the direct SQL: ${JSON.stringify(body)?.slice(0, 300)}`);
        }
        if (expected.total === 0) throw new Error(`${QUERIES[i]} matches nothing: not a query worth timing`);
        matched += expected.total;
      }
      ctx.log(`  both sides agree on all ${QUERIES.length} queries (${Math.round(matched / QUERIES.length)} matches on average)`);

      const runs = { baseline: [], trove: [] };
      const timing = { connections: CLIENTS, warmupSeconds: ctx.warmupSeconds, durationSeconds: ctx.durationSeconds };
      for (const order of [['baseline', 'trove'], ['trove', 'baseline']]) {
        for (const side of order) {
          let run;
          if (side === 'baseline') {
            await direct(pool, statements, CLIENTS, ctx.warmupSeconds);
            run = await direct(pool, statements, CLIENTS, ctx.durationSeconds);
          } else {
            run = await measure({ ...timing, url, requests, processes: [gateway, catalog], expect: [200] });
          }
          ctx.log(`  ${side}: ${run.requestsPerSecond} requests/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, unexpected ${run.unexpected}, errors ${run.errors}`);
          runs[side].push(run);
        }
      }
      const mean = (list, pick) => Math.round(list.reduce((sum, run) => sum + pick(run), 0) / list.length);
      const summary = (side, label) => ({
        label,
        requestsPerSecond: mean(runs[side], (r) => r.requestsPerSecond),
        p50Ms: mean(runs[side], (r) => r.latencyMs.p50),
        p99Ms: mean(runs[side], (r) => r.latencyMs.p99),
        non2xx: runs[side].reduce((sum, run) => sum + run.non2xx, 0),
        unexpected: runs[side].reduce((sum, run) => sum + run.unexpected, 0),
        errors: runs[side].reduce((sum, run) => sum + run.errors, 0),
        runs: runs[side],
      });
      const sides = {
        baseline: summary('baseline', `the same search statements run directly with pg (${CLIENTS} clients, a pool of ${CLIENTS})`),
        trove: summary('trove', 'HTTP -> gateway -> NATS -> catalog -> the search statement'),
      };
      const ratio = Math.round((sides.trove.requestsPerSecond / sides.baseline.requestsPerSecond) * 100) / 100;
      return {
        connections: CLIENTS,
        durationSeconds: ctx.durationSeconds,
        sides,
        ratio,
        targetRatio: TARGET_RATIO,
        targetP99Ms: TARGET_P99_MS,
        pass: ratio >= TARGET_RATIO && sides.trove.p99Ms < TARGET_P99_MS,
        broke: [...runs.baseline, ...runs.trove].some(broke),
        settings: {
          apps: `gateway and catalog from dist/, ${Object.entries(SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')}, NATS namespace ${ctx.namespace}`,
          data: `${DATASETS} published datasets (7 modalities, 17 domains, Chinese and English titles, 1-2 offers each) generated in ${seconds.toFixed(1)} s by bench/search/generate.mjs`,
          queries: QUERIES.map((q) => `\`${q}\``).join(', '),
          p99: `Trove p99 ${sides.trove.p99Ms} ms (target under ${TARGET_P99_MS} ms)`,
        },
      };
    } finally {
      await pool.end();
      await Promise.all(processes.map((p) => p.stop()));
    }
  },
};
