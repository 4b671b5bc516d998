// upload: a file through a signed upload URL (PUT, streamed from disk, to delivery with the
// filesystem driver: measured, hashed, checked against the declared size and SHA-256, fsynced,
// renamed, recorded), against Node's own streaming SHA-256 of the same file, in the same run.
// Both read the file from the page cache (it was just written). The client is curl, as a vendor
// uploads from a shell; BENCH_UPLOAD_CLIENT=node uses a Node http.request instead.
//
// BENCH_UPLOAD_MIB (default 1024) sets the file size; BENCH_UPLOAD_MIB=64 is a quick check.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import { BenchProcess, cpuSeconds, freePort } from '../lib/processes.mjs';

const MiB = 1024 * 1024;
/** The runs on the disk, in order; then two on tmpfs. */
const ORDER = ['baseline', 'trove', 'disk', 'trove', 'baseline', 'trove', 'disk', 'trove', 'baseline'];
/** After those, the same client against a bare receiver, twice each (bare-receiver.mjs). */
const BARE = ['discard', 'hash', 'discard', 'hash'];
const require = createRequire(import.meta.url);
const here = path.dirname(new URL(import.meta.url).pathname);

function settingMiB() {
  const value = Number(process.env.BENCH_UPLOAD_MIB ?? 1024);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`BENCH_UPLOAD_MIB must be a positive whole number of MiB, got "${process.env.BENCH_UPLOAD_MIB}"`);
  return value;
}

/**
 * A file of random bytes (speech recordings do not compress either), written in 16 MiB blocks and
 * fsynced: it stays in the page cache for both sides to read, and its writeback is over before
 * the first run (it used to run under the first upload, writing to the same disk).
 */
async function writeFile(file, bytes) {
  const out = fs.createWriteStream(file, { highWaterMark: 16 * MiB, flush: true });
  await pipeline(
    (async function* () {
      for (let left = bytes; left > 0; left -= 16 * MiB) yield crypto.randomBytes(Math.min(16 * MiB, left));
    })(),
    out,
  );
}

/** The baseline: Node's streaming SHA-256 of the file, in a fresh process (hash-file.mjs). */
function hashFile(file) {
  const child = spawnSync(process.execPath, [path.join(here, 'hash-file.mjs'), file], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`hash-file.mjs exited ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

/** The disk's own ceiling for a durable write of the file: stream it to a new file and fsync. */
async function copyDurably(file, target) {
  const started = process.hrtime.bigint();
  await pipeline(fs.createReadStream(file, { highWaterMark: MiB }), fs.createWriteStream(target, { highWaterMark: MiB, flush: true }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.rmSync(target);
  return seconds;
}

/** The Node client: a file stream piped into http.request (BENCH_UPLOAD_CLIENT=node). */
function putWithNode(url, file, size) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const { hostname, port, pathname, search } = new URL(url);
    const req = http.request({ host: hostname, port, method: 'PUT', path: pathname + search, headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    fs.createReadStream(file, { highWaterMark: MiB }).pipe(req);
  });
}

/**
 * curl -T, as a vendor uploads to a signed URL from a shell (its defaults: Content-Length from
 * the file, Expect: 100-continue). It is a process of its own, as a vendor's client is, and
 * costs about half the CPU of the Node client, on the same two cores as delivery.
 */
function putWithCurl(url, file) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('curl', ['--silent', '--show-error', '--globoff', '--upload-file', file, '--header', 'content-type: application/octet-stream', '--write-out', '\n%{http_code}', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`curl exited ${code}: ${err.trim()}`));
      const at = out.lastIndexOf('\n');
      resolve({ seconds, status: Number(out.slice(at + 1)), body: out.slice(0, at) });
    });
  });
}

function hasCurl() {
  return spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;
}

function clientSetting() {
  const value = process.env.BENCH_UPLOAD_CLIENT ?? (hasCurl() ? 'curl' : 'node');
  if (value !== 'curl' && value !== 'node') throw new Error(`BENCH_UPLOAD_CLIENT must be curl or node, got "${value}"`);
  return value;
}

/** The entry's report: throughput per run, not requests per second. */
function markdown(r) {
  const row = (name, s, i) => `| ${name} ${i + 1} | ${s.runs[i]} | ${s.seconds[i]} | ${s.cpuSecondsPerGiB[i]} |`;
  const runs = (side) => r.sides[side].runs.map((_, i) => row(side === 'baseline' ? 'baseline' : 'Trove', r.sides[side], i));
  return [
    `# ${r.title}`,
    '',
    `Target: ${r.target}. Measured ${r.machine.date} on ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}, load average ${r.machine.loadAverageAtStart?.join(' ') ?? '?'} at the start; the client runs on the same cores. Runs in this order: ${ORDER.map((side) => ({ trove: 'Trove', disk: 'disk copy' })[side] ?? side).join(', ')}, then Trove on tmpfs twice, then a bare receiver discarding and hashing, alternately, twice each.`,
    '',
    `- baseline: ${r.sides.baseline.label}`,
    `- Trove: ${r.sides.trove.label}`,
    ...Object.entries(r.settings ?? {}).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '| run | MiB/s | seconds | CPU s per GiB (hashing process / receiving server) |',
    '|---|---|---|---|',
    ...runs('baseline'),
    ...runs('trove'),
    ...r.reference.disk.runs.map((_, i) => row('disk copy', r.reference.disk, i)),
    ...(r.reference.memory?.runs ?? []).map((_, i) => row('Trove on tmpfs', r.reference.memory, i)),
    ...(r.reference.discard?.runs ?? []).map((_, i) => row('bare receiver, discarding', r.reference.discard, i)),
    ...(r.reference.hash?.runs ?? []).map((_, i) => row('bare receiver, hashing', r.reference.hash, i)),
    '',
    `- disk copy: ${r.reference.disk.label}; Trove reached **${r.reference.troveOfDisk}** of its throughput.`,
    ...(r.reference.memory ? [`- Trove on tmpfs: ${r.reference.memory.label}; **${r.reference.memoryOfBaseline}** of the baseline.`] : []),
    ...(r.reference.discard ? [`- bare receiver, discarding: ${r.reference.discard.label}; **${r.reference.discardOfBaseline}** of the baseline.`] : []),
    ...(r.reference.hash ? [`- bare receiver, hashing: ${r.reference.hash.label}; **${r.reference.hashOfBaseline}** of the baseline: the least a server that checks an upload does, with this client on these cores.`] : []),
    '',
    `Mean: baseline ${r.sides.baseline.megabytesPerSecond} MiB/s, Trove ${r.sides.trove.megabytesPerSecond} MiB/s, ratio **${r.ratio}** (target ≥ ${r.targetRatio}: ${r.pass ? 'pass' : 'missed'}).`,
    '',
  ].join('\n');
}

export default {
  name: 'upload',
  markdown,
  title: 'Upload: a file PUT through a signed URL to delivery (streamed, hashed, checked, fsynced, recorded)',
  target: 'Trove at least 70 % of the throughput of Node streaming SHA-256 over the same file',
  async run(ctx) {
    const mib = settingMiB();
    const client = clientSetting();
    const put = client === 'curl' ? putWithCurl : putWithNode;
    const size = mib * MiB;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'trove-bench-upload-'));
    const file = path.join(work, 'speech-corpus-shard-0001.tar');
    const storageDir = path.join(work, 'objects');
    const { connect, headers: natsHeaders, StringCodec } = require('nats');
    const sc = StringCodec();
    let nc;
    let delivery;
    let bare;
    try {
      ctx.log(`  writing a ${mib} MiB file`);
      await writeFile(file, size);
      const deliveryDb = await ctx.appDatabase('delivery');
      const signingKeys = `bench:${crypto.randomBytes(32).toString('base64')}`;
      /** Delivery from dist/ keeping its objects in `dir`; one at a time, on the same database and namespace. */
      const startDelivery = async (dir) => {
        await delivery?.stop();
        const port = await freePort();
        delivery = new BenchProcess('delivery', ctx.appMain('delivery'), {
          DATABASE_URL: deliveryDb,
          NATS_URL: ctx.natsUrl,
          TROVE_NAMESPACE: ctx.namespace,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          DELIVERY_SIGNING_KEYS: signingKeys,
          DELIVERY_PUBLIC_URL: `http://127.0.0.1:${port}`,
          STORAGE_DRIVER: 'fs',
          STORAGE_DIR: dir,
        }).start();
        await delivery.ready(`http://127.0.0.1:${port}/health/ready`);
      };
      await startDelivery(storageDir);

      // Catalog's side of the flow, answered from here: the file is recorded as delivery says.
      nc = await connect({ servers: ctx.natsUrl.split(',') });
      nc.subscribe(`${ctx.namespace}.catalog.version.add-file`, {
        callback: (_error, msg) => {
          const request = JSON.parse(sc.decode(msg.data));
          msg.respond(sc.encode(JSON.stringify({ ok: true, data: { path: request.path, size: request.size, sha256: request.sha256 } })));
        },
      });
      const datasetId = crypto.randomUUID();
      const versionId = crypto.randomUUID();
      /** Each upload is a new file of the version, as a vendor's shards are: none replaces another. */
      let shard = 0;
      const sign = async (sha256) => {
        const uploadPath = `audio/zh-CN/speech-corpus-shard-${String(++shard).padStart(4, '0')}.tar`;
        const h = natsHeaders();
        h.set('trove-caller-org', crypto.randomUUID());
        h.set('trove-caller-role', 'vendor');
        h.set('trove-caller-key', crypto.randomBytes(16).toString('hex'));
        const reply = JSON.parse(
          sc.decode(
            (await nc.request(`${ctx.namespace}.delivery.upload.sign`, sc.encode(JSON.stringify({ target: 'version-file', datasetId, versionId, path: uploadPath, size, sha256 })), { timeout: 5000, headers: h })).data,
          ),
        );
        if (!reply.ok) throw new Error(`delivery.upload.sign: ${JSON.stringify(reply.error)}`);
        return reply.data.uploadUrl;
      };

      const runs = { baseline: [], trove: [], disk: [], memory: [], discard: [], hash: [] };
      // CPU seconds per run: the hashing process's for the baseline, delivery's for an upload.
      // Unlike wall time, they hardly depend on what else the machine is doing.
      const cpu = { baseline: [], trove: [], disk: [], memory: [], discard: [], hash: [] };
      let expected;
      /** The process whose CPU an upload run counts: delivery, or the bare receiver. */
      const receiverOf = (side) => (side === 'discard' || side === 'hash' ? bare[side] : delivery);
      const measure = async (side) => {
        const uploads = side !== 'disk' && side !== 'baseline';
        const cpuBefore = uploads ? await cpuSeconds(receiverOf(side).pid) : process.cpuUsage();
        let hashingCpu;
        if (side === 'disk') {
          runs.disk.push(await copyDurably(file, path.join(work, 'durable-copy.tar')));
        } else if (side === 'baseline') {
          const { seconds, sha256, cpuSeconds: used } = hashFile(file);
          hashingCpu = used;
          expected ??= sha256;
          if (sha256 !== expected) throw new Error('the file hashed differently twice');
          runs.baseline.push(seconds);
        } else if (side === 'discard' || side === 'hash') {
          const answer = await put(bare.urls[side], file, size);
          const body = JSON.parse(answer.body);
          if (answer.status !== 201 || body.size !== size || (side === 'hash' && body.sha256 !== expected)) throw new Error(`bare receiver answered ${answer.status}: ${answer.body}`);
          runs[side].push(answer.seconds);
        } else {
          const url = await sign(expected);
          const answer = await put(url, file, size);
          const body = JSON.parse(answer.body);
          if (answer.status !== 201 || body.sha256 !== expected || body.size !== size) throw new Error(`upload answered ${answer.status}: ${answer.body}`);
          runs[side].push(answer.seconds);
        }
        const used = uploads ? (await cpuSeconds(receiverOf(side).pid)) - cpuBefore : (hashingCpu ?? ((u) => (u.user + u.system) / 1e6)(process.cpuUsage(cpuBefore)));
        cpu[side].push(used);
        const seconds = runs[side].at(-1);
        ctx.log(`  ${side}: ${(size / MiB / seconds).toFixed(0)} MiB/s (${seconds.toFixed(2)} s, ${used.toFixed(2)} CPU s)`);
      };
      // Alternating, every Trove run next to a baseline run, so neither side always gets the
      // warmer or cooler machine (others' work on this machine comes and goes within seconds).
      // The disk runs are not the baseline: they show what a plain durable copy of the file
      // (through the page cache, then fsync) costs here. The memory runs are the same upload with
      // delivery's objects on tmpfs: what the code path reaches without the disk.
      const memoryDir = fs.existsSync('/dev/shm') ? fs.mkdtempSync('/dev/shm/trove-bench-upload-') : undefined;
      try {
        for (const side of ORDER) await measure(side);
        if (memoryDir) {
          await startDelivery(memoryDir);
          for (const side of ['memory', 'memory']) await measure(side);
        }
        await delivery.stop();
        // The least an upload costs here: the same client and file, a server that does nothing
        // else with the bytes than drop them, or hash them as they arrive.
        bare = { urls: {} };
        for (const mode of ['discard', 'hash']) {
          const port = await freePort();
          bare[mode] = new BenchProcess(`bare-receiver-${mode}`, path.join(here, 'bare-receiver.mjs'), { MODE: mode, PORT: String(port) }).start();
          await bare[mode].ready(`http://127.0.0.1:${port}/health`);
          bare.urls[mode] = `http://127.0.0.1:${port}/speech-corpus-shard-0001.tar`;
        }
        for (const side of BARE) await measure(side);
      } finally {
        if (memoryDir) fs.rmSync(memoryDir, { recursive: true, force: true });
      }

      const summary = (side, label) => {
        const mibPerSecond = runs[side].map((s) => Math.round(size / MiB / s));
        return {
          label,
          megabytesPerSecond: Math.round(mibPerSecond.reduce((a, b) => a + b, 0) / mibPerSecond.length),
          runs: mibPerSecond,
          seconds: runs[side].map((s) => Math.round(s * 100) / 100),
          cpuSecondsPerGiB: cpu[side].map((c) => Math.round((c / (size / 1024 ** 3)) * 100) / 100),
        };
      };
      const baseline = summary('baseline', 'Node crypto SHA-256 over fs.createReadStream (1 MiB buffers), in a fresh Node process of its own (bench/upload/hash-file.mjs)');
      const trove = summary(
        'trove',
        client === 'curl'
          ? 'PUT to the signed URL of a new file of the version (each run its own path) with curl --upload-file (BENCH_UPLOAD_CLIENT=curl), until delivery answers 201 and curl exits'
          : 'PUT to the signed URL of a new file of the version (each run its own path; fs.createReadStream piped to http.request in the bench process, BENCH_UPLOAD_CLIENT=node) until delivery answers 201',
      );
      const disk = summary('disk', 'a plain durable copy: the same file streamed to a new file on the same disk, then fsynced (CPU: the bench process)');
      const memory = memoryDir ? summary('memory', 'the same upload to a delivery keeping its objects on tmpfs (/dev/shm), where fsync costs nothing') : undefined;
      const discard = summary('discard', 'the same client PUTting the file to a bare Node HTTP server (bench/upload/bare-receiver.mjs, its own process) that reads the body and drops it: moving the bytes alone');
      const hash = summary('hash', 'the same, with the bare server hashing the body with SHA-256 on its thread as it arrives: no Nest, no database, no disk, no check');
      const ratio = trove.megabytesPerSecond / baseline.megabytesPerSecond;
      const share = (a, b) => Math.round((a / b) * 100) / 100;
      return {
        sides: { baseline, trove },
        reference: {
          disk,
          troveOfDisk: share(trove.megabytesPerSecond, disk.megabytesPerSecond),
          ...(memory ? { memory, memoryOfBaseline: share(memory.megabytesPerSecond, baseline.megabytesPerSecond) } : {}),
          discard,
          discardOfBaseline: share(discard.megabytesPerSecond, baseline.megabytesPerSecond),
          hash,
          hashOfBaseline: share(hash.megabytesPerSecond, baseline.megabytesPerSecond),
        },
        ratio: Math.round(ratio * 100) / 100,
        targetRatio: 0.7,
        pass: ratio >= 0.7,
        broke: false,
        unit: 'MiB/s',
        settings: {
          client: client === 'curl' ? 'curl (BENCH_UPLOAD_CLIENT=node for the Node http.request client)' : 'Node http.request in the bench process (BENCH_UPLOAD_CLIENT=node)',
          file: `${mib} MiB of random bytes in ${os.tmpdir()} (BENCH_UPLOAD_MIB), read from the page cache by both sides`,
          delivery: `from dist/, STORAGE_DRIVER=fs in the same temporary directory, LOG_LEVEL=warn; the URL declares the size and SHA-256, so delivery checks both; catalog's add-file answered by the bench process over NATS`,
        },
      };
    } finally {
      await nc?.close().catch(() => undefined);
      await delivery?.stop();
      await Promise.all([bare?.discard?.stop(), bare?.hash?.stop()]);
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
};
