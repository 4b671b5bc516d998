#!/usr/bin/env node
// npm run bench [entry ...]: every benchmark under bench/, each against a baseline measured in
// the same run, on the real PostgreSQL and NATS (found or started as npm start does), in
// databases and a NATS namespace of the run's own. Results go to bench/results/<entry>.json and
// .md, and bench/results/README.md sums them up. Exit code 1 only when something broke
// (errors or non-2xx answers under load), not when a target is missed: the report says that.
//
// Settings: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS
// (default 64).

import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { createDatabase, databaseUrlFor, ensureInfrastructure } from './lib/infra.mjs';
import { ROOT, appMain, buildIfNeeded, createLog, ensureDependencies } from './lib/util.mjs';

const log = createLog('bench');
const ENTRIES = ['gateway-read', 'auth-overhead'];
const RESULTS = path.join(ROOT, 'bench', 'results');

async function main() {
  await ensureDependencies({ log });
  await buildIfNeeded({ log });
  const infra = await ensureInfrastructure({ log });
  const { migrateApp } = await import('./migrate.mjs');
  const pg = createRequire(path.join(ROOT, 'package.json'))('pg');

  const run = crypto.randomBytes(4).toString('hex');
  const databases = [];
  const ctx = {
    natsUrl: infra.natsUrl,
    namespace: `bench${run}`,
    adminKey: `trv_${crypto.randomUUID().replace(/-/g, '')}_${crypto.randomBytes(32).toString('base64url')}`,
    connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
    durationSeconds: Number(process.env.BENCH_DURATION ?? 10),
    warmupSeconds: Number(process.env.BENCH_WARMUP ?? 3),
    appMain: (app) => appMain(ROOT, app),
    log: (line) => log.info(line),
    /** A fresh, migrated database for an app; dropped at the end of the run. */
    async appDatabase(app) {
      const name = `trove_bench_${run}_${app}_${databases.length}`;
      await createDatabase(infra.databaseUrl, name);
      databases.push(name);
      const url = databaseUrlFor(infra.databaseUrl, name);
      await migrateApp(app, url);
      return url;
    },
  };

  const selected = process.argv.slice(2).length ? process.argv.slice(2) : ENTRIES;
  const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, date: new Date().toISOString() };
  const summaries = [];
  let failed = false;
  try {
    for (const name of selected) {
      const entry = (await import(path.join(ROOT, 'bench', name, 'index.mjs'))).default;
      log.info(`${entry.name}: ${entry.title}`);
      const result = { entry: entry.name, title: entry.title, target: entry.target, machine, ...(await entry.run(ctx)) };
      fs.mkdirSync(RESULTS, { recursive: true });
      fs.writeFileSync(path.join(RESULTS, `${entry.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
      fs.writeFileSync(path.join(RESULTS, `${entry.name}.md`), markdown(result));
      summaries.push(result);
      if (result.broke) {
        failed = true;
        log.error(`${entry.name}: errors or non-2xx answers under load (see bench/results/${entry.name}.json)`);
      }
    }
  } finally {
    const admin = new pg.Client({ connectionString: infra.databaseUrl });
    await admin.connect();
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await deleteStream(ctx.namespace, infra.natsUrl);
    await infra.stop?.();
  }
  fs.writeFileSync(path.join(RESULTS, 'README.md'), summary(summaries, machine));
  process.stdout.write(`\n${table(summaries)}\n`);
  process.exit(failed ? 1 : 0);
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

function table(results) {
  const rows = results.map((r) => {
    const { baseline, trove } = r.sides;
    return `| ${r.entry} | ${baseline.requestsPerSecond} (p50 ${baseline.p50Ms} / p99 ${baseline.p99Ms} ms) | ${trove.requestsPerSecond} (p50 ${trove.p50Ms} / p99 ${trove.p99Ms} ms) | ${r.ratio} | ≥ ${r.targetRatio} | ${r.pass ? 'pass' : 'MISS'} |`;
  });
  return ['| entry | baseline requests/s | Trove requests/s | ratio | target | |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

function markdown(r) {
  const runLine = (side, run, i) =>
    `| ${side} ${i + 1} | ${run.requestsPerSecond} | ${run.latencyMs.p50} | ${run.latencyMs.p99} | ${run.non2xx} | ${run.errors} | ${Object.entries(run.cpuSecondsPerProcess).map(([k, v]) => `${k} ${v}`).join(', ')} |`;
  return [
    `# ${r.title}`,
    '',
    `Target: ${r.target}. Measured ${r.machine.date} on ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}; the load generator runs on the same cores. ${r.connections} connections, ${r.durationSeconds} s per run after a warm-up, runs alternating between the two sides.`,
    '',
    `- baseline: ${r.sides.baseline.label}`,
    `- Trove: ${r.sides.trove.label}`,
    '',
    '| run | requests/s | p50 ms | p99 ms | non-2xx | errors | CPU seconds during the run |',
    '|---|---|---|---|---|---|---|',
    ...r.sides.baseline.runs.map((run, i) => runLine('baseline', run, i)),
    ...r.sides.trove.runs.map((run, i) => runLine('Trove', run, i)),
    '',
    `Mean: baseline ${r.sides.baseline.requestsPerSecond} requests/s, Trove ${r.sides.trove.requestsPerSecond} requests/s, ratio **${r.ratio}** (target ≥ ${r.targetRatio}: ${r.pass ? 'pass' : 'missed'}).`,
    '',
  ].join('\n');
}

function summary(results, machine) {
  return [
    '# Benchmark results',
    '',
    `Last run ${machine.date}, ${machine.cores} cores, Node ${machine.node}. Written by \`npm run bench\`; each entry has its own .md and .json here.`,
    '',
    table(results),
    '',
  ].join('\n');
}

main().catch((error) => {
  log.error(error?.stack ?? String(error));
  process.exit(1);
});
