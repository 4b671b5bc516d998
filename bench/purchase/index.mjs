// purchase: the whole purchase saga under load. 32 buyers (BENCH_BUYERS) each place orders one
// after the other through POST /v1/orders; an order counts when it reaches `fulfilled` (billing
// charged it, delivery granted the entitlement). Throughput is the orders placed per second in
// the measured window that reached `fulfilled`; latency is placement to fulfilled, from the
// order's own timestamps (no polling). The thin baseline is the foundation bench's: plain
// Fastify -> NATS request -> responder -> one PostgreSQL insert, at the same concurrency, in the
// same run. BENCH_ORDERS_PER_SECOND=<n> paces the buyers to n orders per second in all instead
// (for comparing two builds' CPU per order at the same throughput); BENCH_BUYERS changes the 32.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { measure } from '../lib/load.mjs';
import { BenchProcess, cpuSeconds, cpuSecondsByCommand, freePort, machineBusySeconds } from '../lib/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SETTINGS = { LOG_LEVEL: 'warn', RATE_LIMIT_PER_ADDRESS: '100000', RATE_LIMIT_PER_KEY: '100000', RATE_LIMIT_PER_ORGANIZATION: '100000', SIGNUPS_PER_ADDRESS_PER_HOUR: '100000' };
const PRICE = 129_900; // 1,299.00 yuan
/** Orders each buyer's wallet pays for: far more than a run places, and one top-up within billing's cap on a single transfer (10^11 fen). */
const ORDERS_FUNDED = 100_000;
const P99_TARGET_MS = 150;
/** The servers the bench does not start, whose CPU per order it reports too. */
const SERVERS = ['postgres', 'nats-server'];
const RATIO_TARGET = 0.25;

const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);

async function call(base, method, url, { key, body, headers = {} } = {}) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

async function expect(status, promise, what) {
  const answer = await promise;
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/**
 * A one-year license: each buyer orders the same offer again and again, as a renewal may be. A
 * perpetual one would be refused from the second order on (409 ALREADY_LICENSED: the buyer holds
 * it already).
 */
const ONE_YEAR_COMMERCIAL = {
  uses: ['model_training', 'fine_tuning', 'evaluation', 'commercial_deployment', 'sell_model_outputs', 'derivatives'],
  termMonths: 12,
  territories: ['CN'],
  seats: null,
  exclusive: false,
};

/** A published speech listing with one released file and a one-time commercial offer for a year. */
async function publishedOffer(base, adminKey) {
  const signUp = await expect(201, call(base, 'POST', '/v1/organizations', { body: { name: '海天瑞声 SpeechOcean', kind: 'vendor', contactEmail: 'bd@speechocean.example.cn' } }), 'vendor sign-up');
  const vendor = signUp.apiKey;
  await expect(200, call(base, 'POST', `/v1/admin/organizations/${signUp.organization.id}/approve`, { key: adminKey }), 'approve vendor');
  const listing = JSON.parse(fs.readFileSync(path.join(here, 'listing.json'), 'utf8'));
  const dataset = await expect(201, call(base, 'POST', '/v1/datasets', { key: vendor, body: listing }), 'dataset');
  const version = await expect(201, call(base, 'POST', `/v1/datasets/${dataset.id}/versions`, { key: vendor, body: { version: '1.0.0', changelog: '首个版本 / First release' } }), 'version');
  const bytes = Buffer.from('{"id":"utt_000001","text":"今天天气很好"}\n');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const upload = await expect(201, call(base, 'POST', `/v1/datasets/${dataset.id}/versions/${version.id}/uploads`, { key: vendor, body: { path: 'transcripts.jsonl', size: bytes.length, sha256 } }), 'upload URL');
  const put = await fetch(upload.uploadUrl, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
  await expect(200, call(base, 'POST', `/v1/datasets/${dataset.id}/versions/${version.id}/release`, { key: vendor }), 'release');
  const offer = await expect(201, call(base, 'POST', `/v1/datasets/${dataset.id}/offers`, { key: vendor, body: { license: { template: 'commercial', terms: ONE_YEAR_COMMERCIAL }, pricing: { model: 'one_time', price: { amount: PRICE, currency: 'CNY' } } } }), 'offer');
  await expect(200, call(base, 'POST', `/v1/datasets/${dataset.id}/submit`, { key: vendor }), 'submit');
  await expect(200, call(base, 'POST', `/v1/admin/datasets/${dataset.id}/approve`, { key: adminKey }), 'publish');
  return offer.id;
}

/** A buyer with a wallet confirmed for `orders` purchases. */
async function fundedBuyer(base, adminKey, n, orders) {
  const signUp = await expect(201, call(base, 'POST', '/v1/organizations', { body: { name: `智能语音采购 ${n} / speech procurement ${n}`, kind: 'buyer', contactEmail: `buyer${n}@example.cn` } }), 'buyer sign-up');
  const topUp = await expect(
    201,
    call(base, 'POST', '/v1/wallet/top-ups', { key: signUp.apiKey, body: { amount: { amount: PRICE * orders, currency: 'CNY' }, reference: `招商银行 CMB-${randomUUID().slice(0, 8)}` }, headers: { 'idempotency-key': randomUUID() } }),
    'top-up',
  );
  await expect(200, call(base, 'POST', `/v1/admin/top-ups/${topUp.id}/confirm`, { key: adminKey, headers: { 'idempotency-key': randomUUID() } }), 'confirm top-up');
  return signUp.apiKey;
}

/**
 * Every buyer places orders one after the other for `seconds`; answers per status. With `rate`
 * (orders per second for all buyers together), each buyer waits its turn instead: the same load
 * for whatever is measured, so that two builds' CPU per order compare at the same throughput.
 */
async function placeOrders(base, buyers, offerId, seconds, rate) {
  const started = Date.now();
  const until = started + seconds * 1000;
  const statuses = {};
  /** When each answered order's request was sent (its id from the 201), for send -> fulfilled. */
  const sentAt = new Map();
  let errors = 0;
  const body = JSON.stringify({ items: [{ offerId }], acceptLicense: true });
  const interval = rate ? (buyers.length / rate) * 1000 : 0;
  await Promise.all(
    buyers.map(async (key, n) => {
      let next = started + (interval * n) / buyers.length;
      while (Date.now() < until) {
        if (interval) {
          const wait = next - Date.now();
          next += interval;
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          if (Date.now() >= until) break;
        }
        try {
          const sent = Date.now();
          const response = await fetch(`${base}/v1/orders`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body });
          const answer = await response.text();
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          if (response.status === 201) sentAt.set(JSON.parse(answer).id, { sent, answered: Date.now() });
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { statuses, errors, sentAt };
}

/** Waits until no order placed since `since` is still waiting for billing or delivery; answers how many still are. */
async function untilSettled(client, since, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM purchase_order WHERE placed_at >= $1 AND status IN ('pending_payment', 'paid')`, [since]);
    if (rows[0].n === 0 || Date.now() > deadline) return rows[0].n;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function outcome(client, from, to) {
  const { rows } = await client.query(
    `SELECT id, status, (extract(epoch FROM fulfilled_at) * 1000)::float8 AS fulfilled_ms, (extract(epoch FROM (fulfilled_at - placed_at)) * 1000)::float8 AS ms,
            (extract(epoch FROM (paid_at - placed_at)) * 1000)::float8 AS to_paid,
            (extract(epoch FROM (fulfilled_at - paid_at)) * 1000)::float8 AS to_fulfilled
       FROM purchase_order WHERE placed_at >= $1 AND placed_at < $2`,
    [from, to],
  );
  const byStatus = {};
  for (const row of rows) byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
  const fulfilled = rows.filter((r) => r.status === 'fulfilled');
  const sorted = (pick) => fulfilled.map(pick).sort((a, b) => a - b);
  const latencies = sorted((r) => r.ms);
  // Where the time goes: placed -> paid (billing's charge and the events both ways), paid -> fulfilled (delivery's grant).
  const steps = Object.fromEntries(
    [['placedToPaid', sorted((r) => r.to_paid)], ['paidToFulfilled', sorted((r) => r.to_fulfilled)]].map(([name, list]) => [name, { p50: Math.round(percentile(list, 50)), p99: Math.round(percentile(list, 99)) }]),
  );
  return { byStatus, latencies, steps, fulfilled };
}

/**
 * What the buyer's code lives through: from sending POST /v1/orders to the order being
 * fulfilled, and how long the POST itself took to be answered. The order's own `placed_at` is
 * stamped inside ordering's transaction, so time a request spent queued before it (in the
 * gateway, on NATS, waiting for a connection) is not in placement -> fulfilled; this is.
 */
function buyerSide(fulfilled, sentAt) {
  const sendToFulfilled = [];
  const answered = [];
  for (const row of fulfilled) {
    const sent = sentAt.get(row.id);
    if (!sent) continue;
    sendToFulfilled.push(row.fulfilled_ms - sent.sent);
    answered.push(sent.answered - sent.sent);
  }
  const p = (list, q) => Math.round(percentile(list.sort((a, b) => a - b), q));
  return { sendToFulfilled: { p50: p(sendToFulfilled, 50), p99: p(sendToFulfilled, 99) }, postAnswered: { p50: p(answered, 50), p99: p(answered, 99) } };
}

/**
 * Where an event's time goes, per hop of the saga, for the events written in [from, to): from the
 * producer's transaction to the relay's mark (written -> published), and from there to the start
 * of the consumer's transaction (published -> taken up), medians in ms.
 */
async function hops(clients, from, to) {
  const median = (list) => (list.length ? Math.round(list.sort((a, b) => a - b)[Math.floor(list.length / 2)]) : null);
  const result = {};
  for (const [name, producer, subject, consumer, consumerName] of [
    ['placed', 'ordering', 'evt.ordering.order.placed.v1', 'billing', 'order-payments'],
    ['captured', 'billing', 'evt.billing.payment.captured.v1', 'ordering', 'order-payments'],
    ['paid', 'ordering', 'evt.ordering.order.paid.v1', 'delivery', 'order-entitlements'],
    ['granted', 'delivery', 'evt.delivery.entitlement.granted.v1', 'ordering', 'order-deliveries'],
  ]) {
    const { rows: written } = await clients[producer].query(
      `SELECT id, extract(epoch FROM occurred_at) * 1000 AS occurred, extract(epoch FROM published_at) * 1000 AS published FROM outbox WHERE subject = $1 AND occurred_at >= $2 AND occurred_at < $3`,
      [subject, from, to],
    );
    const { rows: taken } = await clients[consumer].query(`SELECT event_id, extract(epoch FROM handled_at) * 1000 AS handled FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`, [
      consumerName,
      written.map((r) => r.id),
    ]);
    const handled = new Map(taken.map((r) => [r.event_id, Number(r.handled)]));
    const published = written.filter((r) => r.published !== null);
    result[name] = {
      writtenToPublished: median(published.map((r) => Number(r.published) - Number(r.occurred))),
      publishedToTakenUp: median(published.filter((r) => handled.has(r.id)).map((r) => handled.get(r.id) - Number(r.published))),
    };
  }
  return result;
}

export default {
  name: 'purchase',
  title: 'Purchase saga: POST /v1/orders -> charged by billing -> entitlement granted by delivery -> fulfilled',
  target: `orders reaching fulfilled at least ${RATIO_TARGET * 100} % of the thin baseline's inserts per second, p99 placement -> fulfilled under ${P99_TARGET_MS} ms`,
  async run(ctx) {
    const buyersCount = Number(process.env.BENCH_BUYERS ?? 32);
    // BENCH_ORDERS_PER_SECOND: a steady offered load instead of buyers ordering back to back.
    const rate = process.env.BENCH_ORDERS_PER_SECOND ? Number(process.env.BENCH_ORDERS_PER_SECOND) : undefined;
    if (rate !== undefined && !(rate > 0)) throw new Error(`BENCH_ORDERS_PER_SECOND must be a positive number, got "${process.env.BENCH_ORDERS_PER_SECOND}"`);
    const processes = [];
    const started = (p) => (processes.push(p), p.start());
    const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trove-bench-purchase-'));
    try {
      // --- the thin baseline: one insert per request, 32 connections
      const baselineDb = await ctx.appDatabase('ordering');
      const subject = `${ctx.namespace}.baseline.order.place`;
      const baselinePort = await freePort();
      const responder = started(new BenchProcess('baseline-responder', path.join(here, 'baseline-responder.mjs'), { DATABASE_URL: baselineDb, NATS_URL: ctx.natsUrl, SUBJECT: subject }));
      const front = started(new BenchProcess('baseline-http', path.join(here, 'baseline-http.mjs'), { NATS_URL: ctx.natsUrl, SUBJECT: subject, PORT: String(baselinePort) }));
      await responder.printed('responder ready');
      await front.ready(`http://127.0.0.1:${baselinePort}/health`);

      // --- Trove: all five apps
      const dbs = {};
      for (const app of ['gateway', 'catalog', 'ordering', 'billing', 'delivery']) dbs[app] = await ctx.appDatabase(app);
      const ports = {};
      for (const app of Object.keys(dbs)) ports[app] = await freePort();
      const common = { NATS_URL: ctx.natsUrl, TROVE_NAMESPACE: ctx.namespace, ...SETTINGS };
      const extra = {
        gateway: { TROVE_ADMIN_KEY: ctx.adminKey },
        delivery: { DELIVERY_SIGNING_KEYS: `bench:${randomBytes(32).toString('base64')}`, STORAGE_DIR: storageDir, DELIVERY_PUBLIC_URL: `http://127.0.0.1:${ports.delivery}` },
      };
      const apps = {};
      for (const app of Object.keys(dbs)) {
        apps[app] = started(new BenchProcess(app, ctx.appMain(app), { ...common, DATABASE_URL: dbs[app], PORT: String(ports[app]), ...(extra[app] ?? {}) }));
      }
      for (const app of Object.keys(apps)) await apps[app].ready(`http://127.0.0.1:${ports[app]}/health/ready`);
      const base = `http://127.0.0.1:${ports.gateway}`;

      const offerId = await publishedOffer(base, ctx.adminKey);
      const buyers = [];
      for (let n = 0; n < buyersCount; n++) buyers.push(await fundedBuyer(base, ctx.adminKey, n + 1, ORDERS_FUNDED));
      ctx.log(`  a published offer and ${buyers.length} funded buyers`);

      // Both sides must answer 201 before anything is measured.
      const check = await call(base, 'POST', '/v1/orders', { key: buyers[0], body: { items: [{ offerId }], acceptLicense: true }, headers: { 'idempotency-key': randomUUID() } });
      if (check.status !== 201) throw new Error(`Trove answered ${check.status}: ${JSON.stringify(check.body)}`);
      const checkBase = await call(`http://127.0.0.1:${baselinePort}`, 'POST', '/v1/orders', { body: { items: [{ offerId }], acceptLicense: true } });
      if (checkBase.status !== 201) throw new Error(`baseline answered ${checkBase.status}: ${JSON.stringify(checkBase.body)}`);

      const orders = new pg.Client({ connectionString: dbs.ordering });
      await orders.connect();
      const hopClients = { ordering: orders };
      for (const app of ['billing', 'delivery']) {
        hopClients[app] = new pg.Client({ connectionString: dbs[app] });
        await hopClients[app].connect();
      }
      const baselineRuns = [];
      const troveRuns = [];
      const troveProcesses = Object.values(apps);
      const runTrove = async () => {
        await placeOrders(base, buyers, offerId, ctx.warmupSeconds, rate);
        await untilSettled(orders, new Date(0));
        const before = await Promise.all(troveProcesses.map((p) => cpuSeconds(p.pid)));
        const serversBefore = await cpuSecondsByCommand(SERVERS);
        const machineBefore = await machineBusySeconds();
        const from = new Date();
        const placed = await placeOrders(base, buyers, offerId, ctx.durationSeconds, rate);
        const to = new Date();
        const stuck = await untilSettled(orders, from);
        const after = await Promise.all(troveProcesses.map((p) => cpuSeconds(p.pid)));
        const serversAfter = await cpuSecondsByCommand(SERVERS);
        const machineAfter = await machineBusySeconds();
        const { byStatus, latencies, steps, fulfilled: fulfilledRows } = await outcome(orders, from, to);
        const buyer = buyerSide(fulfilledRows, placed.sentAt);
        const eventHops = await hops(hopClients, from, to);
        const fulfilled = byStatus.fulfilled ?? 0;
        const seconds = (to - from) / 1000;
        const requests = Object.values(placed.statuses).reduce((a, b) => a + b, 0);
        const run = {
          requestsPerSecond: Math.round(fulfilled / seconds),
          placedPerSecond: Math.round(requests / seconds),
          latencyMs: { p50: Math.round(percentile(latencies, 50)), p90: Math.round(percentile(latencies, 90)), p99: Math.round(percentile(latencies, 99)), max: Math.round(latencies.at(-1) ?? 0) },
          stepsMs: steps,
          buyerMs: buyer,
          eventHopsMs: eventHops,
          requests,
          non2xx: requests - (placed.statuses[201] ?? 0),
          statuses: placed.statuses,
          ordersByStatus: byStatus,
          stillInFlightAfter60s: stuck,
          unexpected: requests - (placed.statuses[201] ?? 0) + (requests ? (placed.statuses[201] ?? 0) - fulfilled : 0),
          errors: placed.errors,
          cpuSecondsPerProcess: Object.fromEntries(troveProcesses.map((p, i) => [p.name, Math.round((after[i] - before[i]) * 100) / 100])),
          // From the window's start until its orders settled: the servers' share and the whole
          // machine's (the apps, PostgreSQL, NATS, the load generator and anything else running).
          serverCpuSeconds: Object.fromEntries(SERVERS.map((name) => [name, Math.round((serversAfter[name] - serversBefore[name]) * 100) / 100])),
          machineCpuSeconds: Math.round((machineAfter - machineBefore) * 100) / 100,
        };
        ctx.log(`  trove: ${run.requestsPerSecond} orders/s fulfilled (${run.placedPerSecond} placed/s), placement -> fulfilled p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms (placed -> paid p50 ${steps.placedToPaid.p50} ms, paid -> fulfilled p50 ${steps.paidToFulfilled.p50} ms), orders ${JSON.stringify(byStatus)}, answers ${JSON.stringify(placed.statuses)}`);
        ctx.log(`  event hops, median ms: ${JSON.stringify(eventHops)}`);
        ctx.log(`  as the buyer sees it: POST answered p50 ${buyer.postAnswered.p50} ms, p99 ${buyer.postAnswered.p99} ms; sent -> fulfilled p50 ${buyer.sendToFulfilled.p50} ms, p99 ${buyer.sendToFulfilled.p99} ms`);
        const perOrder = Object.entries(run.cpuSecondsPerProcess).map(([name, s]) => [name, fulfilled ? (s * 1000) / fulfilled : NaN]);
        ctx.log(`  CPU ms per fulfilled order: ${perOrder.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ')}; total ${perOrder.reduce((sum, [, ms]) => sum + ms, 0).toFixed(1)}`);
        const perOrderOf = (seconds) => (fulfilled ? ((seconds * 1000) / fulfilled).toFixed(1) : 'n/a');
        ctx.log(
          `  and: ${SERVERS.map((name) => `${name} ${perOrderOf(run.serverCpuSeconds[name])}`).join(', ')}; the whole machine ${perOrderOf(run.machineCpuSeconds)} ms per order (${(run.machineCpuSeconds / ((Date.now() - from.getTime()) / 1000)).toFixed(2)} of ${os.cpus().length} cores busy)`,
        );
        troveRuns.push(run);
      };
      const runBaseline = async () => {
        const run = await measure({
          url: `http://127.0.0.1:${baselinePort}`,
          requests: [{ method: 'POST', path: '/v1/orders', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: [{ offerId }], acceptLicense: true }) }],
          connections: buyersCount,
          warmupSeconds: ctx.warmupSeconds,
          durationSeconds: ctx.durationSeconds,
          processes: [front, responder],
          expect: [201],
        });
        ctx.log(`  baseline: ${run.requestsPerSecond} inserts/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, answers ${JSON.stringify(run.statuses)}`);
        ctx.log(`  the whole machine ${((run.machineCpuSeconds * 1000) / run.requests).toFixed(2)} ms of CPU per insert`);
        baselineRuns.push(run);
      };
      try {
        for (const step of [runBaseline, runTrove, runTrove, runBaseline]) await step();
      } finally {
        await Promise.all(Object.values(hopClients).map((client) => client.end()));
      }

      const mean = (list, pick) => Math.round(list.reduce((sum, run) => sum + pick(run), 0) / list.length);
      const summary = (label, runs) => ({
        label,
        requestsPerSecond: mean(runs, (r) => r.requestsPerSecond),
        p50Ms: mean(runs, (r) => r.latencyMs.p50),
        p99Ms: mean(runs, (r) => r.latencyMs.p99),
        non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
        unexpected: runs.reduce((sum, run) => sum + run.unexpected, 0),
        errors: runs.reduce((sum, run) => sum + run.errors, 0),
        runs,
      });
      const sides = {
        baseline: summary(`Fastify -> nats -> responder -> one pg insert (no Nest), ${buyersCount} connections`, baselineRuns),
        trove: summary(`${buyersCount} buyers ordering back to back through the gateway; counted: orders that reached fulfilled, latency placement -> fulfilled`, troveRuns),
      };
      const ratio = sides.trove.requestsPerSecond / sides.baseline.requestsPerSecond;
      return {
        connections: buyersCount,
        durationSeconds: ctx.durationSeconds,
        sides,
        ratio: Math.round(ratio * 100) / 100,
        targetRatio: RATIO_TARGET,
        pass: ratio >= RATIO_TARGET && sides.trove.p99Ms < P99_TARGET_MS,
        broke: [...baselineRuns, ...troveRuns].some((r) => r.unexpected > 0 || r.errors > 0),
        settings: {
          apps: `all five from dist/, ${Object.entries(SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')}, NATS namespace ${ctx.namespace}`,
          data: `one published offer at ${PRICE} fen, ${buyersCount} buyers with wallets for ${ORDERS_FUNDED.toLocaleString('en')} orders each; every order a fresh Idempotency-Key`,
          load: rate ? `paced: ${rate} orders/s offered in all (BENCH_ORDERS_PER_SECOND)` : 'every buyer orders again as soon as the last order is answered',
          p99Target: `placement -> fulfilled p99 under ${P99_TARGET_MS} ms: ${sides.trove.p99Ms < P99_TARGET_MS ? 'met' : 'missed'} (${sides.trove.p99Ms} ms)`,
          buyerSide: troveRuns
            .map((r, i) => `run ${i + 1}: POST answered p50 ${r.buyerMs.postAnswered.p50} ms, p99 ${r.buyerMs.postAnswered.p99} ms; sent -> fulfilled p50 ${r.buyerMs.sendToFulfilled.p50} ms, p99 ${r.buyerMs.sendToFulfilled.p99} ms`)
            .join('; '),
        },
      };
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      // BENCH_APP_LOGS=<dir>: what each process printed last (warnings and errors at LOG_LEVEL=warn).
      if (process.env.BENCH_APP_LOGS) {
        fs.mkdirSync(process.env.BENCH_APP_LOGS, { recursive: true });
        for (const p of processes) fs.writeFileSync(path.join(process.env.BENCH_APP_LOGS, `${p.name}.log`), p.output);
      }
      fs.rmSync(storageDir, { recursive: true, force: true });
    }
  },
};
