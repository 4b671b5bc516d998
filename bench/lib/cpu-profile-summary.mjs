#!/usr/bin/env node
// Sums up a V8 .cpuprofile (from BENCH_CPU_PROF=<dir> npm run bench): self time by package
// (node_modules/<name>, the app's own dist code, node internals, GC, idle) and the functions
// with the most self time. Usage: node bench/lib/cpu-profile-summary.mjs <file> [top=20]
import fs from 'node:fs';

process.stdout.on('error', () => process.exit(0)); // piped into head

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/lib/cpu-profile-summary.mjs <file.cpuprofile> [top]\n');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const top = Number(topArg ?? 20);

// Self time per node: the samples' time deltas, attributed to the sampled node.
const selfUs = new Map();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

function bucket({ functionName, url }) {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nodeModules = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nodeModules) return nodeModules[1];
  if (url.startsWith('node:')) return 'node internals';
  const dist = url.match(/\/dist\/((?:apps|libs)\/[^/]+)/);
  return dist ? dist[1] : url.replace(/^file:\/\//, '');
}

const byBucket = new Map();
const byFunction = new Map();
let total = 0;
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (!us) continue;
  total += us;
  const b = bucket(node.callFrame);
  byBucket.set(b, (byBucket.get(b) ?? 0) + us);
  const f = b === node.callFrame.functionName ? b : `${node.callFrame.functionName || '(anonymous)'} ${b}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(f, (byFunction.get(f) ?? 0) + us);
}
const busy = total - (byBucket.get('(idle)') ?? 0);
const print = (title, map) => {
  process.stdout.write(`\n${title} (share of non-idle time)\n`);
  for (const [k, us] of [...map].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((us / busy) * 100).toFixed(1).padStart(6)} %  ${k}\n`);
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy\n`);
print('by package', byBucket);
print('by function (self time)', byFunction);
