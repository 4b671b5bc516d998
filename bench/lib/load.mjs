// The load generator: autocannon in this process, the same settings for a target and its
// baseline, with a warm-up that is not counted.
import autocannon from 'autocannon';
import { cpuSeconds } from './processes.mjs';

function fire(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    instance.on('error', reject);
  });
}

/**
 * Measures one target: `requests` are cycled through by every connection. Returns requests/s,
 * latency percentiles in ms, failures, and the CPU each given process used during the run.
 */
export async function measure({ url, requests, connections, warmupSeconds, durationSeconds, headers = {}, processes = [] }) {
  await fire({ url, connections, duration: warmupSeconds, requests, headers });
  const before = await Promise.all(processes.map((p) => cpuSeconds(p.pid)));
  const result = await fire({ url, connections, duration: durationSeconds, requests, headers });
  const after = await Promise.all(processes.map((p) => cpuSeconds(p.pid)));
  return {
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuSecondsPerProcess: Object.fromEntries(processes.map((p, i) => [p.name, Math.round((after[i] - before[i]) * 100) / 100])),
  };
}

export function broke(run) {
  return run.non2xx > 0 || run.errors > 0;
}
