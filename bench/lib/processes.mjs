// Child processes for benchmarks: started with their own environment, waited for until they
// answer, and always stopped, also when the benchmark fails.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createServer } from 'node:net';

const handedOut = new Set();

/**
 * A port free when probed, never handed out before by this run, and below the kernel's
 * ephemeral range, where the benchmark's own connections take their local ports: `listen(0)`
 * may offer one port twice, and two services on one port make the second one's routes 404.
 */
export async function freePort() {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    const free = await new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!free) continue;
    handedOut.add(port);
    return port;
  }
}

/** Every BenchProcess started and not yet exited: what stopAll() stops on Ctrl-C or a crash. */
const running = new Set();

/** Stops every child process any entry started that is still running. */
export async function stopAll() {
  await Promise.all([...running].map((p) => p.stop()));
}

export class BenchProcess {
  constructor(name, script, env) {
    this.name = name;
    this.script = script;
    this.env = env;
    this.output = '';
  }

  start() {
    // BENCH_CPU_PROF=<dir>: every child writes V8 CPU profiles into <dir>/<name>-<time>/ when it
    // stops, one per thread (Node's default names carry the thread id, so a worker thread's
    // profile does not overwrite the main thread's); `node bench/lib/cpu-profile-summary.mjs
    // <file>` sums one up. Profiling slows both sides alike.
    const profile = process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(process.env.BENCH_CPU_PROF, `${this.name.replace(/[^A-Za-z0-9_-]+/g, '_')}-${Date.now()}`)}`]
      : [];
    // Five apps and a baseline share one PostgreSQL (max_connections 100 here): pools of 12 keep
    // a run from failing requests with "too many clients".
    this.child = spawn(process.execPath, [...profile, this.script], { env: { DATABASE_POOL_SIZE: '12', ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout.on('data', keep);
    this.child.stderr.on('data', keep);
    running.add(this);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      }),
    );
    return this;
  }

  get pid() {
    return this.child?.pid;
  }

  /** Waits until GET url answers 200. */
  async ready(url, ms = 30_000) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited before it was ready:\n${this.output}`);
      try {
        if ((await fetch(url)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.name} not ready at ${url} after ${ms} ms:\n${this.output}`);
  }

  /** Waits until the process has printed `text` (for children without an HTTP port). */
  async printed(text, ms = 30_000) {
    const deadline = Date.now() + ms;
    while (!this.output.includes(text)) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited before it was ready:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not print "${text}" within ${ms} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** CPU seconds a process has used so far (user + system), from /proc. */
export async function cpuSeconds(pid) {
  const { readFile } = await import('node:fs/promises');
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds used so far by every process whose command name is one of `names` (the PostgreSQL
 * server's processes, nats-server), per name: what the services the bench does not start cost.
 * Each process counts its own seconds and those of its children that exited (cutime, cstime): a
 * PostgreSQL backend whose connection a pool closed during a window took its seconds with it
 * before, and the figure for the window could come out below zero; now they move to the
 * postmaster's count as the backend is reaped.
 */
export async function cpuSecondsByCommand(names) {
  const { readdir, readFile } = await import('node:fs/promises');
  const totals = Object.fromEntries(names.map((name) => [name, 0]));
  for (const entry of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!(name in totals)) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      totals[name] += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
    } catch {
      // gone meanwhile
    }
  }
  return totals;
}

/** CPU seconds the whole machine has been busy (all cores, everything but idle and iowait). */
export async function machineBusySeconds() {
  const { readFile } = await import('node:fs/promises');
  const [, ...fields] = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return (user + nice + system + irq + softirq + steal) / 100;
}
