#!/usr/bin/env node
// Static checks of the deployment files: Dockerfile, .dockerignore, docker-compose.yml and
// the kustomize trees under deploy/k8s, held to the settings the apps read. No cluster and no
// Docker engine needed.
//
//   node scripts/check-deploy.mjs            # skips what needs a missing tool, says so
//   node scripts/check-deploy.mjs --strict   # a skipped check counts as a failure
//
// Uses Node's standard library, `kubectl` (for `kubectl kustomize`) and `docker compose`
// when they are on the PATH, `typescript` (to read the apps' config classes: which settings
// exist, their defaults and rules), a YAML parser (`yaml`, else `js-yaml`) and, when installed,
// `kubernetes-models` to validate every rendered object against the Kubernetes schemas.
// Exits 1 when a check fails.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const APPS = { gateway: 3000, catalog: 3001, ordering: 3002, billing: 3003, delivery: 3004 };
const K8S_DIR = path.join(ROOT, 'deploy', 'k8s');
const TARGETS = ['base', 'overlays/dev', 'overlays/production'];
const STRICT = process.argv.includes('--strict');

// ---------------------------------------------------------------- reporting

const tally = { passed: 0, failed: 0, skipped: 0 };
const section = (title) => console.log(`\n== ${title}`);
const pass = (msg) => {
  tally.passed++;
  console.log(`  ok    ${msg}`);
};
const fail = (msg) => {
  tally.failed++;
  console.log(`  FAIL  ${msg}`);
};
const skip = (msg) => {
  if (STRICT) return fail(`${msg} (skipped, --strict)`);
  tally.skipped++;
  console.log(`  skip  ${msg}`);
};
/** One line per subject: ok with what was checked, or FAIL with every problem found. */
function report(subject, checked, problems) {
  if (problems.length === 0) pass(`${subject}: ${checked}`);
  else for (const p of problems) fail(`${subject}: ${p}`);
}

// ---------------------------------------------------------------- helpers

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  return { ok: !r.error && r.status === 0, missing: r.error?.code === 'ENOENT', stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error.message) : '') };
}
// kubectl wraps its messages in a klog line: keep the message itself
const firstLines = (s, n = 6) =>
  s
    .trim()
    .split('\n')
    .slice(0, n)
    .map((l) => l.match(/err="(.*)"$/)?.[1]?.replace(/\\"/g, '"') ?? l)
    .join(' | ');
const read = (rel) => fs.readFileSync(path.join(ROOT, rel), 'utf8');
const exists = (rel) => fs.existsSync(path.join(ROOT, rel));

/** Applies YAML merge keys (`<<: *anchor`) that a YAML 1.2 parser leaves in place. */
function resolveMerges(node) {
  if (Array.isArray(node)) return node.map(resolveMerges);
  if (!node || typeof node !== 'object') return node;
  const out = {};
  if ('<<' in node) for (const src of [].concat(node['<<']).reverse()) Object.assign(out, resolveMerges(src));
  for (const [k, v] of Object.entries(node)) if (k !== '<<') out[k] = resolveMerges(v);
  return out;
}

async function loadYamlParser() {
  try {
    const y = await import('yaml');
    return {
      name: 'yaml',
      parse: (s) => resolveMerges(y.parse(s, { merge: true })),
      parseAll: (s) =>
        y.parseAllDocuments(s, { merge: true }).map((d) => {
          if (d.errors?.length) throw d.errors[0];
          return d.toJS({ maxAliasCount: -1 });
        }),
    };
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  try {
    const m = await import('js-yaml');
    const y = m.default ?? m;
    return { name: 'js-yaml', parse: (s) => resolveMerges(y.load(s)), parseAll: (s) => y.loadAll(s) };
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  return null;
}

/** .dockerignore semantics, simplified: last matching pattern wins, `!` re-includes. */
function dockerignoreMatcher(text) {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
      const src = pattern
        .split('/')
        .map((seg) => (seg === '**' ? '.*' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${src}$`) };
    });
  return (rel) => {
    // a path is excluded when it, or a directory above it, matches the last applicable rule
    const parts = rel.split('/');
    let excluded = false;
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      for (const r of rules) if (r.re.test(prefix)) excluded = !r.negate;
    }
    return excluded;
  };
}

// ---------------------------------------------------------------- Dockerfile

function parseDockerfile(text) {
  const lines = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!cur && /^\s*#/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      cur += line.replace(/\\\s*$/, ' ');
      continue;
    }
    cur += line;
    if (cur.trim()) {
      const m = cur.trim().match(/^(\w+)\s*(.*)$/s);
      if (m) lines.push({ op: m[1].toUpperCase(), args: m[2].trim() });
    }
    cur = '';
  }
  const globalArgs = {};
  const stages = [];
  for (const ins of lines) {
    if (ins.op === 'FROM') stages.push({ from: ins.args, ins: [] });
    else if (stages.length === 0 && ins.op === 'ARG') {
      const [k, v] = ins.args.split('=');
      globalArgs[k.trim()] = v?.trim();
    } else if (stages.length) stages.at(-1).ins.push(ins);
  }
  return { globalArgs, stages, all: lines };
}

async function checkDocker() {
  section('Dockerfile and .dockerignore');
  if (!exists('Dockerfile')) return fail('Dockerfile is missing');
  let lint = null;
  try {
    lint = await import('dockerfile-utils');
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  }
  if (!lint) skip('Dockerfile syntax: dockerfile-utils is not installed (npm i -D dockerfile-utils@0.16.3)');
  else {
    const diags = (lint.validate ?? lint.default.validate)(read('Dockerfile'));
    const at = (d) => `line ${d.range.start.line + 1}: ${d.message}`;
    for (const w of diags.filter((d) => d.severity !== 1)) console.log(`  note  Dockerfile ${at(w)}`);
    report('Dockerfile syntax', 'every instruction and flag is valid (dockerfile-utils)', diags.filter((d) => d.severity === 1).map(at));
  }
  const df = parseDockerfile(read('Dockerfile'));
  const final = df.stages.at(-1);
  const finalOps = (op) => final.ins.filter((i) => i.op === op);
  const problems = [];

  const resolveImage = (from) => from.split(/\s+/)[0].replace(/\$\{?(\w+)\}?/g, (_, k) => df.globalArgs[k] ?? `$${k}`);
  const images = df.stages.map((s) => resolveImage(s.from)).filter((i) => !df.stages.some((s) => s.from.match(/\bAS\s+(\S+)/i)?.[1] === i));
  // The Node major the project runs on is written once, in .nvmrc.
  const nodeImage = `node:${read('.nvmrc').trim()}-bookworm-slim`;
  if (!images.every((i) => i === nodeImage)) problems.push(`base images should be ${nodeImage} (.nvmrc), found ${[...new Set(images)].join(', ')}`);
  if (df.stages.length < 2) problems.push('expected a multi-stage build');
  report('base image', `${df.stages.length} stages, all FROM ${nodeImage}`, problems.splice(0));

  const argApp = finalOps('ARG').some((i) => /^APP(=|$)/.test(i.args)) || 'APP' in df.globalArgs;
  if (!argApp) problems.push('no `ARG APP` in the final stage');
  const cmd = [...finalOps('CMD'), ...finalOps('ENTRYPOINT')].map((i) => i.args).join(' ');
  if (!/dist\/apps\/\$\{?APP\}?\/src\/main\.js/.test(cmd)) problems.push(`CMD/ENTRYPOINT does not run dist/apps/\${APP}/src/main.js (found: ${cmd || 'none'})`);
  report('APP', 'ARG APP in the final stage; CMD runs dist/apps/${APP}/src/main.js', problems.splice(0));

  // every app the compose file and the kustomize trees build has the main.ts the CMD runs compiled
  for (const app of Object.keys(APPS)) if (!exists(`apps/${app}/src/main.ts`)) problems.push(`apps/${app}/src/main.ts is missing: dist/apps/${app}/src/main.js would not be built`);
  try {
    const tsconfig = JSON.parse(read('tsconfig.json').replace(/^\s*\/\/.*$/gm, ''));
    const build = JSON.parse(read('tsconfig.build.json'));
    const options = { ...tsconfig.compilerOptions, ...build.compilerOptions };
    if (path.posix.normalize(options.outDir ?? '') !== 'dist' || path.posix.normalize(options.rootDir ?? '') !== '.') problems.push(`tsconfig compiles to ${options.outDir} from ${options.rootDir}: main.js would not be at dist/apps/<app>/src/main.js`);
    if (!(build.include ?? []).some((g) => /^apps\/\*\*/.test(g))) problems.push('tsconfig.build.json does not include apps/**');
  } catch {
    /* tsconfig with comments or trailing commas: the build itself will tell */
  }
  report('apps', `${Object.keys(APPS).join(', ')}: apps/<app>/src/main.ts compiled to dist/apps/<app>/src/main.js, which CMD runs for APP=<app>`, problems.splice(0));

  const users = finalOps('USER');
  const user = users.at(-1)?.args.split(':')[0];
  if (!user) problems.push('no USER in the final stage (would run as root)');
  else if (user === 'root' || user === '0') problems.push(`final USER is ${user}`);
  else if (!/^\d+$/.test(user)) problems.push(`USER ${user} is not numeric: Kubernetes runAsNonRoot cannot verify a user name`);
  report('user', `final stage runs as non-root USER ${user ?? '?'}`, problems.splice(0));

  const allRuns = df.all.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
  if (!/npm ci\b/.test(allRuns) || !/npm run build\b/.test(allRuns)) problems.push('expected `npm ci` and `npm run build` in a build stage');
  if (!/npm ci\b[^\n]*--omit=dev/.test(allRuns)) problems.push('expected `npm ci --omit=dev` for the runtime dependencies');
  report('build', 'npm ci + npm run build; npm ci --omit=dev for runtime', problems.splice(0));

  const hc = finalOps('HEALTHCHECK').at(-1)?.args ?? '';
  if (!hc || /^NONE\b/i.test(hc)) problems.push('no HEALTHCHECK in the final stage');
  else {
    if (/\bcurl\b|\bwget\b/.test(hc)) problems.push('HEALTHCHECK uses curl/wget, which node:*-slim does not have');
    const script = hc.match(/([\w./-]+\.c?m?js)/)?.[1];
    const copied = script && finalOps('COPY').find((i) => i.args.split(/\s+/).at(-1).replace(/^\.\//, '') === path.basename(script));
    const src = copied ? copied.args.split(/\s+/).filter((a) => !a.startsWith('--'))[0] : null;
    const body = src && exists(src) ? read(src) : hc;
    if (!/health\/(\$\{which\}|live)|\/health\/live/.test(body) || !/\blive\b/.test(hc + body)) problems.push('HEALTHCHECK does not probe /health/live');
    if (!/\bnode\b/.test(hc)) problems.push('HEALTHCHECK does not use node');
  }
  report('healthcheck', 'HEALTHCHECK probes /health/live with node', problems.splice(0));

  if (!exists('.dockerignore')) return fail('.dockerignore is missing');
  const ignored = dockerignoreMatcher(read('.dockerignore'));
  for (const p of ['node_modules', 'dist', '.git', '.env', 'apps/x/node_modules', 'deploy/k8s/overlays/production/secrets/gateway.env']) {
    if (!ignored(p)) problems.push(`${p} is not excluded from the build context`);
  }
  for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'apps/gateway/src/main.ts', 'libs/platform/src/index.ts', 'scripts/migrate.mjs']) {
    if (ignored(p)) problems.push(`${p} is excluded from the build context but the build needs it`);
  }
  // whatever tsconfig.build.json compiles must be in the context
  try {
    const include = JSON.parse(read('tsconfig.build.json')).include ?? [];
    for (const glob of include) {
      const probe = `${glob.split('*')[0].replace(/\/?$/, '/')}x.ts`;
      if (ignored(probe)) problems.push(`${glob} (tsconfig.build.json include) is excluded from the build context`);
    }
  } catch {
    /* tsconfig.build.json with comments: skip this part */
  }
  // every COPY from the context must exist and survive .dockerignore
  for (const stage of df.stages)
    for (const ins of stage.ins.filter((i) => i.op === 'COPY' && !/--from=/.test(i.args))) {
      const srcs = ins.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const s of srcs) {
        if (s === '.' || s.includes('*')) continue;
        const rel = s.replace(/^\.\//, '');
        if (!exists(rel)) problems.push(`COPY ${s}: not in the repository`);
        else if (ignored(rel)) problems.push(`COPY ${s}: excluded by .dockerignore`);
      }
    }
  report('.dockerignore', 'excludes node_modules, dist, .git, .env and overlay secrets; keeps sources and every COPY source', problems.splice(0));
}

// ---------------------------------------------------------------- docker-compose.yml

function envMap(env) {
  if (!env) return {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0], e.includes('=') ? e.slice(e.indexOf('=') + 1) : undefined]));
  return env;
}
function argsMap(args) {
  return envMap(args);
}
function publishedPorts(ports = []) {
  return ports.map((p) => {
    if (typeof p === 'object') return `${p.published}:${p.target}`;
    const parts = String(p).split(':');
    return parts.slice(-2).join(':').replace(/\/tcp$/, '');
  });
}
const healthTest = (hc) => (hc && !hc.disable ? [].concat(hc.test ?? []).join(' ') : '');

async function checkCompose(yaml) {
  section('docker-compose.yml');
  if (!exists('docker-compose.yml')) return fail('docker-compose.yml is missing');

  const composeEnv = { ...process.env, TROVE_ADMIN_KEY: process.env.TROVE_ADMIN_KEY || 'x'.repeat(32) };
  for (const app of Object.keys(APPS)) composeEnv[natsPasswordVariable(app)] ||= 'x'.repeat(24);
  // every other variable the file requires (${VAR:?...}), e.g. DELIVERY_SIGNING_KEYS
  for (const [, v] of read('docker-compose.yml').matchAll(/\$\{(\w+):?\?/g)) composeEnv[v] ||= 'x'.repeat(32);
  const v = run('docker', ['compose', 'version'], { cwd: ROOT });
  if (v.ok) {
    const c = run('docker', ['compose', '-f', 'docker-compose.yml', 'config', '-q'], { cwd: ROOT, env: composeEnv });
    if (c.ok) pass('docker compose config -q (Compose schema and interpolation)');
    else fail(`docker compose config -q: ${firstLines(c.stderr)}`);
  } else {
    skip(`docker compose config -q: the compose plugin is not available (${firstLines(v.stderr, 1) || 'docker not found'}); structural checks only`);
  }

  if (!yaml) return fail('no YAML parser: add the devDependency `yaml` to check docker-compose.yml');
  let doc;
  try {
    doc = yaml.parse(read('docker-compose.yml'));
    pass(`parses as YAML (${yaml.name})`);
  } catch (e) {
    return fail(`does not parse as YAML: ${e.message}`);
  }
  const services = doc?.services ?? {};
  const problems = [];

  const pg = services.postgres;
  if (!pg) problems.push('no postgres service');
  else {
    if (!/^postgres:16(\b|[.-])/.test(pg.image ?? '')) problems.push(`postgres image should be postgres:16*, is ${pg.image}`);
    if (!/pg_isready/.test(healthTest(pg.healthcheck))) problems.push('postgres has no pg_isready healthcheck');
    if (!(pg.volumes ?? []).some((v) => String(typeof v === 'object' ? v.target : v).includes('/var/lib/postgresql/data'))) problems.push('postgres data has no volume');
  }
  report('postgres', 'image postgres:16, pg_isready healthcheck, data volume', problems.splice(0));

  const nats = services.nats;
  if (!nats) problems.push('no nats service');
  else {
    const cmd = [].concat(nats.command ?? []).join(' ');
    if (!/^nats:2\.10(\b|[.-])/.test(nats.image ?? '')) problems.push(`nats image should be nats:2.10*, is ${nats.image}`);
    if (!/(^|\s)(-js|--jetstream)(\s|$)/.test(cmd)) problems.push('nats runs without JetStream (-js)');
    const sd = cmd.match(/(?:-sd|--store_dir)[= ](\S+)/)?.[1];
    if (!sd) problems.push('nats has no JetStream store directory (-sd)');
    else if (!(nats.volumes ?? []).some((v) => (typeof v === 'object' ? v.target : String(v).split(':')[1]) === sd)) problems.push(`no volume mounted at the JetStream store ${sd}`);
    const t = healthTest(nats.healthcheck);
    if (!/8222/.test(t) || !/healthz/.test(t)) problems.push('nats healthcheck does not probe :8222/healthz');
  }
  report('nats', 'image nats:2.10, JetStream on with a store volume, healthcheck on :8222/healthz', problems.splice(0));
  if (nats) {
    const cmd = [].concat(nats.command ?? []).join(' ');
    const conf = cmd.match(/(?:^|\s)(?:-c|--config)[= ](\S+)/)?.[1];
    const mount = (nats.volumes ?? []).map((v) => (typeof v === 'object' ? { source: v.source, target: v.target } : { source: String(v).split(':')[0], target: String(v).split(':')[1] })).find((v) => conf && (v.target === conf || conf.startsWith(`${v.target}/`)));
    if (!conf) problems.push('nats runs without --config: anyone who reaches it may connect');
    else if (!mount) problems.push(`nats --config ${conf} is not a mounted file`);
    else if (path.posix.normalize(path.posix.join(mount.source, conf.slice(mount.target.length))) !== NATS_AUTH) problems.push(`nats --config ${conf} comes from ${mount.source}, expected ./${NATS_AUTH}`);
    const env = envMap(nats.environment);
    for (const app of Object.keys(APPS)) {
      const v = natsPasswordVariable(app);
      if (!new RegExp(`^\\$\\{${v}:\\?`).test(env[v] ?? '')) problems.push(`${v} must come from \${${v}:?...} (required, never a literal)`);
    }
    report('nats authorization', `nats-server --config ./${NATS_AUTH}, every service's password required from the environment`, problems.splice(0));
  }

  const migrate = services.migrate;
  if (migrate) {
    const cmd = [].concat(migrate.command ?? []).join(' ');
    if (!cmd.includes('scripts/migrate.mjs')) problems.push('migrate does not run scripts/migrate.mjs');
    for (const app of Object.keys(APPS)) if (!new RegExp(`\\b${app}\\b`).test(cmd)) problems.push(`migrate does not migrate ${app}`);
    if (migrate.restart && !['no', false].includes(migrate.restart)) problems.push(`migrate restarts (${migrate.restart}); it is a one-shot job`);
    if (migrate.depends_on?.postgres?.condition !== 'service_healthy') problems.push('migrate does not wait for postgres: service_healthy');
    report('migrate', 'one-shot, runs scripts/migrate.mjs for all five apps after postgres is healthy', problems.splice(0));
  }

  for (const [app, port] of Object.entries(APPS)) {
    const s = services[app];
    if (!s) {
      fail(`${app}: no service`);
      continue;
    }
    const build = typeof s.build === 'string' ? { context: s.build } : (s.build ?? {});
    if (!s.build) problems.push('not built from the Dockerfile');
    if (build.context && !['.', './'].includes(build.context)) problems.push(`build context is ${build.context}, expected the repository root`);
    if (build.dockerfile && build.dockerfile !== 'Dockerfile') problems.push(`dockerfile is ${build.dockerfile}`);
    if (argsMap(build.args).APP !== app) problems.push(`build arg APP is ${argsMap(build.args).APP}, expected ${app}`);
    if (!healthTest(s.healthcheck)) problems.push('no healthcheck');
    else if (!/health|healthcheck/.test(healthTest(s.healthcheck))) problems.push('healthcheck does not probe /health');
    const deps = s.depends_on;
    if (!deps || Array.isArray(deps)) problems.push('depends_on must be a map with conditions');
    else {
      if (deps.postgres?.condition !== 'service_healthy') problems.push('does not depend on postgres: service_healthy');
      if (deps.nats?.condition !== 'service_healthy') problems.push('does not depend on nats: service_healthy');
      if (migrate && deps.migrate?.condition !== 'service_completed_successfully') problems.push('does not depend on migrate: service_completed_successfully');
    }
    if (!migrate && !/scripts\/migrate\.mjs/.test([].concat(s.command ?? []).join(' '))) problems.push('nothing runs its migrations (no migrate service, no migrate.mjs in its command)');
    if (!publishedPorts(s.ports).includes(`${port}:${port}`)) problems.push(`port ${port} is not published as ${port}:${port}`);
    // Only the gateway and delivery answer clients; the others' ports carry health and metrics.
    if (!['gateway', 'delivery'].includes(app) && [].concat(s.ports ?? []).some((p) => (typeof p === 'object' ? p.host_ip : String(p).split(':').slice(0, -2).join(':')) !== '127.0.0.1')) {
      problems.push(`port ${port} is published beyond this machine, though ${app} serves only health and metrics on it: publish it as 127.0.0.1:${port}:${port}`);
    }
    const env = envMap(s.environment);
    if (String(env.PORT) !== String(port)) problems.push(`PORT is ${env.PORT}, expected ${port}`);
    if (!new RegExp(`^postgres(ql)?://.+/trove_${app}(\\?.*)?$`).test(env.DATABASE_URL ?? '')) problems.push(`DATABASE_URL does not name trove_${app}`);
    if (!/^nats:\/\/nats:4222$/.test(env.NATS_URL ?? '')) problems.push(`NATS_URL is ${env.NATS_URL}, expected nats://nats:4222`);
    if (env.NATS_USER !== app) problems.push(`NATS_USER is ${env.NATS_USER}, expected ${app}`);
    if (!new RegExp(`^\\$\\{${natsPasswordVariable(app)}:\\?`).test(env.NATS_PASSWORD ?? '')) problems.push(`NATS_PASSWORD must come from \${${natsPasswordVariable(app)}:?...}, the password nats-server has for ${app}`);
    if (env.TROVE_NAMESPACE) problems.push(`TROVE_NAMESPACE is set (${env.TROVE_NAMESPACE}), but ${NATS_AUTH} is for the bare subject names`);
    if (app === 'gateway') {
      const key = env.TROVE_ADMIN_KEY;
      const fromEnvFile = s.env_file && key === undefined;
      if (!fromEnvFile && !/^\$\{TROVE_ADMIN_KEY:?\?/.test(key ?? '')) problems.push('TROVE_ADMIN_KEY must come from ${TROVE_ADMIN_KEY:?...} or an env_file, never a literal');
    }
    report(app, `build arg APP=${app}, healthcheck, depends on postgres/nats${migrate ? '/migrate' : ''}, port ${port}, PORT/DATABASE_URL/NATS_URL, NATS user ${app} with its password from the environment${app === 'gateway' ? ', TROVE_ADMIN_KEY required from the environment' : ''}`, problems.splice(0));
  }

  const settingsByApp = await loadAppSettings();
  if (!settingsByApp) skip('app settings: typescript is not installed, the config classes cannot be read');
  else checkComposeSettings(doc, settingsByApp);
}

// ---------------------------------------------------------------- app settings

/** Today's settings in compose: names and values per the config classes, delivery's storage and URL. */
function checkComposeSettings(doc, settingsByApp) {
  const services = doc?.services ?? {};
  const problems = [];
  for (const app of Object.keys(APPS)) {
    const s = services[app];
    if (!s) continue;
    const env = composeEnv(s.environment);
    problems.push(...settingsProblems(app, settingsByApp[app], env));
    // nothing is in front of the apps: X-Forwarded-For must be ignored, whoever sends it
    if (env.get('TRUST_PROXY')?.value) problems.push(`TRUST_PROXY is set, but no proxy is in front of ${app} here: clients could pick their own address`);
    if (!new RegExp(`^trove/${app}(:|$)`).test(s.image ?? '')) problems.push(`image is ${s.image}, expected trove/${app}:<tag>`);
    report(`${app} settings`, `every variable is a setting of ${app} with a value it accepts${env.has('EVENT_MAX_ATTEMPTS') ? ' (optional ones default as the app does)' : ''}, required ones present, secrets from \${VAR:?}, no TRUST_PROXY, image trove/${app}`, problems.splice(0));
  }

  const d = services.delivery;
  if (!d) return;
  const env = composeEnv(d.environment);
  const settings = settingsByApp.delivery;
  const value = (n) => env.get(n)?.value || settings[n]?.default;
  const driver = value('STORAGE_DRIVER');
  const mounts = (d.volumes ?? []).map((v) => (typeof v === 'object' ? { source: v.source, target: v.target, ro: v.read_only === true } : { source: String(v).split(':')[0], target: String(v).split(':')[1], ro: /:ro$/.test(String(v)) }));
  if (driver === 'fs') {
    const dir = value('STORAGE_DIR');
    const mount = mounts.find((m) => path.posix.isAbsolute(dir) && under(dir, m.target));
    if (!path.posix.isAbsolute(dir)) problems.push(`STORAGE_DIR ${dir} is relative: it would land on the read-only image filesystem`);
    else if (!mount) problems.push(`STORAGE_DIR ${dir} is on no volume: objects would be lost with the container (and the root filesystem is read-only)`);
    else {
      if (mount.ro) problems.push(`the volume at ${mount.target} is mounted read-only`);
      if (!(mount.source in (doc.volumes ?? {}))) problems.push(`${mount.target} comes from ${mount.source}, not a named volume of this file`);
      // a new named volume copies the image's directory, owner included: the image must give it to the app's user
      const df = parseDockerfile(read('Dockerfile'));
      const final = df.stages.at(-1).ins;
      const uid = final.filter((i) => i.op === 'USER').at(-1)?.args.split(':')[0];
      const chowned = final.filter((i) => i.op === 'RUN').some((i) => new RegExp(`chown\\s+(-R\\s+)?${uid}(:\\d+)?\\s+(\\S+\\s+)*${mount.target.replace(/[/.]/g, '\\$&')}(\\s|$|;|&)`).test(i.args));
      if (!chowned) problems.push(`the Dockerfile does not chown ${mount.target} to the app's user ${uid}: a new volume there would not be writable`);
    }
  }
  const url = value('DELIVERY_PUBLIC_URL');
  try {
    const u = new URL(url);
    const port = String(env.get('PORT')?.value ?? APPS.delivery);
    const published = publishedPorts(d.ports).filter((p) => p.split(':')[1] === port).map((p) => p.split(':')[0]);
    if (u.pathname !== '/') problems.push(`DELIVERY_PUBLIC_URL ${url} has a path: signed URLs would be ${u.pathname.replace(/\/$/, '')}/files/..., but delivery serves /files/...`);
    if (!['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)) problems.push(`DELIVERY_PUBLIC_URL defaults to ${url}; on one machine clients reach delivery on localhost`);
    if (!published.includes(u.port || (u.protocol === 'https:' ? '443' : '80'))) problems.push(`DELIVERY_PUBLIC_URL ${url} is not the port delivery is published on (${published.join(', ') || 'none'})`);
  } catch {
    problems.push(`DELIVERY_PUBLIC_URL ${url} is not a URL`);
  }
  report('delivery storage and URL', `${driver === 'fs' ? `STORAGE_DIR ${value('STORAGE_DIR')} on a named volume the image gives to its user, ` : `STORAGE_DRIVER ${driver}, `}signed URLs start with ${url}, the port published on localhost`, problems.splice(0));
}


// What each app reads from its environment is its config class (PlatformConfig and the app's
// own, apps/<app>/src/<app>.config.ts). They are read here with the TypeScript parser, so the
// deployments are held to the same names, defaults and rules the apps check at start: a
// misspelt setting (which the app would silently drop), a value the app would refuse, a
// required one missing, a secret written in the open.
const PLATFORM_CONFIG = 'libs/platform/src/config.ts';
const appConfigFile = (app) => `apps/${app}/src/${app}.config.ts`;
// read from process.env outside the config classes (the AWS SDK's credential chain and the like)
const EXTERNAL_SETTING = /^(AWS_[A-Z0-9_]+|NODE_ENV|NO_COLOR|TROVE_VERSION)$/;
// settings that are secrets: never a literal, a compose default or a ConfigMap value
const SECRET_SETTINGS = ['DELIVERY_SIGNING_KEYS', 'TROVE_ADMIN_KEY', 'NATS_PASSWORD', 'NATS_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
// the apps an Ingress puts a proxy in front of (their client addresses come from X-Forwarded-For)
const BEHIND_INGRESS = ['gateway', 'delivery'];

/** `1024 ** 4`, `7 * 24 * 3600`, `100_000`, `Number.MAX_SAFE_INTEGER`: arithmetic on literals only. */
function evalNumber(text) {
  const t = text.replace(/(\d)_(?=\d)/g, '$1').replace(/Number\.MAX_SAFE_INTEGER/g, String(Number.MAX_SAFE_INTEGER));
  if (!/^[\d\s*+\-/().]+$/.test(t)) return undefined;
  return Function(`"use strict"; return (${t});`)();
}

/** Mirrors apps/delivery/src/signing/signing-keys.ts: a message, never the secret. */
function signingKeysProblem(text) {
  const entries = String(text).split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return 'needs at least one <key id>:<base64 secret>';
  const ids = new Set();
  for (const [i, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const encoded = colon > 0 ? entry.slice(colon + 1) : '';
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) return `key ${i + 1} needs an id of 1-32 letters, digits, - or _ before a colon`;
    if (!/^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/.test(encoded)) return `key "${id}" is not base64`;
    const bytes = Buffer.from(encoded, /[-_]/.test(encoded) ? 'base64url' : 'base64').length;
    if (bytes < 32) return `key "${id}" has ${bytes} bytes; at least 32 are needed`;
    if (ids.has(id)) return `key id "${id}" appears twice`;
    ids.add(id);
  }
  return null;
}

/** Mirrors libs/platform/src/trust-proxy.ts: comma-separated addresses or CIDRs. */
function proxyListProblem(text) {
  for (const entry of String(text).split(',').map((e) => e.trim()).filter(Boolean)) {
    const [address, prefix, ...rest] = entry.split('/');
    const family = net.isIP(address);
    const ok = family !== 0 && rest.length === 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)));
    if (!ok) return `"${entry}" is neither an address nor a CIDR`;
  }
  return null;
}

/** The settings of one config class file: name -> {required, default, condition, rules}. */
function readConfigClass(ts, rel) {
  const src = ts.createSourceFile(rel, read(rel), ts.ScriptTarget.Latest, true);
  const unwrap = (n) => {
    while (n && (ts.isAsExpression(n) || ts.isParenthesizedExpression(n) || (ts.isSatisfiesExpression && ts.isSatisfiesExpression(n)))) n = n.expression;
    return n;
  };
  const consts = {};
  const settings = {};
  ts.forEachChild(src, (node) => {
    if (ts.isVariableStatement(node))
      for (const d of node.declarationList.declarations) {
        const init = unwrap(d.initializer);
        if (init && ts.isArrayLiteralExpression(init)) consts[d.name.getText(src)] = init.elements.filter(ts.isStringLiteral).map((e) => e.text);
      }
    if (!ts.isClassDeclaration(node) || !/Config$/.test(node.name?.text ?? '')) return;
    for (const m of node.members) {
      if (!ts.isPropertyDeclaration(m)) continue;
      const name = m.name.getText(src);
      const decorators = (ts.getDecorators?.(m) ?? []).map((d) =>
        ts.isCallExpression(d.expression) ? { name: d.expression.expression.getText(src), args: d.expression.arguments } : { name: d.expression.getText(src), args: [] },
      );
      const has = (n) => decorators.find((d) => d.name === n);
      const init = unwrap(m.initializer);
      const def = !init ? undefined : ts.isStringLiteralLike(init) ? init.text : evalNumber(init.getText(src))?.toString();
      const rules = [];
      for (const d of decorators) {
        const arg = d.args[0] && unwrap(d.args[0]);
        if (d.name === 'IsInt') rules.push((v) => (v.trim() !== '' && Number.isInteger(Number(v)) ? null : 'is not an integer'));
        else if (d.name === 'Min') {
          const n = evalNumber(arg.getText(src));
          rules.push((v) => (!(Number(v) < n) ? null : `is below the minimum ${n}`));
        } else if (d.name === 'Max') {
          const n = evalNumber(arg.getText(src));
          rules.push((v) => (!(Number(v) > n) ? null : `is above the maximum ${n}`));
        } else if (d.name === 'Matches') {
          const text = arg.getText(src);
          const re = new RegExp(text.slice(1, text.lastIndexOf('/')), text.slice(text.lastIndexOf('/') + 1));
          rules.push((v) => (re.test(v) ? null : `does not match ${text}`));
        } else if (d.name === 'IsIn') {
          const list = ts.isArrayLiteralExpression(arg) ? arg.elements.map((e) => e.text) : consts[arg.getText(src)];
          if (list) rules.push((v) => (list.includes(v) ? null : `is not one of ${list.join(', ')}`));
        } else if (d.name === 'IsSigningKeyList') rules.push(signingKeysProblem);
        else if (d.name === 'IsProxyList') rules.push(proxyListProblem);
      }
      // @ValidateIf((config) => config.STORAGE_DRIVER === 's3'): checked, and required, only then
      const when = has('ValidateIf')?.args[0]?.getText(src).match(/\.(\w+)\s*===\s*['"]([^'"]*)['"]/);
      settings[name] = {
        name,
        optional: Boolean(m.questionToken) || Boolean(has('IsOptional')),
        default: def,
        hasDefault: Boolean(m.initializer),
        condition: when ? { setting: when[1], value: when[2] } : null,
        rules,
      };
    }
  });
  return settings;
}

let appSettingsCache;
/** app -> its settings (PlatformConfig's and its own), or null when TypeScript is not installed. */
async function loadAppSettings() {
  if (appSettingsCache !== undefined) return appSettingsCache;
  let ts;
  try {
    const m = await import('typescript');
    ts = m.default ?? m;
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    return (appSettingsCache = null);
  }
  const platform = readConfigClass(ts, PLATFORM_CONFIG);
  appSettingsCache = Object.fromEntries(Object.keys(APPS).map((app) => [app, { ...platform, ...(exists(appConfigFile(app)) ? readConfigClass(ts, appConfigFile(app)) : {}) }]));
  return appSettingsCache;
}

/**
 * Problems of one app's environment. `env` maps a name to {value, secret, origin, pinned}: value
 * undefined when it is not known here (a required compose variable, a Secret of the base), secret
 * when it comes from a Secret or a required compose variable, pinned when the app cannot start
 * without it (compose `${X:?}`, a Kubernetes secretKeyRef that is not optional).
 */
function settingsProblems(app, settings, env) {
  const problems = [];
  const value = (name) => {
    const v = env.get(name)?.value;
    return v === undefined || v === '' ? settings[name]?.default : v;
  };
  for (const [name, e] of env) {
    const s = settings[name];
    if (!s) {
      if (!EXTERNAL_SETTING.test(name)) problems.push(`${name} (${e.origin}) is no setting of ${app} (a typo? the app drops what it does not declare)`);
    } else if (e.value !== undefined && e.value !== '' && !(s.condition && value(s.condition.setting) !== s.condition.value)) {
      for (const rule of s.rules) {
        const why = rule(String(e.value));
        if (why) problems.push(`${name} (${e.origin}) ${SECRET_SETTINGS.includes(name) ? why.replace(/ \/.*\/[a-z]*$/, ' its format') : why}`);
      }
    }
    if (e.composeDefault !== undefined && s?.hasDefault && String(e.composeDefault) !== String(s.default)) problems.push(`${name} defaults to ${e.composeDefault} here, the app's default is ${s.default}`);
    if (SECRET_SETTINGS.includes(name) && !e.secret) problems.push(`${name} is written in the open (${e.origin}); it must come from ${e.compose ? '${' + name + ':?...}' : 'a Secret'}`);
  }
  for (const s of Object.values(settings)) {
    const needed = s.condition ? value(s.condition.setting) === s.condition.value : !s.optional && !s.hasDefault;
    const e = env.get(s.name);
    if (needed && (!e || (e.value === '' && !e.secret))) problems.push(`${s.name} is required${s.condition ? ` when ${s.condition.setting}=${s.condition.value}` : ''} and not set`);
  }
  for (const name of ['DELIVERY_SIGNING_KEYS', 'TROVE_ADMIN_KEY'])
    if (settings[name] && !settings[name].hasDefault && env.has(name) && !env.get(name).pinned) problems.push(`${name} must be named so that the app cannot start without it (${env.get(name).origin})`);
  return problems;
}

/** compose environment values: `${X:?msg}`, `${X:-default}`, `${X}`, literals, interpolations. */
function composeEnv(environment) {
  const env = new Map();
  for (const [name, raw] of Object.entries(envMap(environment))) {
    const s = raw === undefined || raw === null ? '' : String(raw);
    const origin = 'compose';
    let m;
    if (raw === undefined || raw === null) env.set(name, { origin, compose: true, value: undefined, secret: false });
    else if ((m = s.match(/^\$\{(\w+):?\?[^}]*\}$/))) env.set(name, { origin: `compose \${${m[1]}:?}`, compose: true, value: undefined, secret: true, pinned: true });
    else if ((m = s.match(/^\$\{(\w+):?-([^}]*)\}$/))) env.set(name, { origin: `compose \${${m[1]}:-${m[2]}}`, compose: true, value: m[2], composeDefault: m[2], secret: false });
    else if (/^\$\{?\w+\}?$/.test(s)) env.set(name, { origin: `compose ${s}`, compose: true, value: undefined, secret: false });
    else env.set(name, { origin, compose: true, value: s.replace(/\$\{\w+(?::?-([^}]*)|:?\?[^}]*)?\}/g, (_, d) => d ?? 'x'), secret: false });
  }
  return env;
}

/** What a container's process sees: envFrom in order, then env (which wins), with sources. */
function containerEnv(container, find) {
  const decode = (v) => (v === undefined ? undefined : Buffer.from(String(v).replace(/\s+/g, ''), 'base64').toString('utf8'));
  const env = new Map();
  for (const ef of container.envFrom ?? []) {
    const prefix = ef.prefix ?? '';
    if (ef.configMapRef) for (const [k, v] of Object.entries(find('ConfigMap', ef.configMapRef.name)?.data ?? {})) env.set(prefix + k, { origin: `ConfigMap ${ef.configMapRef.name}`, value: String(v), secret: false });
    if (ef.secretRef) {
      const s = find('Secret', ef.secretRef.name);
      for (const [k, v] of Object.entries(s?.data ?? {})) env.set(prefix + k, { origin: `Secret ${ef.secretRef.name}`, value: decode(v), secret: true });
      for (const [k, v] of Object.entries(s?.stringData ?? {})) env.set(prefix + k, { origin: `Secret ${ef.secretRef.name}`, value: String(v), secret: true });
    }
  }
  for (const e of container.env ?? []) {
    const sk = e.valueFrom?.secretKeyRef;
    const ck = e.valueFrom?.configMapKeyRef;
    if (e.value !== undefined) env.set(e.name, { origin: 'env value', value: String(e.value), secret: false, pinned: true });
    else if (sk) {
      const s = find('Secret', sk.name);
      env.set(e.name, { origin: `secretKeyRef ${sk.name}/${sk.key}`, value: s?.stringData?.[sk.key] ?? decode(s?.data?.[sk.key]), secret: true, pinned: !sk.optional });
    } else if (ck) env.set(e.name, { origin: `configMapKeyRef ${ck.name}/${ck.key}`, value: find('ConfigMap', ck.name)?.data?.[ck.key], secret: false, pinned: !ck.optional });
    else env.set(e.name, { origin: 'env valueFrom', value: undefined, secret: false });
  }
  return env;
}

/** A host path is under a mount target (`/var/lib/trove/objects` under `/var/lib/trove`). */
const under = (p, dir) => path.posix.normalize(p) === path.posix.normalize(dir) || path.posix.normalize(p).startsWith(`${path.posix.normalize(dir).replace(/\/$/, '')}/`);

/** nginx sizes: 0, 1024, 8k, 512m, 10g. */
const nginxSize = (s) => {
  const m = String(s).trim().match(/^(\d+)([kKmMgG]?)$/);
  return m ? Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()]) : NaN;
};
const nginxSeconds = (s) => {
  const m = String(s).trim().match(/^(\d+)(s|m|h)?$/);
  return m ? Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[m[2] ?? 's']) : NaN;
};


/** Today's settings in a rendered tree: per the config classes, delivery's storage, URL and Ingress, TRUST_PROXY. */
function checkRenderedSettings({ objs, find, base, production }) {
  const settingsByApp = appSettingsCache;
  if (!settingsByApp) return;
  const problems = [];
  const ingresses = objs.filter((o) => o.kind === 'Ingress');
  const routedTo = (svc) => ingresses.some((ing) => (ing.spec?.rules ?? []).some((r) => (r.http?.paths ?? []).some((p) => p.backend?.service?.name === svc)));
  const mainOf = (d) => (podSpecOf(d)?.containers ?? []).find((c) => c.name === 'app') ?? podSpecOf(d)?.containers?.[0];

  for (const app of Object.keys(APPS)) {
    const d = find('Deployment', app);
    const main = d && mainOf(d);
    if (!main) continue;
    const env = containerEnv(main, find);
    problems.push(...settingsProblems(app, settingsByApp[app], env));
    for (const c of [main, ...(podSpecOf(d)?.initContainers ?? [])]) {
      const image = String(c.image ?? '').replace(/@.*$/, '').replace(/:[^/]*$/, '');
      if (!image.endsWith(`trove/${app}`)) problems.push(`${c.name} runs image ${c.image}, expected trove/${app} (the Dockerfile built with APP=${app})`);
    }
    // X-Forwarded-For is believed from the Ingress controller only, and only where one is in front
    const trust = env.get('TRUST_PROXY')?.value ?? '';
    const entries = trust.split(',').map((e) => e.trim()).filter(Boolean);
    if (entries.some((e) => /\/0$/.test(e))) problems.push(`TRUST_PROXY ${trust} trusts every address: any client could pick its own`);
    if (routedTo(app) && entries.length === 0) problems.push(`an Ingress is in front of ${app} but TRUST_PROXY is unset: every client would have the controller's address (rate limits, audit ip)`);
    if (!routedTo(app) && entries.length > 0 && BEHIND_INGRESS.includes(app)) problems.push(`TRUST_PROXY is ${trust}, but no Ingress is in front of ${app} here`);
    report(`${app} settings`, `every variable is a setting of ${app} with a value it accepts, required ones present, secrets from Secrets${routedTo(app) ? `, TRUST_PROXY ${trust} for the Ingress` : entries.length ? `, TRUST_PROXY ${trust} (no Ingress routes to it)` : ', TRUST_PROXY unset'}, image trove/${app}`, problems.splice(0));
  }

  for (const cm of objs.filter((o) => o.kind === 'ConfigMap'))
    for (const k of Object.keys(cm.data ?? {})) if (SECRET_SETTINGS.includes(k)) problems.push(`ConfigMap ${cm.metadata.name} holds ${k}: secrets belong in a Secret`);
  report('secrets', `no ConfigMap holds ${SECRET_SETTINGS.join(', ')}`, problems.splice(0));

  const d = find('Deployment', 'delivery');
  const main = d && mainOf(d);
  if (!main) return;
  const spec = podSpecOf(d);
  const env = containerEnv(main, find);
  const settings = settingsByApp.delivery;
  const value = (n) => env.get(n)?.value || settings[n]?.default;
  const driver = value('STORAGE_DRIVER');
  const hpa = objs.some((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec?.scaleTargetRef?.name === 'delivery');
  const replicas = hpa ? Infinity : (d.spec?.replicas ?? 1);
  if (driver === 'fs') {
    const dir = value('STORAGE_DIR');
    const mount = (main.volumeMounts ?? []).find((m) => path.posix.isAbsolute(dir) && under(dir, m.mountPath));
    const volume = mount && (spec.volumes ?? []).find((v) => v.name === mount.name);
    if (!path.posix.isAbsolute(dir)) problems.push(`STORAGE_DIR ${dir} is relative: it would land on the read-only image filesystem`);
    else if (!mount) problems.push(`STORAGE_DIR ${dir} is on no volume mount of ${main.name}`);
    else {
      if (mount.readOnly) problems.push(`${mount.mountPath} is mounted read-only`);
      // a volume is writable for the non-root user through the pod's fsGroup
      const uid = main.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
      if (spec.securityContext?.fsGroup === undefined) problems.push(`no fsGroup: volume ${mount.name} would not be writable for uid ${uid}`);
      if (!base) {
        const claim = volume?.persistentVolumeClaim && find('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName);
        if (!claim) problems.push(`STORAGE_DIR ${dir} is on volume ${mount.name}, which is no PersistentVolumeClaim of this overlay: objects would go with the pod`);
        else if ((claim.spec?.accessModes ?? []).every((m) => m === 'ReadWriteOnce' || m === 'ReadWriteOncePod') && d.spec?.strategy?.type !== 'Recreate') problems.push(`PersistentVolumeClaim ${claim.metadata.name} is ReadWriteOnce but the Deployment does not Recreate: a rolling update would wait for the volume`);
        if (replicas > 1) problems.push(`${replicas === Infinity ? 'an HPA' : `${replicas} replicas`} on the fs driver: each pod would see only its own objects (use STORAGE_DRIVER=s3)`);
      }
    }
  } else if (driver === 's3') {
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
      if (!env.get(k)?.secret && !spec.serviceAccountName) problems.push(`${k} does not come from a Secret (nor is there a service account for a pod role)`);
      else if (env.get(k) && !env.get(k).pinned) problems.push(`${k} is not named by a secretKeyRef: a missing key would start delivery without credentials`);
    if (!/AbortIncompleteMultipartUpload/.test(exists('deploy/README.md') ? read('deploy/README.md') : '')) problems.push('deploy/README.md does not give the bucket lifecycle rule that aborts incomplete multipart uploads');
  }
  if (production && driver !== 's3') problems.push(`STORAGE_DRIVER is ${driver}; production runs several delivery replicas, which share objects only on s3`);
  report('delivery storage', driver === 's3' ? `STORAGE_DRIVER s3, bucket ${value('S3_BUCKET')} in ${value('S3_REGION')}${value('S3_ENDPOINT') ? ` at ${value('S3_ENDPOINT')}` : ''}, AWS credentials from the Secret, lifecycle rule documented` : `STORAGE_DIR ${value('STORAGE_DIR')} on ${base ? 'a' : 'the PersistentVolumeClaim'} volume, writable through fsGroup${base ? '' : `, ${replicas} replica`}`, problems.splice(0));

  // where clients reach delivery: through the Ingress, its /files routed to delivery, bodies unlimited
  const url = value('DELIVERY_PUBLIC_URL');
  let u;
  try {
    u = new URL(url);
  } catch {
    problems.push(`DELIVERY_PUBLIC_URL ${url} is not a URL`);
  }
  let via = '';
  if (u && u.pathname !== '/') problems.push(`DELIVERY_PUBLIC_URL ${url} has a path: signed URLs would be ${u.pathname.replace(/\/$/, '')}/files/..., but delivery serves /files/... and nothing strips the path`);
  if (u && routedTo('delivery')) {
    const probe = `${u.pathname.replace(/\/$/, '')}/files/uploads/datasets/x`;
    const candidates = ingresses.flatMap((ing) =>
      (ing.spec?.rules ?? [])
        .filter((r) => (r.host ?? '') === u.hostname)
        .flatMap((r) => (r.http?.paths ?? []).map((p) => ({ ing, path: p.path ?? '/', type: p.pathType, service: p.backend?.service?.name }))),
    );
    const matches = candidates.filter((c) => (c.type === 'Exact' ? probe === c.path : probe === c.path || probe.startsWith(`${c.path.replace(/\/$/, '')}/`)));
    const best = matches.sort((a, b) => b.path.length - a.path.length)[0];
    if (!best) problems.push(`no Ingress routes ${u.hostname}${probe.replace(/uploads.*/, '')} (DELIVERY_PUBLIC_URL ${url}); signed URLs would not reach delivery`);
    else if (best.service !== 'delivery') problems.push(`${u.hostname}${best.path} goes to ${best.service}, not delivery`);
    else {
      const ing = best.ing;
      via = ` via Ingress ${ing.metadata.name} ${best.path}`;
      const a = ing.metadata?.annotations ?? {};
      const ann = (k) => a[`nginx.ingress.kubernetes.io/${k}`];
      if (u.protocol !== 'https:') problems.push(`DELIVERY_PUBLIC_URL ${url} is not https: signed URLs would travel in the clear`);
      if (!(ing.spec?.tls ?? []).some((t) => (t.hosts ?? []).includes(u.hostname))) problems.push(`Ingress ${ing.metadata.name} has no TLS for ${u.hostname}`);
      const bodySize = ann('proxy-body-size');
      const max = Number(value('UPLOAD_MAX_BYTES'));
      if (bodySize === undefined) problems.push(`Ingress ${ing.metadata.name} has no proxy-body-size: nginx refuses bodies over 1 MiB`);
      else if (nginxSize(bodySize) !== 0 && !(nginxSize(bodySize) >= max)) problems.push(`Ingress ${ing.metadata.name} proxy-body-size ${bodySize} is below UPLOAD_MAX_BYTES ${max}: large uploads would be cut (use "0")`);
      if (ann('proxy-request-buffering') !== 'off') problems.push(`Ingress ${ing.metadata.name}: proxy-request-buffering is not "off" (nginx would spool every upload to its own disk first)`);
      if (ann('proxy-buffering') !== 'off') problems.push(`Ingress ${ing.metadata.name}: proxy-buffering is not "off" (downloads would be spooled)`);
      for (const k of ['proxy-read-timeout', 'proxy-send-timeout']) if (!(nginxSeconds(ann(k) ?? '60') >= 600)) problems.push(`Ingress ${ing.metadata.name}: ${k} is ${ann(k) ?? '60 (default)'} s; a slow client or a stalled disk on a long transfer needs at least 600`);
      if (ann('rewrite-target')) problems.push(`Ingress ${ing.metadata.name} rewrites paths: signed URLs are checked on their path`);
    }
  } else if (u) {
    const port = (find('Service', 'delivery')?.spec?.ports ?? []).map((p) => String(p.port));
    if (!['localhost', '127.0.0.1'].includes(u.hostname) || !port.includes(u.port)) problems.push(`no Ingress in front of delivery, so DELIVERY_PUBLIC_URL should be the port-forward http://localhost:${port[0]}, is ${url}`);
    else via = ' (kubectl port-forward svc/delivery)';
  }
  report('delivery public URL', `signed URLs start with ${url}${via}${via.startsWith(' via') ? ', bodies unlimited and unbuffered, timeouts of 10 minutes or more, TLS' : ''}`, problems.splice(0));
}

// ---------------------------------------------------------------- NATS authorization

const NATS_AUTH = 'deploy/nats/authorization.conf';
const natsPasswordVariable = (app) => `TROVE_NATS_${app.toUpperCase()}_PASSWORD`;
const NATS_CREDENTIAL_KEYS = ['NATS_PASSWORD', 'NATS_TOKEN', 'NATS_NKEY_SEED_FILE', 'NATS_CREDS_FILE'];

/** The users of the generated authorization block: name, password, allow lists, allow_responses. */
function parseNatsUsers(text) {
  const body = text
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, ''))
    .join('\n');
  const list = (chunk, kind) => {
    const m = chunk.match(new RegExp(`${kind}\\s*[:=]\\s*\\{\\s*allow\\s*[:=]\\s*\\[([^\\]]*)\\]`));
    return m ? [...m[1].matchAll(/"([^"]+)"|([^\s,"]+)/g)].map((x) => x[1] ?? x[2]) : null;
  };
  return {
    noAuthUser: /(^|\s)no_auth_user\s*[:=]/m.test(body),
    users: body
      .split(/\buser\s*[:=]\s*/)
      .slice(1)
      .map((chunk) => ({
        name: chunk.match(/^"?([\w-]+)"?/)?.[1],
        password: chunk.match(/\bpassword\s*[:=]\s*("[^"]*"|\S+)/)?.[1],
        publish: list(chunk, 'publish'),
        subscribe: list(chunk, 'subscribe'),
        allowResponses: /\ballow_responses\s*[:=]\s*true\b/.test(chunk),
      })),
  };
}

/** Which NATS user may do what: each service only its own subjects, calls, events and JetStream calls. */
function checkNatsAuthorization() {
  section(`NATS authorization (${NATS_AUTH})`);
  if (!exists(NATS_AUTH)) return fail(`${NATS_AUTH} is missing: generate it (docs/nats-security.md)`);
  const { users, noAuthUser } = parseNatsUsers(read(NATS_AUTH));
  const problems = [];
  if (noAuthUser) problems.push('sets no_auth_user: anonymous clients would get that user');
  const names = users.map((u) => u.name);
  for (const app of Object.keys(APPS)) if (names.filter((n) => n === app).length !== 1) problems.push(`expected exactly one user ${app}, found ${names.filter((n) => n === app).length}`);
  for (const n of names) if (!(n in APPS)) problems.push(`user ${n} is no Trove service`);
  report('users', `one user per service (${Object.keys(APPS).join(', ')}), no no_auth_user: anonymous connections are refused`, problems.splice(0));

  for (const u of users.filter((x) => x.name in APPS)) {
    const app = u.name;
    const others = Object.keys(APPS).filter((a) => a !== app);
    if (u.password !== `$${natsPasswordVariable(app)}`) problems.push(`password is ${u.password?.startsWith('$') ? u.password : 'a literal'}, expected $${natsPasswordVariable(app)} from the server's environment`);
    if (!u.publish || !u.subscribe) problems.push('has no publish and subscribe allow lists');
    else {
      for (const subj of u.subscribe) if (subj !== `${app}.>` && subj !== `_INBOX.${app}.>`) problems.push(`may subscribe to ${subj}; only ${app}.> and _INBOX.${app}.> are its own`);
      for (const subj of u.publish) {
        const head = subj.split('.')[0];
        if (['>', '*'].includes(head)) problems.push(`may publish to ${subj}: everything`);
        else if (head === 'evt') {
          if (subj !== `evt.${app}.>`) problems.push(`may publish the events ${subj}; only evt.${app}.> are its own`);
        }
        else if (head === '_INBOX') problems.push(`may publish to inboxes (${subj}); replies go through allow_responses`);
        else if (head === '$JS') {
          if (/^\$JS\.API\.>$|DELETE|PURGE|\$JS\.API\.STREAM\.UPDATE/.test(subj)) problems.push(`may ${subj}: more of the JetStream API than the services use`);
          const consumer = subj.match(/^\$JS\.(?:API\.CONSUMER\.(?:INFO|CREATE|MSG\.NEXT)|ACK)\.[^.]+\.([^.]+)/)?.[1];
          if (consumer && !consumer.startsWith(`${app}_`)) problems.push(`may use the consumer ${consumer} (${subj}); only ${app}_... are its own`);
        } else if (others.includes(head) && !(app === 'gateway' ? subj === `${head}.>` : /^[a-z]+\.[a-z-]+\.[a-z-]+$/.test(subj))) problems.push(`unexpected publish ${subj}`);
        else if (head === app && !(app === 'gateway' && subj === 'gateway.identity.changed')) problems.push(`may publish to its own subject ${subj}`);
        else if (!(head in APPS)) problems.push(`may publish to ${subj}, which no service answers`);
      }
      if (!u.publish.includes(`evt.${app}.>`)) problems.push(`may not publish its events evt.${app}.>`);
      if (!u.subscribe.includes(`${app}.>`)) problems.push(`may not serve its subjects ${app}.>`);
    }
    if (!u.allowResponses) problems.push('allow_responses is not true: it could not answer requests');
    const calls = [...new Set((u.publish ?? []).filter((x) => others.includes(x.split('.')[0])).map((x) => x.split('.')[0]))];
    report(`user ${app}`, `serves ${app}.>, calls ${calls.length ? calls.join(', ') : 'nothing'}, publishes evt.${app}.>, own inbox, answers through allow_responses, password $${natsPasswordVariable(app)}`, problems.splice(0));
  }
}

// ---------------------------------------------------------------- Kubernetes

const NAMESPACED_EXCEPT = new Set(['Namespace', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'CustomResourceDefinition', 'PriorityClass', 'IngressClass']);
const labelsMatch = (selector = {}, labels = {}) => Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const podSpecOf = (o) => o.spec?.template?.spec;
const workloads = (objs) => objs.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind));
const cmdOf = (c) => [...(c.command ?? []), ...(c.args ?? [])].join(' ');
const quantity = (q) => {
  const m = String(q).match(/^([\d.]+)(m|Ki|Mi|Gi|k|M|G)?$/);
  if (!m) return NaN;
  const mult = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[m[2]] ?? 1;
  return Number(m[1]) * mult;
};

function resolvePort(containers, port) {
  for (const c of containers)
    for (const p of c.ports ?? []) if ((typeof port === 'number' && p.containerPort === port) || p.name === port) return p.containerPort;
  return undefined;
}

function containerProblems(c, where, { production }) {
  const problems = [];
  const r = c.resources ?? {};
  for (const kind of ['requests', 'limits'])
    for (const res of ['cpu', 'memory']) if (!r[kind]?.[res]) problems.push(`${where}: no resources.${kind}.${res}`);
  for (const res of ['cpu', 'memory'])
    if (r.requests?.[res] && r.limits?.[res] && quantity(r.requests[res]) > quantity(r.limits[res])) problems.push(`${where}: ${res} request above its limit`);
  const sc = c.securityContext ?? {};
  if (sc.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
  if (sc.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
  if (sc.privileged) problems.push(`${where}: privileged`);
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${where}: capabilities do not drop ALL`);
  if (production) {
    const tag = c.image?.includes('@') ? 'digest' : c.image?.split('/').at(-1).split(':')[1];
    if (!tag || tag === 'latest') problems.push(`${where}: image ${c.image} has no pinned tag`);
  }
  return problems;
}

function checkRendered(target, objs) {
  const base = target === 'base';
  const production = target.endsWith('production');
  const byKind = (kind) => objs.filter((o) => o.kind === kind);
  const find = (kind, name) => objs.find((o) => o.kind === kind && o.metadata?.name === name);
  const configMaps = byKind('ConfigMap');
  const hpas = byKind('HorizontalPodAutoscaler');
  const problems = [];

  // every app has a Deployment, a Service and a PodDisruptionBudget
  for (const app of Object.keys(APPS)) {
    if (!find('Deployment', app)) problems.push(`no Deployment ${app}`);
    if (!find('Service', app)) problems.push(`no Service ${app}`);
    if (!byKind('PodDisruptionBudget').some((p) => labelsMatch(p.spec?.selector?.matchLabels, podSpecOf(find('Deployment', app) ?? {}) ? find('Deployment', app).spec.template.metadata?.labels : {})))
      problems.push(`no PodDisruptionBudget selects ${app}`);
  }
  report('apps', `${Object.keys(APPS).length} apps each have a Deployment, a Service and a PodDisruptionBudget`, problems.splice(0));

  if (!base) {
    const unscoped = objs.filter((o) => !NAMESPACED_EXCEPT.has(o.kind) && !o.metadata?.namespace);
    if (unscoped.length) problems.push(`objects without a namespace: ${unscoped.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
    report('namespace', 'every namespaced object has one', problems.splice(0));
  } else if (byKind('Secret').length) {
    fail(`base renders Secrets (${byKind('Secret').map((s) => s.metadata.name).join(', ')}): secret values belong to the overlays' uncommitted env files`);
  } else pass('base carries no Secret');

  // the app Deployments
  for (const d of byKind('Deployment')) {
    const name = d.metadata.name;
    const app = d.metadata.labels?.['app.kubernetes.io/name'] ?? name;
    const spec = podSpecOf(d) ?? {};
    const containers = spec.containers ?? [];
    const inits = spec.initContainers ?? [];
    const main = containers.find((c) => c.name === 'app') ?? containers[0] ?? {};
    const port = main.ports?.find((p) => p.name === 'http')?.containerPort ?? main.ports?.[0]?.containerPort;

    if (!labelsMatch(d.spec?.selector?.matchLabels, d.spec?.template?.metadata?.labels)) problems.push('selector does not match the pod template labels');
    const hpa = hpas.find((h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === name);
    if (hpa && d.spec.replicas !== undefined) problems.push('has spec.replicas although an HPA scales it (each apply would reset the count)');
    if (!hpa) {
      const want = base ? 2 : production ? 3 : 1;
      if (!(d.spec?.replicas >= want)) problems.push(`replicas ${d.spec?.replicas ?? 'unset'}, expected at least ${want}`);
    }

    const psc = spec.securityContext ?? {};
    for (const c of [...inits, ...containers]) {
      const runAsNonRoot = c.securityContext?.runAsNonRoot ?? psc.runAsNonRoot;
      const uid = c.securityContext?.runAsUser ?? psc.runAsUser;
      if (runAsNonRoot !== true) problems.push(`${c.name}: runAsNonRoot is not true`);
      if (uid === 0) problems.push(`${c.name}: runAsUser 0`);
    }
    if ((psc.seccompProfile?.type ?? '') !== 'RuntimeDefault') problems.push('pod seccompProfile is not RuntimeDefault');
    for (const c of [...inits, ...containers]) problems.push(...containerProblems(c, c.name, { production }));

    // probes
    const probe = (p, kind, pathWanted) => {
      if (!p) return problems.push(`${main.name}: no ${kind}`);
      if (!p.httpGet) return problems.push(`${main.name}: ${kind} is not an httpGet`);
      if (pathWanted && p.httpGet.path !== pathWanted) problems.push(`${main.name}: ${kind} path is ${p.httpGet.path}, expected ${pathWanted}`);
      if (resolvePort([main], p.httpGet.port) === undefined) problems.push(`${main.name}: ${kind} port ${p.httpGet.port} is no container port`);
    };
    probe(main.readinessProbe, 'readinessProbe', '/health/ready');
    probe(main.livenessProbe, 'livenessProbe', '/health/live');
    probe(main.startupProbe, 'startupProbe', null);

    // port, environment, secrets
    if (app in APPS && port !== APPS[app]) problems.push(`container port is ${port}, expected ${APPS[app]}`);
    const env = Object.fromEntries((main.env ?? []).map((e) => [e.name, e]));
    if (env.PORT?.value !== String(port)) problems.push(`env PORT is ${env.PORT?.value}, the container port is ${port}`);
    if (!env.DATABASE_URL?.valueFrom?.secretKeyRef) problems.push('DATABASE_URL does not come from a Secret');
    if (app === 'gateway' && !env.TROVE_ADMIN_KEY?.valueFrom?.secretKeyRef) problems.push('TROVE_ADMIN_KEY does not come from a Secret');
    for (const e of Object.values(env)) if (/KEY|SECRET|PASSWORD|TOKEN/.test(e.name) && e.value !== undefined) problems.push(`${e.name} is a literal value; it must come from a Secret`);

    // migrations
    const migrate = inits.find((c) => /scripts\/migrate\.mjs/.test(cmdOf(c)));
    if (!migrate) problems.push('no init container runs scripts/migrate.mjs');
    else {
      if (!new RegExp(`scripts/migrate\\.mjs ${app}$`).test(cmdOf(migrate).trim())) problems.push(`migration runs "${cmdOf(migrate)}", expected node scripts/migrate.mjs ${app}`);
      const menv = (migrate.env ?? []).find((e) => e.name === 'DATABASE_URL');
      if (!menv?.valueFrom?.secretKeyRef || menv.valueFrom.secretKeyRef.name !== env.DATABASE_URL?.valueFrom?.secretKeyRef?.name) problems.push('migration does not use the app\'s DATABASE_URL Secret');
      if (migrate.image !== main.image) problems.push(`migration image ${migrate.image} differs from the app image ${main.image}`);
    }

    // metrics
    const ann = d.spec?.template?.metadata?.annotations ?? {};
    if (ann['prometheus.io/scrape'] !== 'true') problems.push('no prometheus.io/scrape: "true" annotation');
    if (ann['prometheus.io/port'] !== String(port)) problems.push(`prometheus.io/port is ${ann['prometheus.io/port']}, the container port is ${port}`);
    if (ann['prometheus.io/path'] && ann['prometheus.io/path'] !== '/metrics') problems.push(`prometheus.io/path is ${ann['prometheus.io/path']}`);

    // graceful shutdown: preStop sleep + the app's shutdown budget fit in the grace period
    const preStop = main.lifecycle?.preStop;
    const sleep = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.join(' ').match(/sleep\D+(\d+)/)?.[1] ?? NaN);
    if (!preStop) problems.push('no preStop hook to let endpoints drain');
    const cmRef = (main.envFrom ?? []).map((e) => e.configMapRef?.name).filter(Boolean);
    const shutdownMs = Number(env.SHUTDOWN_TIMEOUT_MS?.value ?? configMaps.find((c) => cmRef.includes(c.metadata.name))?.data?.SHUTDOWN_TIMEOUT_MS ?? 10000);
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    if (Number.isFinite(sleep) && grace < sleep + shutdownMs / 1000 + 1) problems.push(`terminationGracePeriodSeconds ${grace} < preStop ${sleep}s + SHUTDOWN_TIMEOUT_MS ${shutdownMs / 1000}s + 1s`);

    // volumes and mounts
    const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
    for (const c of [...inits, ...containers]) for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${c.name}: mounts unknown volume ${m.name}`);
    if (!base)
      for (const v of spec.volumes ?? []) if (v.persistentVolumeClaim && !find('PersistentVolumeClaim', v.persistentVolumeClaim.claimName)) problems.push(`volume ${v.name}: no PersistentVolumeClaim ${v.persistentVolumeClaim.claimName}`);

    report(`Deployment ${name}`, `${hpa ? 'HPA-scaled' : `${d.spec.replicas} replicas`}, non-root, read-only root, resources, probes (ready/live/startup) on port ${port}, PORT env, DATABASE_URL Secret, migrate init container, prometheus annotations, preStop ${sleep}s within grace ${grace}s`, problems.splice(0));
  }

  // StatefulSets (dev's NATS and PostgreSQL)
  for (const s of byKind('StatefulSet')) {
    const spec = podSpecOf(s) ?? {};
    if (!labelsMatch(s.spec?.selector?.matchLabels, s.spec?.template?.metadata?.labels)) problems.push('selector does not match the pod template labels');
    if (!find('Service', s.spec?.serviceName)) problems.push(`serviceName ${s.spec?.serviceName} is no Service`);
    if ((spec.securityContext?.runAsNonRoot ?? false) !== true) problems.push('runAsNonRoot is not true');
    for (const c of spec.containers ?? []) {
      if (!c.readinessProbe || !c.livenessProbe) problems.push(`${c.name}: needs readiness and liveness probes`);
      for (const res of ['cpu', 'memory']) if (!c.resources?.limits?.[res] || !c.resources?.requests?.[res]) problems.push(`${c.name}: no ${res} request/limit`);
      for (const p of [c.readinessProbe, c.livenessProbe, c.startupProbe]) if (p?.httpGet && resolvePort([c], p.httpGet.port) === undefined) problems.push(`${c.name}: probe port ${p.httpGet.port} is no container port`);
    }
    if (s.metadata.name === 'nats') {
      const cmd = (spec.containers ?? []).map(cmdOf).join(' ');
      if (!/(^|\s)(-js|--jetstream)(\s|=|$)/.test(cmd)) problems.push('NATS runs without JetStream');
      if (!(s.spec.volumeClaimTemplates ?? []).length) problems.push('NATS JetStream storage has no volume claim');
    }
    report(`StatefulSet ${s.metadata.name}`, 'selector, service, non-root, probes, resources', problems.splice(0));
  }

  // Services: selector matches a workload, every targetPort is one of its container ports
  for (const svc of byKind('Service')) {
    const name = svc.metadata.name;
    const owner = workloads(objs).find((w) => labelsMatch(svc.spec?.selector, w.spec?.template?.metadata?.labels));
    if (!owner) problems.push(`selector ${JSON.stringify(svc.spec?.selector)} matches no workload`);
    else {
      const containers = podSpecOf(owner)?.containers ?? [];
      for (const p of svc.spec.ports ?? []) {
        const target = p.targetPort ?? p.port;
        const resolved = resolvePort(containers, target);
        if (resolved === undefined) problems.push(`port ${p.name ?? p.port}: targetPort ${target} is no container port of ${owner.kind} ${owner.metadata.name}`);
        if (name in APPS && p.port !== APPS[name]) problems.push(`port ${p.port}, expected ${APPS[name]}`);
        if (name in APPS && resolved !== undefined && resolved !== APPS[name]) problems.push(`targets container port ${resolved}, expected ${APPS[name]}`);
      }
    }
    report(`Service ${name}`, `selects ${owner ? `${owner.kind} ${owner.metadata.name}` : '?'}, ports ${(svc.spec?.ports ?? []).map((p) => `${p.port}->${p.targetPort ?? p.port}`).join(', ')} match its container ports`, problems.splice(0));
  }

  // PodDisruptionBudgets never block every eviction
  for (const pdb of byKind('PodDisruptionBudget')) {
    const owner = workloads(objs).find((w) => labelsMatch(pdb.spec?.selector?.matchLabels, w.spec?.template?.metadata?.labels));
    if (!owner) problems.push('selects no workload');
    if (pdb.spec?.minAvailable === undefined && pdb.spec?.maxUnavailable === undefined) problems.push('neither minAvailable nor maxUnavailable');
    if (owner && typeof pdb.spec?.minAvailable === 'number' && owner.spec?.replicas !== undefined && pdb.spec.minAvailable >= owner.spec.replicas) problems.push(`minAvailable ${pdb.spec.minAvailable} >= replicas ${owner.spec.replicas}: blocks node drains`);
    if (pdb.spec?.maxUnavailable === 0) problems.push('maxUnavailable 0 blocks node drains');
    report(`PodDisruptionBudget ${pdb.metadata.name}`, 'selects a workload and allows evictions', problems.splice(0));
  }

  for (const h of hpas) {
    const t = h.spec?.scaleTargetRef ?? {};
    if (!find(t.kind, t.name)) problems.push(`scaleTargetRef ${t.kind}/${t.name} does not exist`);
    if (!(h.spec?.minReplicas >= 2) || !(h.spec?.maxReplicas >= h.spec?.minReplicas)) problems.push(`minReplicas ${h.spec?.minReplicas} / maxReplicas ${h.spec?.maxReplicas}`);
    const target = find(t.kind, t.name);
    for (const m of h.spec?.metrics ?? [])
      if (m.type === 'Resource') for (const c of podSpecOf(target ?? {})?.containers ?? []) if (!c.resources?.requests?.[m.resource.name]) problems.push(`${c.name} has no ${m.resource.name} request to scale on`);
    report(`HorizontalPodAutoscaler ${h.metadata.name}`, `scales ${t.kind}/${t.name} ${h.spec?.minReplicas}-${h.spec?.maxReplicas}`, problems.splice(0));
  }

  // Ingress backends exist; health and metrics are not public
  const routes = [];
  for (const ing of byKind('Ingress')) {
    for (const rule of ing.spec?.rules ?? [])
      for (const p of rule.http?.paths ?? []) {
        const b = p.backend?.service;
        const svc = find('Service', b?.name);
        routes.push({ path: p.path, service: b?.name });
        if (!svc) problems.push(`${p.path}: no Service ${b?.name}`);
        else if (!(svc.spec.ports ?? []).some((sp) => (b.port?.name && sp.name === b.port.name) || (b.port?.number && sp.port === b.port.number))) problems.push(`${p.path}: Service ${b.name} has no port ${b.port?.name ?? b.port?.number}`);
        if (['/', '/health', '/metrics'].includes(p.path)) problems.push(`${p.path} exposes /health or /metrics publicly`);
      }
    report(`Ingress ${ing.metadata.name}`, `routes ${(ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => `${r.host ?? '*'}${p.path} -> ${p.backend?.service?.name}`)).join(', ')}`, problems.splice(0));
  }

  // config references resolve; service addresses inside the overlay point at something
  if (!base) {
    const secrets = new Map(byKind('Secret').map((s) => [s.metadata.name, s]));
    for (const w of workloads(objs))
      for (const c of [...(podSpecOf(w)?.initContainers ?? []), ...(podSpecOf(w)?.containers ?? [])]) {
        for (const e of c.env ?? []) {
          const sk = e.valueFrom?.secretKeyRef;
          const ck = e.valueFrom?.configMapKeyRef;
          if (sk && !(sk.key in (secrets.get(sk.name)?.data ?? {})) && !(sk.key in (secrets.get(sk.name)?.stringData ?? {})) && !sk.optional) problems.push(`${w.metadata.name}/${c.name}: ${e.name} refers to missing Secret key ${sk.name}/${sk.key}`);
          if (ck && !(ck.key in (find('ConfigMap', ck.name)?.data ?? {})) && !ck.optional) problems.push(`${w.metadata.name}/${c.name}: ${e.name} refers to missing ConfigMap key ${ck.name}/${ck.key}`);
        }
        for (const ef of c.envFrom ?? []) {
          if (ef.configMapRef && !find('ConfigMap', ef.configMapRef.name) && !ef.configMapRef.optional) problems.push(`${w.metadata.name}/${c.name}: missing ConfigMap ${ef.configMapRef.name}`);
          if (ef.secretRef && !secrets.has(ef.secretRef.name) && !ef.secretRef.optional) problems.push(`${w.metadata.name}/${c.name}: missing Secret ${ef.secretRef.name}`);
        }
      }
    // DATABASE_URL of each app names its own database; in-cluster hosts must exist
    const inCluster = (host) => !host.includes('.');
    for (const app of Object.keys(APPS)) {
      const d = find('Deployment', app);
      const ref = (podSpecOf(d ?? {})?.containers ?? []).flatMap((c) => c.env ?? []).find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef;
      const raw = ref && secrets.get(ref.name)?.data?.[ref.key];
      if (!raw) continue;
      const url = Buffer.from(raw, 'base64').toString('utf8');
      try {
        const u = new URL(url);
        if (u.pathname !== `/trove_${app}`) problems.push(`${app}: DATABASE_URL names ${u.pathname.slice(1)}, expected trove_${app}`);
        if (inCluster(u.hostname) && !find('Service', u.hostname)) problems.push(`${app}: DATABASE_URL host ${u.hostname} is no Service in this overlay`);
      } catch {
        problems.push(`${app}: DATABASE_URL is not a URL`);
      }
    }
    for (const cm of configMaps.filter((c) => c.data?.NATS_URL))
      for (const u of cm.data.NATS_URL.split(',')) {
        const host = new URL(u).hostname;
        if (inCluster(host) && !find('Service', host)) problems.push(`NATS_URL host ${host} is no Service in this overlay`);
      }
    report('references', 'every Secret/ConfigMap key the pods use exists; DATABASE_URLs name trove_<app>; in-cluster NATS/PostgreSQL hosts are Services here', problems.splice(0));
  }

  if (!base) checkRenderedNats({ objs, find, production });
  checkRenderedSettings({ objs, find, base, production });

  if (production) {
    if (!hpas.some((h) => h.spec?.scaleTargetRef?.name === 'gateway')) problems.push('no HorizontalPodAutoscaler for the gateway');
    if (!routes.some((r) => r.service === 'gateway')) problems.push('no Ingress route to the gateway');
    if (!routes.some((r) => r.service === 'delivery' && r.path.startsWith('/files'))) problems.push('no Ingress route /files to delivery');
    if (find('StatefulSet', 'postgres') || find('StatefulSet', 'nats')) problems.push('production runs its own NATS/PostgreSQL; they are external clusters');
    report('production', 'gateway HPA, Ingress for the gateway and delivery /files, NATS and PostgreSQL external', problems.splice(0));
  }
}

/** NATS logins in an overlay: each app its own user; a NATS run here uses the authorization file. */
function checkRenderedNats({ objs, find, production }) {
  const problems = [];
  const decode = (v) => (v === undefined ? undefined : Buffer.from(String(v).replace(/\s+/g, ''), 'base64').toString('utf8'));
  const secretValue = (name, key) => {
    const secret = find('Secret', name);
    return secret?.stringData?.[key] ?? decode(secret?.data?.[key]);
  };
  /** The value a container gets for `key`: literal, secretKeyRef, or a key of an envFrom Secret. */
  const envValue = (container, key) => {
    const e = (container.env ?? []).find((x) => x.name === key);
    if (e?.value !== undefined) return e.value;
    if (e?.valueFrom?.secretKeyRef) return secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    for (const ef of container.envFrom ?? []) if (ef.secretRef && secretValue(ef.secretRef.name, key) !== undefined) return secretValue(ef.secretRef.name, key);
    return undefined;
  };

  const natsSet = find('StatefulSet', 'nats');
  const natsContainer = natsSet && (podSpecOf(natsSet)?.containers ?? []).find((c) => c.name === 'nats');
  if (natsSet) {
    const cmd = natsContainer ? cmdOf(natsContainer) : '';
    const conf = cmd.match(/(?:^|\s)(?:-c|--config)[= ](\S+)/)?.[1];
    if (!conf) problems.push('the NATS StatefulSet runs without --config: anyone who reaches it may connect');
    else {
      const mount = (natsContainer.volumeMounts ?? []).find((m) => conf.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
      const volume = mount && (podSpecOf(natsSet).volumes ?? []).find((v) => v.name === mount.name);
      const cm = volume?.configMap && find('ConfigMap', volume.configMap.name);
      const file = mount && conf.slice(mount.mountPath.replace(/\/$/, '').length + 1);
      if (!cm) problems.push(`--config ${conf} is not a file of a mounted ConfigMap`);
      else if (cm.data?.[file] !== read(NATS_AUTH)) problems.push(`ConfigMap ${cm.metadata.name} ${file} differs from ${NATS_AUTH}`);
    }
    for (const app of Object.keys(APPS)) {
      const v = natsPasswordVariable(app);
      const password = natsContainer && envValue(natsContainer, v);
      if (!password) problems.push(`nats-server gets no ${v}`);
      // nats-server parses an environment value like config: 9e5..., -x..., true would not be a string
      else if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(password) || /^(true|false|yes|no|on|off)$/i.test(password)) problems.push(`${v} must start with a letter and hold only letters, digits, - and _ (nats-server would not read it as a string)`);
      const d = find('Deployment', app);
      const main = d && ((podSpecOf(d)?.containers ?? []).find((c) => c.name === 'app') ?? podSpecOf(d)?.containers?.[0]);
      if (!main) continue;
      if (envValue(main, 'NATS_USER') !== app) problems.push(`${app} logs in to NATS as ${envValue(main, 'NATS_USER') ?? 'nobody'}, expected ${app}`);
      if (password && envValue(main, 'NATS_PASSWORD') !== password) problems.push(`${app}'s NATS_PASSWORD is not the ${v} that nats-server has`);
    }
    report('NATS authorization', `nats-server --config from ConfigMap = ${NATS_AUTH}, passwords from a Secret; each app logs in as its own user with the password nats-server has`, problems.splice(0));
  } else {
    for (const app of Object.keys(APPS)) {
      const d = find('Deployment', app);
      const main = d && ((podSpecOf(d)?.containers ?? []).find((c) => c.name === 'app') ?? podSpecOf(d)?.containers?.[0]);
      if (!main) continue;
      const user = envValue(main, 'NATS_USER');
      const credentials = NATS_CREDENTIAL_KEYS.filter((k) => envValue(main, k) !== undefined);
      if (credentials.length === 0) problems.push(`${app} has no NATS credentials (${NATS_CREDENTIAL_KEYS.join(', ')}) in its Secret`);
      if (user !== undefined && user !== app) problems.push(`${app} logs in to NATS as ${user}, expected ${app}`);
      if (credentials.includes('NATS_PASSWORD') && user === undefined) problems.push(`${app} has NATS_PASSWORD but no NATS_USER`);
    }
    report('NATS credentials', `every app logs in to the ${production ? 'external ' : ''}NATS with credentials from its Secret, as its own user`, problems.splice(0));
  }
}

async function loadSchemaValidator() {
  try {
    await import('kubernetes-models/apps/v1');
  } catch (e) {
    if (e.code === 'ERR_MODULE_NOT_FOUND') return null;
    throw e;
  }
  const cache = new Map();
  return async (obj) => {
    const mod = `kubernetes-models/${obj.apiVersion}`;
    if (!cache.has(mod)) cache.set(mod, await import(mod).catch(() => null));
    const Model = cache.get(mod)?.[obj.kind];
    if (!Model) return `no schema for ${obj.apiVersion} ${obj.kind}`;
    // kustomize folds long base64 values over lines; the API server ignores the newlines
    if (obj.kind === 'Secret' && obj.data) obj = { ...obj, data: Object.fromEntries(Object.entries(obj.data).map(([k, v]) => [k, String(v).replace(/\s+/g, '')])) };
    try {
      new Model(obj).validate();
      return null;
    } catch (e) {
      return e.message;
    }
  };
}

async function checkKubernetes(yaml) {
  section('Kubernetes (deploy/k8s)');
  const kubectl = run('kubectl', ['version', '--client']);
  if (kubectl.missing) return skip('kubectl is not on the PATH: kustomize rendering and manifest checks skipped');
  if (!yaml) return fail('no YAML parser: add the devDependency `yaml` to check the rendered manifests');
  const validate = await loadSchemaValidator();
  if (!(await loadAppSettings())) skip('app settings: typescript is not installed, the config classes cannot be read');
  if (!validate) skip('schema validation: kubernetes-models is not installed (npm i -D kubernetes-models@4.5.1)');

  // Render from a temporary copy in which every secrets/*.env that is missing (they are
  // git-ignored) is made from its committed .example, so nothing is written to the repo.
  // The whole deploy/ tree is copied: the dev overlay also takes deploy/nats.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'trove-k8s-'));
  const tmp = path.join(copy, 'deploy', 'k8s');
  try {
    fs.cpSync(path.join(ROOT, 'deploy'), path.join(copy, 'deploy'), { recursive: true });
    const made = [];
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.env.example') && !fs.existsSync(p.slice(0, -'.example'.length))) {
          fs.copyFileSync(p, p.slice(0, -'.example'.length));
          made.push(path.relative(tmp, p.slice(0, -'.example'.length)));
        }
      }
    };
    walk(tmp);
    if (made.length) console.log(`  (rendering a temporary copy; ${made.length} secret env files made from their .example files)`);

    for (const target of TARGETS) {
      section(`kubectl kustomize deploy/k8s/${target}`);
      const r = run('kubectl', ['kustomize', path.join(tmp, target)]);
      if (!r.ok) {
        fail(`kubectl kustomize: ${firstLines(r.stderr)}`);
        continue;
      }
      let objs;
      try {
        objs = yaml.parseAll(r.stdout).filter(Boolean);
      } catch (e) {
        fail(`rendered output does not parse: ${e.message}`);
        continue;
      }
      const kinds = {};
      for (const o of objs) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
      pass(`renders ${objs.length} objects (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')})`);
      if (validate) {
        const errors = [];
        for (const o of objs) {
          const err = await validate(o);
          if (err) errors.push(`${o.kind}/${o.metadata?.name}: ${err}`);
        }
        report('schema', `${objs.length} objects valid against the Kubernetes schemas (kubernetes-models)`, errors);
      }
      checkRendered(target, objs);
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

function checkRepoHygiene() {
  section('secrets stay out of git');
  const examples = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.env.example')) examples.push(path.relative(ROOT, p.slice(0, -'.example'.length)));
    }
  };
  walk(K8S_DIR);
  {
    const problems = [];
    for (const e of examples.map((x) => `${x}.example`)) {
      const lines = read(e).split('\n');
      const values = Object.fromEntries(lines.filter((l) => /^\s*[A-Z][A-Z0-9_]*=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]));
      for (const k of SECRET_SETTINGS) if (values[k] && !/change[-_]?me/i.test(values[k])) problems.push(`${e}: ${k} has a value; examples leave secrets empty (or change-me)`);
      if (path.basename(e) === 'delivery.env.example') {
        if (!('DELIVERY_SIGNING_KEYS' in values)) problems.push(`${e}: no DELIVERY_SIGNING_KEYS= line (delivery needs it)`);
        const comments = lines.filter((l) => l.startsWith('#')).join('\n');
        if (!/openssl rand -base64 (3[2-9]|[4-9]\d)/.test(comments) || !/<base64[^>]*32/.test(comments)) problems.push(`${e}: does not show the shape kid:<base64 of 32+ random bytes> and the openssl rand -base64 32 that makes one`);
      }
      if (/production/.test(e) && path.basename(e) === 'delivery.env.example') for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) if (!(k in values)) problems.push(`${e}: no ${k}= line (the S3 driver's credentials)`);
    }
    report('secret examples', 'secret settings are empty or change-me in every .env.example; delivery\'s show DELIVERY_SIGNING_KEYS (shape and openssl one-liner) and, in production, the AWS credentials', problems);
  }
  const git = run('git', ['rev-parse', '--is-inside-work-tree'], { cwd: ROOT });
  if (!git.ok) return skip('not a git work tree: cannot check that secret env files are ignored');
  const problems = [];
  const ignored = run('git', ['check-ignore', '--no-index', ...examples, '.env'], { cwd: ROOT }).stdout.split('\n').filter(Boolean);
  for (const f of [...examples, '.env']) if (!ignored.includes(f)) problems.push(`${f} would not be ignored by git`);
  const tracked = run('git', ['ls-files', '--', 'deploy', '.env'], { cwd: ROOT }).stdout.split('\n').filter((f) => /(^|\/)[^/]*\.env$|^\.env$/.test(f));
  for (const f of tracked) problems.push(`${f} is tracked by git`);
  const key = /TROVE_ADMIN_KEY\s*[:=]\s*['"]?([^\s'"$#]{16,})/;
  for (const f of ['docker-compose.yml', ...examples.map((e) => `${e}.example`)]) if (exists(f) && key.test(read(f))) problems.push(`${f} contains a literal TROVE_ADMIN_KEY`);
  report('secrets', `${examples.length} overlay secret env files and .env are git-ignored, none tracked; no literal admin key in compose or the examples`, problems);
}

// ---------------------------------------------------------------- main

const yaml = await loadYamlParser();
console.log(`check-deploy: ${ROOT}${STRICT ? ' (strict)' : ''}; YAML parser: ${yaml?.name ?? 'none'}`);
await checkDocker();
checkNatsAuthorization();
await checkCompose(yaml);
await checkKubernetes(yaml);
checkRepoHygiene();
console.log(`\ncheck-deploy: ${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
process.exit(tally.failed > 0 ? 1 : 0);
