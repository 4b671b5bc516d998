// download: a 1 GiB file through a signed download URL (delivery from dist/, filesystem driver:
// signature, one indexed read of the entitlement, then 1 MiB reads straight to the socket),
// against nginx serving the same file with sendfile, in the same run. Each side serves it as one
// stream and as 8 parallel ranges; delivery's RSS is sampled during the parallel runs.
//
// nginx comes from Debian's packages: when it is missing the entry installs nginx-light (or
// nginx) with apt-get. BENCH_DOWNLOAD_MIB (default 1024) sets the file size, BENCH_DOWNLOAD_ROUNDS
// (default 3) the rounds of runs per mode.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { BenchProcess, cpuSeconds, freePort } from '../lib/processes.mjs';

const MiB = 1024 * 1024;
const PARALLEL = 8;
/**
 * Rounds of nginx, Trove, Trove, nginx per mode. One run lasts 2-3 s and, with the client on the
 * same two cores, one side's runs spread by a quarter either way: two runs a side decided the
 * ratio by which side the scheduler favoured. BENCH_DOWNLOAD_ROUNDS sets it.
 */
const ROUNDS = Number(process.env.BENCH_DOWNLOAD_ROUNDS ?? 3);
if (!Number.isInteger(ROUNDS) || ROUNDS <= 0) throw new Error(`BENCH_DOWNLOAD_ROUNDS must be a positive whole number, got "${process.env.BENCH_DOWNLOAD_ROUNDS}"`);
const require = createRequire(import.meta.url);

function settingMiB() {
  const value = Number(process.env.BENCH_DOWNLOAD_MIB ?? 1024);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`BENCH_DOWNLOAD_MIB must be a positive whole number of MiB, got "${process.env.BENCH_DOWNLOAD_MIB}"`);
  return value;
}

async function writeFile(file, bytes) {
  await pipeline(
    (async function* () {
      for (let left = bytes; left > 0; left -= 16 * MiB) yield crypto.randomBytes(Math.min(16 * MiB, left));
    })(),
    fs.createWriteStream(file, { highWaterMark: 16 * MiB }),
  );
}

function which(command) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const candidate = path.join(dir, command);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** nginx from the PATH, or installed from Debian's packages. */
function ensureNginx(log) {
  let nginx = which('nginx');
  if (nginx) return nginx;
  log('  nginx is missing: apt-get install -y nginx-light');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (args) => execFileSync(sudo.length ? 'sudo' : 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt(['install', '-y', '--no-install-recommends', 'nginx-light']);
  } catch {
    apt(['update']);
    try {
      apt(['install', '-y', '--no-install-recommends', 'nginx-light']);
    } catch {
      apt(['install', '-y', '--no-install-recommends', 'nginx']);
    }
  }
  nginx = which('nginx');
  if (!nginx) throw new Error('nginx could not be installed (apt-get install nginx-light)');
  return nginx;
}

/** nginx on a free loopback port, serving `root` with sendfile, everything in `dir`. */
async function startNginx(binary, dir, root) {
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`,
  );
  const child = spawn(binary, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    try {
      await new Promise((resolve, reject) => http.get(`http://127.0.0.1:${port}/`, (res) => res.resume().on('end', resolve)).on('error', reject));
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not answer: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGQUIT');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** GET url (optionally a range), counting and dropping the bytes. */
function download(url, range) {
  return new Promise((resolve, reject) => {
    const { hostname, port, pathname, search } = new URL(url);
    const req = http.get({ host: hostname, port, path: pathname + search, headers: range ? { range: `bytes=${range[0]}-${range[1]}` } : {} }, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function rssMiB(pid) {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line.split(/\s+/)[1]) / 1024;
  } catch {
    return NaN;
  }
}

function markdown(r) {
  const row = (label, s) => `| ${label} | ${s.runs.join(', ')} | ${s.megabytesPerSecond} | ${s.cpuSecondsPerGiB.join(', ')} |`;
  return [
    `# ${r.title}`,
    '',
    `Target: ${r.target}. Measured ${r.machine.date} on ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, load average ${r.machine.loadAverageAtStart?.join(' ') ?? '?'} at the start; the client (Node http, dropping the bytes) runs on the same cores. Runs alternate: nginx, Trove, Trove, nginx, ${r.settings?.rounds ?? 1} times for each mode.`,
    '',
    `- baseline: ${r.sides.baseline.label}`,
    `- Trove: ${r.sides.trove.label}`,
    ...Object.entries(r.settings ?? {}).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '| side and mode | MiB/s per run | mean MiB/s | CPU s per GiB (server) |',
    '|---|---|---|---|',
    row('nginx, one stream', r.modes.single.baseline),
    row('Trove, one stream', r.modes.single.trove),
    row(`nginx, ${PARALLEL} ranges`, r.modes.parallel.baseline),
    row(`Trove, ${PARALLEL} ranges`, r.modes.parallel.trove),
    '',
    `- one stream: Trove **${r.modes.single.ratio}** of nginx; ${PARALLEL} parallel ranges: **${r.modes.parallel.ratio}**.`,
    `- delivery's RSS: ${r.rss.beforeMiB} MiB before the parallel runs, ${r.rss.peakMiB} MiB at most during them: growth **${r.rss.growthMiB} MiB** (target < 100: ${r.rss.pass ? 'pass' : 'missed'}).`,
    '',
    `Mean over both modes: nginx ${r.sides.baseline.megabytesPerSecond} MiB/s, Trove ${r.sides.trove.megabytesPerSecond} MiB/s, ratio **${r.ratio}** (target ≥ ${r.targetRatio}: ${r.pass ? 'pass' : 'missed'}).`,
    '',
  ].join('\n');
}

export default {
  name: 'download',
  markdown,
  title: 'Download: a 1 GiB file through a signed URL from delivery, as one stream and as 8 parallel ranges',
  target: 'Trove at least 90 % of the throughput of nginx (sendfile) on the same file, and delivery RSS growth under 100 MB with 8 parallel downloads',
  async run(ctx) {
    const mib = settingMiB();
    const size = mib * MiB;
    const nginxBinary = ensureNginx(ctx.log);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'trove-bench-download-'));
    fs.chmodSync(work, 0o755);
    const storageDir = path.join(work, 'objects');
    const datasetId = crypto.randomUUID();
    const versionId = crypto.randomUUID();
    const objectKey = `datasets/${datasetId}/${crypto.randomUUID()}`;
    const objectFile = path.join(storageDir, objectKey);
    const { connect, headers: natsHeaders, StringCodec } = require('nats');
    const pg = require('pg');
    const sc = StringCodec();
    let nc;
    let delivery;
    let nginx;
    try {
      ctx.log(`  writing a ${mib} MiB file`);
      fs.mkdirSync(path.dirname(objectFile), { recursive: true });
      await writeFile(objectFile, size);
      const sha256 = crypto.createHash('sha256');
      for await (const chunk of fs.createReadStream(objectFile, { highWaterMark: MiB })) sha256.update(chunk);
      const digest = sha256.digest('hex');
      // nginx serves the very same file (the same inode: the same page cache).
      const nginxRoot = path.join(work, 'nginx-root');
      fs.mkdirSync(nginxRoot);
      fs.linkSync(objectFile, path.join(nginxRoot, 'speech-corpus-shard-0001.tar'));

      // Delivery knows the file and one buyer's entitlement to it, as an upload and order.paid leave them.
      const deliveryDb = await ctx.appDatabase('delivery');
      const buyer = { organizationId: crypto.randomUUID(), keyId: crypto.randomBytes(16).toString('hex') };
      const entitlementId = crypto.randomUUID();
      const db = new pg.Client({ connectionString: deliveryDb });
      await db.connect();
      try {
        await db.query(
          `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at) VALUES ($1, 'version-file', $2, $3, $4, $5, $6, $7, now())`,
          [objectKey, datasetId, versionId, 'audio/zh-CN/speech-corpus-shard-0001.tar', size, digest, crypto.randomUUID()],
        );
        await db.query(
          `INSERT INTO entitlement (id, order_id, line_id, buyer_organization_id, dataset_id, offer_id, license_template, terms, terms_sha256, pricing, covers_future_versions, granted_at)
           VALUES ($1, $2, 'line-1', $3, $4, $5, 'commercial', $6, $7, '{"model":"one_time"}', false, now())`,
          [
            entitlementId,
            crypto.randomUUID(),
            buyer.organizationId,
            datasetId,
            crypto.randomUUID(),
            JSON.stringify({ attributionRequired: false, downloadLimit: null, exclusive: false, seats: null, termMonths: null, territories: ['CN'], uses: ['model_training'] }),
            '9f1782bb0aa46d20b773450a85d699b12e8beb79fc670c6a0a30380f8ad54737',
          ],
        );
        await db.query(`INSERT INTO entitlement_version (entitlement_id, version_id) VALUES ($1, $2)`, [entitlementId, versionId]);
      } finally {
        await db.end();
      }

      const port = await freePort();
      delivery = new BenchProcess('delivery', ctx.appMain('delivery'), {
        DATABASE_URL: deliveryDb,
        NATS_URL: ctx.natsUrl,
        TROVE_NAMESPACE: ctx.namespace,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        DELIVERY_SIGNING_KEYS: `bench:${crypto.randomBytes(32).toString('base64')}`,
        DELIVERY_PUBLIC_URL: `http://127.0.0.1:${port}`,
        STORAGE_DRIVER: 'fs',
        STORAGE_DIR: storageDir,
      }).start();
      await delivery.ready(`http://127.0.0.1:${port}/health/ready`);
      nginx = await startNginx(nginxBinary, work, nginxRoot);

      // The manifest, as the gateway asks it for the buyer: its URL is what a buyer downloads.
      nc = await connect({ servers: ctx.natsUrl.split(',') });
      const h = natsHeaders();
      h.set('trove-caller-org', buyer.organizationId);
      h.set('trove-caller-role', 'buyer');
      h.set('trove-caller-key', buyer.keyId);
      const reply = JSON.parse(sc.decode((await nc.request(`${ctx.namespace}.delivery.entitlement.manifest`, sc.encode(JSON.stringify({ id: entitlementId })), { timeout: 10_000, headers: h })).data));
      if (!reply.ok) throw new Error(`delivery.entitlement.manifest: ${JSON.stringify(reply.error)}`);
      const troveUrl = reply.data.versions[0].files[0].url;
      const nginxUrl = `http://127.0.0.1:${nginx.port}/speech-corpus-shard-0001.tar`;

      const part = Math.ceil(size / PARALLEL);
      const ranges = [...Array(PARALLEL).keys()].map((i) => [i * part, Math.min(size, (i + 1) * part) - 1]);
      const results = { single: { baseline: [], trove: [] }, parallel: { baseline: [], trove: [] } };
      const cpu = { single: { baseline: [], trove: [] }, parallel: { baseline: [], trove: [] } };
      const rss = { before: rssMiB(delivery.pid), peak: 0 };
      let broke = false;
      const measure = async (mode, side) => {
        const url = side === 'trove' ? troveUrl : nginxUrl;
        const pid = side === 'trove' ? delivery.pid : nginx.pid;
        const cpuBefore = await cpuSeconds(side === 'trove' ? pid : nginxWorker(nginx.pid));
        let sampler;
        if (side === 'trove' && mode === 'parallel') sampler = setInterval(() => (rss.peak = Math.max(rss.peak, rssMiB(pid))), 20);
        const started = process.hrtime.bigint();
        const answers = mode === 'single' ? [await download(url)] : await Promise.all(ranges.map((r) => download(url, r)));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        if (sampler) clearInterval(sampler);
        const bytes = answers.reduce((n, a) => n + a.bytes, 0);
        const expectedStatus = mode === 'single' ? 200 : 206;
        if (bytes !== size || answers.some((a) => a.status !== expectedStatus)) {
          broke = true;
          ctx.log(`  ${side} ${mode}: answered ${answers.map((a) => a.status).join(',')} with ${bytes} of ${size} bytes`);
        }
        results[mode][side].push(size / MiB / seconds);
        cpu[mode][side].push((await cpuSeconds(side === 'trove' ? pid : nginxWorker(nginx.pid))) - cpuBefore);
        ctx.log(`  ${side} ${mode}: ${(size / MiB / seconds).toFixed(0)} MiB/s (${seconds.toFixed(2)} s)`);
      };
      // One warm-up download of each side: the file is in the page cache for both.
      await download(nginxUrl);
      await download(troveUrl);
      for (const mode of ['single', 'parallel']) for (let round = 0; round < ROUNDS; round++) for (const side of ['baseline', 'trove', 'trove', 'baseline']) await measure(mode, side);

      if (broke) ctx.log(`  delivery's output:\n${delivery.output.slice(-4000)}`);
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const side = (mode, s, label) => ({
        label,
        runs: results[mode][s].map((x) => Math.round(x)),
        megabytesPerSecond: Math.round(mean(results[mode][s])),
        cpuSecondsPerGiB: cpu[mode][s].map((c) => Math.round((c / (size / 1024 ** 3)) * 100) / 100),
      });
      const modes = {};
      for (const mode of ['single', 'parallel']) {
        const baseline = side(mode, 'baseline', 'nginx');
        const trove = side(mode, 'trove', 'Trove');
        modes[mode] = { baseline, trove, ratio: Math.round((trove.megabytesPerSecond / baseline.megabytesPerSecond) * 100) / 100 };
      }
      const baselineMean = Math.round(mean([...results.single.baseline, ...results.parallel.baseline]));
      const troveMean = Math.round(mean([...results.single.trove, ...results.parallel.trove]));
      const growth = Math.round(rss.peak - rss.before);
      const ratio = Math.round((Math.min(modes.single.ratio, modes.parallel.ratio)) * 100) / 100;
      return {
        sides: {
          baseline: { label: `nginx ${nginxVersion(nginxBinary)} with sendfile on, one worker, serving the same file (a hard link) on loopback`, megabytesPerSecond: baselineMean, runs: [] },
          trove: { label: 'GET of the signed URL from the manifest: delivery from dist/, STORAGE_DRIVER=fs, the entitlement read from PostgreSQL on each request', megabytesPerSecond: troveMean, runs: [] },
        },
        modes,
        rss: { beforeMiB: Math.round(rss.before), peakMiB: Math.round(rss.peak), growthMiB: growth, pass: growth < 100 },
        ratio,
        targetRatio: 0.9,
        pass: ratio >= 0.9 && growth < 100,
        broke,
        unit: 'MiB/s',
        settings: {
          file: `${mib} MiB of random bytes (BENCH_DOWNLOAD_MIB) in ${os.tmpdir()}, in the page cache for both sides`,
          ratio: 'the lower of the two modes (one stream, 8 parallel ranges)',
          rounds: ROUNDS,
        },
      };
    } finally {
      await nc?.close().catch(() => undefined);
      await nginx?.stop().catch(() => undefined);
      await delivery?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
};

/** nginx's one worker process (its CPU is the baseline's), or the master when none is found. */
function nginxWorker(masterPid) {
  try {
    const children = fs.readFileSync(`/proc/${masterPid}/task/${masterPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return Number(children[0] ?? masterPid);
  } catch {
    return masterPid;
  }
}

function nginxVersion(binary) {
  // nginx -v prints to stderr.
  return String(spawnSync(binary, ['-v'], { encoding: 'utf8' }).stderr ?? '').trim().replace(/^nginx version: /, '');
}
