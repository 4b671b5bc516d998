#!/usr/bin/env node
// Create each app's database if missing and run its TypeORM migrations.
//
//   node scripts/migrate.mjs [app ...]      apps: gateway catalog ordering billing delivery
//                                           (default: all five)
//
// Needs the compiled apps (`npm run build`): it loads dist/apps/<app>/src/data-source.js,
// whose createDataSource(url) returns that app's (uninitialized) TypeORM DataSource.
//
// Which database DATABASE_URL means (default postgres://postgres@127.0.0.1:5432/postgres):
//   - Its database is `trove_<app>` of an app being migrated, or exactly ONE app is given and
//     its database is anything other than `postgres`/`template1`/none: it is that app's OWN
//     database and is used as is. This is the Docker/Kubernetes case:
//       DATABASE_URL=postgres://u:p@db:5432/trove_catalog node scripts/migrate.mjs catalog
//     If that database does not exist yet, it is created through the `postgres` database of the
//     same server when the user may (otherwise create it beforehand).
//     A `trove_<other app>` database is refused: that is another app's database.
//   - Otherwise it names the SERVER: every app gets `trove_<app>` on it, created if missing.
//     Without DATABASE_URL, a local PostgreSQL is found or started as npm start does
//     (scripts/lib/infra.mjs), and an embedded one it started is stopped at the end.
//
// Migrations run with { transaction: 'each' } while holding a PostgreSQL advisory lock in that
// database, so replicas that all migrate at start-up (an init container each) take turns
// instead of racing. Prints one line per app; exit code 1 if any app failed.
//
// Importable: migrateApp(app, url) migrates one app's database (which must exist) and returns
// the names of the migrations it ran; migrateApps({ apps, serverUrl, log }) is what npm start
// uses.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { createDatabase, databaseNameOf, databaseUrlFor, ensureInfrastructure, redact } from './lib/infra.mjs';
import { APP_NAMES, ROOT, UserError, appDataSource, createLog } from './lib/util.mjs';

// Any constant will do; every migrating process of every app uses it in its own database.
const MIGRATION_LOCK = 0x74726f7665; // 'trove'
const SERVER_DATABASES = new Set(['', 'postgres', 'template1']);

// TROVE_DATABASE_PREFIX (default trove) names the databases <prefix>_<app>: a test that runs
// npm start uses its own, so it never touches a developer's.
const DATABASE_PREFIX = process.env.TROVE_DATABASE_PREFIX || 'trove';
if (!/^[a-z][a-z0-9_]{0,40}$/.test(DATABASE_PREFIX)) throw new Error(`TROVE_DATABASE_PREFIX must be lowercase letters, digits and _, got ${DATABASE_PREFIX}`);
export const databaseNameFor = (app) => `${DATABASE_PREFIX}_${app}`;

function loadDataSourceFactory(app, root) {
  const file = appDataSource(root, app);
  if (!fs.existsSync(file)) {
    throw new UserError(`${path.relative(process.cwd(), file) || file} not found: build the apps first (npm run build)`);
  }
  const require = createRequire(path.join(root, 'package.json'));
  const mod = require(file);
  const factory = mod.createDataSource ?? mod.default?.createDataSource;
  if (typeof factory !== 'function') {
    throw new UserError(`${path.relative(root, file)} does not export createDataSource(url)`);
  }
  return factory;
}

/** Migrate the existing database at `url` for `app`. Returns the names of the migrations run. */
export async function migrateApp(app, url, { root = ROOT } = {}) {
  if (!APP_NAMES.includes(app)) throw new UserError(`unknown app "${app}" (apps: ${APP_NAMES.join(', ')})`);
  const createDataSource = loadDataSourceFactory(app, root);
  const lock = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  lock.on('error', () => {});
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const dataSource = createDataSource(url);
    await dataSource.initialize();
    try {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    // Ending the session releases the advisory lock too.
    await lock.end().catch(() => {});
  }
}

/** Create the database of `url` (through `postgres` on the same server) if it does not exist. */
async function ensureDatabaseExists(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return false;
  } catch (err) {
    if (err.code !== '3D000') throw err; // 3D000: database does not exist
  } finally {
    await client.end().catch(() => {});
  }
  return createDatabase(databaseUrlFor(url, 'postgres'), databaseNameOf(url));
}

function describe(app, database, created, ran) {
  const what = ran.length === 0 ? 'up to date, 0 migrations ran' : `${ran.length} migration${ran.length === 1 ? '' : 's'} ran: ${ran.join(', ')}`;
  return `${app.padEnd(9)} ${database.padEnd(15)} ${created ? 'created, ' : ''}${what}`;
}

/**
 * One target per app: { app, url, create } where `create` says whether to CREATE DATABASE
 * trove_<app> on the server (server mode) or ensure the given database exists (as-is mode).
 * See the header for the rule.
 */
export function planTargets(apps, databaseUrl, { serverOnly = false } = {}) {
  const dbName = databaseNameOf(databaseUrl);
  const owner = APP_NAMES.find((app) => databaseNameFor(app) === dbName);
  if (!serverOnly && owner && apps.length === 1 && apps[0] !== owner) {
    throw new UserError(`DATABASE_URL names ${dbName}, the database of ${owner}, not of ${apps[0]}`);
  }
  const asIs = !serverOnly && apps.length === 1 && (owner || !SERVER_DATABASES.has(dbName));
  if (asIs) return { mode: 'database', targets: [{ app: apps[0], url: databaseUrl, database: dbName }] };
  return {
    mode: 'server',
    targets: apps.map((app) => ({ app, url: databaseUrlFor(databaseUrl, databaseNameFor(app)), database: databaseNameFor(app) })),
  };
}

/**
 * Server mode for npm start / npm test: create trove_<app> on `serverUrl` and migrate, all apps
 * in parallel (separate databases), printing one line per app in order. Throws after all
 * finished if any failed.
 */
export async function migrateApps({ apps = APP_NAMES, serverUrl, log, root = ROOT, out = (line) => log.info(line) }) {
  const { targets } = planTargets(apps, serverUrl, { serverOnly: true });
  return runTargets(targets, { mode: 'server', serverUrl, root, out });
}

async function runTargets(targets, { mode, serverUrl, root, out }) {
  const results = await Promise.allSettled(
    targets.map(async (t) => {
      const created = mode === 'server' ? await createDatabase(serverUrl, t.database) : await ensureDatabaseExists(t.url);
      const ran = await migrateApp(t.app, t.url, { root });
      return { created, ran };
    }),
  );
  let failures = 0;
  results.forEach((r, i) => {
    const t = targets[i];
    if (r.status === 'fulfilled') {
      out(describe(t.app, t.database, r.value.created, r.value.ran));
    } else {
      failures += 1;
      const err = r.reason;
      // Database and network errors (QueryFailedError, a SQLSTATE or errno code) say enough in one line.
      const oneLine = err instanceof UserError || err?.name === 'QueryFailedError' || typeof err?.code === 'string';
      const message = oneLine ? err.message : (err?.stack ?? String(err)).split('\n').slice(0, 6).join('\n    ');
      out(`${t.app.padEnd(9)} ${t.database.padEnd(15)} FAILED: ${message}`);
    }
  });
  if (failures) throw new UserError(`migrations failed for ${failures} of ${targets.length} app${targets.length === 1 ? '' : 's'}`);
  return results.map((r) => r.value);
}

async function main(argv) {
  const log = createLog('migrate');
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`usage: node scripts/migrate.mjs [app ...]   (apps: ${APP_NAMES.join(' ')}; default all)\n`);
    return 0;
  }
  const apps = argv.length ? [...new Set(argv)] : APP_NAMES;
  const unknown = apps.filter((a) => !APP_NAMES.includes(a));
  if (unknown.length) {
    log.error(`unknown app${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (apps: ${APP_NAMES.join(', ')})`);
    return 2;
  }
  const out = (line) => process.stdout.write(`${line}\n`);
  const explicit = process.env.DATABASE_URL?.trim();
  if (explicit) {
    const plan = planTargets(apps, explicit);
    if (plan.mode === 'database') {
      await runTargets(plan.targets, { mode: 'database', root: ROOT, out });
      return 0;
    }
  }
  // Server mode: find (or start) the server like npm start does.
  const infra = await ensureInfrastructure({ root: ROOT, log, nats: false });
  try {
    if (!explicit) log.info(`server: ${redact(infra.databaseUrl)} (${infra.postgres.source})`);
    await migrateApps({ apps, serverUrl: infra.databaseUrl, log, out });
  } finally {
    await infra.stop();
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      createLog('migrate').error(err instanceof UserError ? err.message : err?.stack ?? String(err));
      process.exit(1);
    },
  );
}
