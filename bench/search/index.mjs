// search: GET /v1/datasets through the gateway (Fastify + Nest) -> NATS -> the catalog ->
// its answer cache or one search statement, over 100,000 published listings, 16 clients asking
// a seeded Zipf-like mix of a few thousand distinct searches (Chinese, English and mixed words,
// filters, sorts, page sizes, later pages; bench/search/queries.mjs). Baseline: the very same
// statements (built by the catalog's own code from dist/) run directly with pg by 16 clients,
// in the same run, on the same database, in the same order, without any cache. Trove is
// measured twice: with its cache (the realistic mix the target is judged on, with the hit rate
// it reached) and cold, with the catalog's cache turned off.
import autocannon from 'autocannon';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { broke } from '../lib/load.mjs';
import { BenchProcess, cpuSeconds, freePort } from '../lib/processes.mjs';
import { generate } from './generate.mjs';
import { pathOf, QUERIES, queryUniverse, requestOf, zipfSequence } from './queries.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

const DATASETS = Number(process.env.BENCH_SEARCH_DATASETS ?? 100_000);
/** Distinct searches in the mix, and how steeply their popularity falls (1 / rank^exponent). */
const UNIVERSE = Number(process.env.BENCH_SEARCH_UNIVERSE ?? 2000);
const EXPONENT = Number(process.env.BENCH_SEARCH_ZIPF ?? 1);
/** Searches asked through the gateway and compared with the direct SQL before timing. */
const CHECKED = Number(process.env.BENCH_SEARCH_CHECKED ?? 200);
const SEQUENCE = 1_000_000;
const CLIENTS = 16;
const TARGET_RATIO = 0.4;
const TARGET_P99_MS = 50;
const SETTINGS = { LOG_LEVEL: 'warn', RATE_LIMIT_PER_ADDRESS: '100000' };

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The mix in order, read by one side from its start: each side gets the same requests in the same order. */
function reader(sequence) {
  let position = 0;
  return () => sequence[position++ % sequence.length];
}

/** `clients` loops running the next statement of the mix for `seconds`, as autocannon does requests. */
async function direct(pool, statementAt, next, clients, seconds) {
  const latencies = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const statement = statementAt(next());
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

function fire(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    instance.on('error', reject);
  });
}

/** The catalog's cache counters (trove_search_cache_total) from its /metrics. */
async function cacheCounters(catalogUrl) {
  const text = await (await fetch(`${catalogUrl}/metrics`)).text();
  const count = (outcome) => Number(text.match(new RegExp(`^trove_search_cache_total\\{outcome="${outcome}"\\} (\\d+)`, 'm'))?.[1] ?? 0);
  return { hit: count('hit'), shared: count('shared'), page: count('page'), miss: count('miss') };
}

/**
 * One Trove run, as bench/lib/load.mjs measures (warm-up, then the measured part), with every
 * request the next search of the mix, and the cache's hits and misses during the measured part.
 */
async function troveRun({ url, catalogUrl, pathAt, next, seconds, warmupSeconds, processes }) {
  const requests = [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pathAt(next()) }) }];
  await fire({ url, connections: CLIENTS, duration: warmupSeconds, requests });
  const counters = await cacheCounters(catalogUrl);
  const before = await Promise.all(processes.map((p) => cpuSeconds(p.pid)));
  const result = await fire({ url, connections: CLIENTS, duration: seconds, requests });
  const after = await Promise.all(processes.map((p) => cpuSeconds(p.pid)));
  const now = await cacheCounters(catalogUrl);
  const cache = { hit: now.hit - counters.hit, shared: now.shared - counters.shared, page: now.page - counters.page, miss: now.miss - counters.miss };
  const answered = cache.hit + cache.shared + cache.page + cache.miss;
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    non2xx: result.non2xx,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count])),
    unexpected: result.requests.total - (result.statusCodeStats?.['200']?.count ?? 0),
    errors: result.errors + result.timeouts,
    cpuSecondsPerProcess: Object.fromEntries(processes.map((p, i) => [p.name, Math.round((after[i] - before[i]) * 100) / 100])),
    cache: {
      ...cache,
      hitRate: answered > 0 ? Math.round(((cache.hit + cache.shared) / answered) * 1000) / 1000 : null,
      pageRate: answered > 0 ? Math.round((cache.page / answered) * 1000) / 1000 : null,
    },
  };
}

function summary(runs, label) {
  const mean = (pick) => Math.round(runs.reduce((sum, run) => sum + pick(run), 0) / runs.length);
  return {
    label,
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    p50Ms: mean((r) => r.latencyMs.p50),
    p99Ms: mean((r) => r.latencyMs.p99),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    unexpected: runs.reduce((sum, run) => sum + run.unexpected, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    runs,
  };
}

export default {
  name: 'search',
  title: `Search: GET /v1/datasets over ${DATASETS.toLocaleString('en')} published datasets, ${CLIENTS} clients, a Zipf mix of ${UNIVERSE.toLocaleString('en')} distinct searches with filters and facets`,
  target: `Trove p99 under ${TARGET_P99_MS} ms and at least ${TARGET_RATIO * 100} % of the same SQL run directly with pg, on the realistic mix (cache on)`,
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

    // The catalog's own connection settings at their defaults (parallel workers off, 16 MiB for a
    // sort or hash: DATABASE_PARALLEL_WORKERS, DATABASE_WORK_MEM_KB): the baseline runs the same
    // statements under the same planner settings.
    const pool = new pg.Pool({ connectionString: catalogDb, max: CLIENTS, options: '-c max_parallel_workers_per_gather=0 -c work_mem=16384kB' });
    const processes = [];
    const started = (p) => (processes.push(p), p.start());
    try {
      // The mix: later pages get the cursor of the page before, found with the direct SQL.
      const universe = queryUniverse(UNIVERSE);
      const sequence = zipfSequence(UNIVERSE, SEQUENCE, { exponent: EXPONENT });
      const queries = [];
      let missingPages = 0;
      for (const { query, page } of universe) {
        let params = new URLSearchParams(query);
        for (let p = 1; p < page; p++) {
          const statement = searchStatement(requestOf(params.toString()));
          const { rows } = await pool.query(statement.sql, statement.params);
          const { nextCursor } = searchPage(rows[0], statement);
          if (!nextCursor) {
            missingPages++;
            break;
          }
          params = new URLSearchParams(params);
          params.set('cursor', nextCursor);
        }
        queries.push(params.toString());
      }
      const statements = queries.map((query) => searchStatement(requestOf(query)));
      const paths = queries.map(pathOf);
      ctx.log(`  ${UNIVERSE} distinct searches (${universe.filter((r) => r.page > 1).length} later pages, ${missingPages} of them past the last page and asked as the page before), Zipf exponent ${EXPONENT}`);

      const catalogEnv = async (cache) => {
        const port = await freePort();
        const env = { NATS_URL: ctx.natsUrl, TROVE_NAMESPACE: ctx.namespace, ...SETTINGS, DATABASE_URL: catalogDb, PORT: String(port), ...(cache ? {} : { SEARCH_CACHE_ENTRIES: '0' }) };
        return { env, url: `http://127.0.0.1:${port}` };
      };
      const startCatalog = async (cache) => {
        const { env, url } = await catalogEnv(cache);
        const catalog = started(new BenchProcess(cache ? 'catalog' : 'catalog-cold', ctx.appMain('catalog'), env));
        await catalog.ready(`${url}/health/ready`);
        return { catalog, catalogUrl: url };
      };
      const gatewayPort = await freePort();
      const gateway = started(
        new BenchProcess('gateway', ctx.appMain('gateway'), { NATS_URL: ctx.natsUrl, TROVE_NAMESPACE: ctx.namespace, ...SETTINGS, DATABASE_URL: gatewayDb, PORT: String(gatewayPort), TROVE_ADMIN_KEY: ctx.adminKey }),
      );
      let { catalog, catalogUrl } = await startCatalog(true);
      await gateway.ready(`http://127.0.0.1:${gatewayPort}/health/ready`);
      const url = `http://127.0.0.1:${gatewayPort}`;

      // Both sides must give the same answer before anything is measured: the 24 families and
      // the first searches of the mix, each asked twice through the gateway (the second answer
      // comes from the cache).
      const checked = [...new Set([...QUERIES.keys(), ...[...new Set(sequence.slice(0, 20_000))].slice(0, CHECKED)])];
      let matched = 0;
      let empty = 0;
      for (const i of checked) {
        const { rows } = await pool.query(statements[i].sql, statements[i].params);
        const expected = searchPage(rows[0], statements[i]);
        for (const attempt of ['first', 'cached']) {
          const answer = await fetch(`${url}${paths[i]}`);
          const body = await answer.json().catch(() => null);
          if (answer.status !== 200 || JSON.stringify(body) !== JSON.stringify(expected)) {
            throw new Error(`the gateway answered ${answer.status} for ${paths[i]} (${attempt}) unlike the direct SQL: ${JSON.stringify(body)?.slice(0, 300)}`);
          }
        }
        if (i < QUERIES.length && expected.total === 0) throw new Error(`${QUERIES[i]} matches nothing: not a query worth timing`);
        if (expected.total === 0) empty++;
        matched += expected.total;
      }
      ctx.log(`  both sides agree on ${checked.length} searches, asked twice (${Math.round(matched / checked.length)} matches on average, ${empty} match nothing)`);
      // Timing starts with an empty cache.
      await catalog.stop();
      ({ catalog, catalogUrl } = await startCatalog(true));

      const runs = { baseline: [], trove: [], cold: [] };
      const nextFor = { baseline: reader(sequence), trove: reader(sequence), cold: reader(sequence) };
      const statementAt = (i) => statements[i];
      const pathAt = (i) => paths[i];
      const log = (side, run) =>
        ctx.log(
          `  ${side}: ${run.requestsPerSecond} requests/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, unexpected ${run.unexpected}, errors ${run.errors}${run.cache ? `, cache hits ${run.cache.hit} + shared ${run.cache.shared} (${Math.round(run.cache.hitRate * 100)} %), pages read by key ${run.cache.page} (${Math.round(run.cache.pageRate * 100)} %), statements ${run.cache.miss}` : ''}`,
        );
      const measureSide = async (side) => {
        let run;
        if (side === 'baseline') {
          await direct(pool, statementAt, nextFor.baseline, CLIENTS, ctx.warmupSeconds);
          run = await direct(pool, statementAt, nextFor.baseline, CLIENTS, ctx.durationSeconds);
        } else {
          run = await troveRun({ url, catalogUrl, pathAt, next: nextFor[side], seconds: ctx.durationSeconds, warmupSeconds: ctx.warmupSeconds, processes: [gateway, catalog] });
        }
        log(side, run);
        runs[side].push(run);
      };
      for (const side of ['baseline', 'trove', 'trove', 'baseline']) await measureSide(side);
      // The cold regime: the same mix with the catalog's cache turned off.
      await catalog.stop();
      ({ catalog, catalogUrl } = await startCatalog(false));
      for (const side of ['cold', 'cold']) await measureSide(side);

      const sides = {
        baseline: summary(runs.baseline, `the same search statements run directly with pg (${CLIENTS} clients, a pool of ${CLIENTS}, parallel workers off and work_mem 16 MiB as the catalog has them), no cache`),
        trove: summary(runs.trove, 'HTTP -> gateway -> NATS -> catalog -> its answer cache (exact: keyed by the published set\'s generation) or the search statement'),
      };
      const cold = summary(runs.cold, 'the same, with the catalog\'s cache off (SEARCH_CACHE_ENTRIES=0)');
      const ratio = Math.round((sides.trove.requestsPerSecond / sides.baseline.requestsPerSecond) * 100) / 100;
      const coldRatio = Math.round((cold.requestsPerSecond / sides.baseline.requestsPerSecond) * 100) / 100;
      const total = (key) => runs.trove.reduce((sum, run) => sum + run.cache[key], 0);
      const answered = total('hit') + total('shared') + total('page') + total('miss');
      const hitRate = Math.round(((total('hit') + total('shared')) / answered) * 1000) / 1000;
      const pageRate = Math.round((total('page') / answered) * 1000) / 1000;
      const coldRuns = runs.cold.map((run) => `${run.requestsPerSecond} requests/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms`).join('; ');
      return {
        connections: CLIENTS,
        durationSeconds: ctx.durationSeconds,
        sides,
        cold: { ...cold, ratio: coldRatio },
        ratio,
        hitRate,
        pageRate,
        targetRatio: TARGET_RATIO,
        targetP99Ms: TARGET_P99_MS,
        pass: ratio >= TARGET_RATIO && sides.trove.p99Ms < TARGET_P99_MS,
        broke: [...runs.baseline, ...runs.trove, ...runs.cold].some(broke),
        settings: {
          apps: `gateway and catalog from dist/, ${Object.entries(SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')}, catalog cache at its defaults, NATS namespace ${ctx.namespace}`,
          data: `${DATASETS} published datasets (7 modalities, 17 domains, Chinese and English titles, 1-2 offers each) generated in ${seconds.toFixed(1)} s by bench/search/generate.mjs`,
          mix: `a seeded Zipf draw (exponent ${EXPONENT}) over ${UNIVERSE} distinct searches (bench/search/queries.mjs): the 24 families first (${QUERIES.map((q) => `\`${q}\``).join(', ')}), then variants with other words, places, filters, price caps, sorts, page sizes and later pages; each side reads the same sequence from its start; ${checked.length} of them checked equal through the gateway (twice) and directly before timing`,
          cache: `hits (or an identical search in flight) ${Math.round(hitRate * 100)} % of the Trove runs' searches (${runs.trove.map((run) => `${Math.round(run.cache.hitRate * 100)} %`).join(', ')}), and another page size or a later page of a search whose order the catalog knew, read by key, ${Math.round(pageRate * 100)} % (${runs.trove.map((run) => `${Math.round(run.cache.pageRate * 100)} %`).join(', ')}); timing starts with an empty cache`,
          cold: `Trove with the cache off, same mix: ${cold.requestsPerSecond} requests/s, p50 ${cold.p50Ms} ms, p99 ${cold.p99Ms} ms, ratio ${coldRatio} (runs: ${coldRuns})`,
          p99: `Trove p99 ${sides.trove.p99Ms} ms on the realistic mix (target under ${TARGET_P99_MS} ms); cold ${cold.p99Ms} ms`,
        },
      };
    } finally {
      await pool.end();
      await Promise.all(processes.map((p) => p.stop()));
    }
  },
};
