// The load generator: autocannon in this process, the same settings for a target and its
// baseline, with a warm-up that is not counted.
import autocannon from 'autocannon';
import { cpuSeconds, machineBusySeconds } from './processes.mjs';

function fire(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    instance.on('error', reject);
  });
}

/**
 * Measures one target: `requests` are cycled through by every connection. Returns requests/s,
 * latency percentiles in ms, failures, and the CPU each given process used during the run.
 * `expect` lists the statuses a target should answer (default: any 2xx); any other answer is
 * counted as unexpected, which marks the run as broken.
 */
export async function measure({ url, requests, connections, warmupSeconds, durationSeconds, headers = {}, processes = [], expect }) {
  await fire({ url, connections, duration: warmupSeconds, requests, headers });
  const before = await Promise.all(processes.map((p) => cpuSeconds(p.pid)));
  const machineBefore = await machineBusySeconds();
  const result = await fire({ url, connections, duration: durationSeconds, requests, headers });
  const machine = (await machineBusySeconds()) - machineBefore;
  const after = await Promise.all(processes.map((p) => cpuSeconds(p.pid)));
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    non2xx: result.non2xx,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => [status, count])),
    unexpected: expect ? result.requests.total - expect.reduce((sum, status) => sum + (result.statusCodeStats?.[status]?.count ?? 0), 0) : result.non2xx,
    errors: result.errors + result.timeouts,
    cpuSecondsPerProcess: Object.fromEntries(processes.map((p, i) => [p.name, Math.round((after[i] - before[i]) * 100) / 100])),
    // Everything the machine did meanwhile: the target, its servers and the load generator.
    machineCpuSeconds: Math.round(machine * 100) / 100,
  };
}

export function broke(run) {
  return (run.unexpected ?? run.non2xx) > 0 || run.errors > 0;
}

/**
 * Measures Trove against its baseline under the same load, alternating the order (baseline,
 * Trove, Trove, baseline) so neither side always gets the warmer or cooler machine, and sums
 * the runs up as every entry reports them.
 */
export async function compare(ctx, { load, baseline, trove, targetRatio }) {
  const sides = { baseline, trove };
  const runs = { baseline: [], trove: [] };
  for (const order of [['baseline', 'trove'], ['trove', 'baseline']]) {
    for (const side of order) {
      const run = await measure({ connections: ctx.connections, warmupSeconds: ctx.warmupSeconds, durationSeconds: ctx.durationSeconds, ...load, ...sides[side].target });
      ctx.log(`  ${side}: ${run.requestsPerSecond} requests/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, answers ${JSON.stringify(run.statuses)}, unexpected ${run.unexpected}, errors ${run.errors}`);
      runs[side].push(run);
    }
  }
  const mean = (list, pick) => Math.round(list.reduce((sum, run) => sum + pick(run), 0) / list.length);
  const summary = (side) => ({
    label: sides[side].label,
    requestsPerSecond: mean(runs[side], (r) => r.requestsPerSecond),
    p50Ms: mean(runs[side], (r) => r.latencyMs.p50),
    p99Ms: mean(runs[side], (r) => r.latencyMs.p99),
    non2xx: runs[side].reduce((sum, run) => sum + run.non2xx, 0),
    unexpected: runs[side].reduce((sum, run) => sum + run.unexpected, 0),
    errors: runs[side].reduce((sum, run) => sum + run.errors, 0),
    runs: runs[side],
  });
  const result = { baseline: summary('baseline'), trove: summary('trove') };
  const ratio = result.trove.requestsPerSecond / result.baseline.requestsPerSecond;
  return {
    connections: ctx.connections,
    durationSeconds: ctx.durationSeconds,
    sides: result,
    ratio: Math.round(ratio * 100) / 100,
    targetRatio,
    pass: ratio >= targetRatio,
    broke: [...runs.baseline, ...runs.trove].some(broke),
  };
}
