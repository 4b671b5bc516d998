// The upload bench's baseline, in a process of its own: Node's streaming SHA-256 of a file
// (1 MiB reads), timed from the first read to the digest. A fresh process, so what the bench
// process did before (other entries' data, their garbage) does not slow the baseline down.
// Prints {seconds, cpuSeconds, sha256} as JSON.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const file = process.argv[2];
const cpu = process.cpuUsage();
const started = process.hrtime.bigint();
const hash = createHash('sha256');
for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk);
const sha256 = hash.digest('hex');
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const used = process.cpuUsage(cpu);
process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds: (used.user + used.system) / 1e6, sha256 })}\n`);
