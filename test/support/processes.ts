import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

/** Ports handed out by this process: the kernel may offer a port again once its probe closed. */
const handedOut = new Set<number>();

/**
 * A port for an app to listen on, free when probed and never handed out before in this process.
 * It is drawn below the kernel's ephemeral range (32768 and up here), where outgoing connections
 * (to PostgreSQL, NATS, another app) take their local ports: a port from `listen(0)` could be
 * offered twice in a row, to two apps of one system, or be taken by a connection before the app
 * binds it; then the other app answers the first one's readiness probe and its routes are 404.
 * Each jest worker draws from a block of its own, so two workers never race for one port.
 */
export async function freePort(): Promise<number> {
  const block = (Number(process.env.JEST_WORKER_ID ?? 1) - 1) % 12;
  for (;;) {
    const port = 20_000 + block * 1_000 + Math.floor(Math.random() * 1_000);
    if (handedOut.has(port) || !(await listens(port))) continue;
    handedOut.add(port);
    return port;
  }
}

function listens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The registry of test/support/environment.js: what this test file started, and whether it has ended. */
interface TestFile {
  ended: boolean;
  left: Map<object, Left>;
}

/** One thing a test file started or opened: a process, a database, or anything else with a `close`. */
interface Left {
  name: string;
  child?: ChildProcess;
  database?: { server: string; name: string };
  close?: () => unknown;
}

const testFile = () => (globalThis as { __troveTestFile?: TestFile }).__troveTestFile;

/**
 * Has the test file's environment call `close` when the file ends, unless the answer (forget) is
 * called first: for something a file opens in its own process (an app with its pool and NATS
 * connection) that a start-up cut short would never hand to its afterAll. `close` runs after the
 * file's modules are torn down, so it must not load a module it has not loaded yet.
 */
export function closeAtFileEnd(name: string, close: () => unknown): () => void {
  return remember({ name, close });
}

/** Has the test file's environment drop database `name` on `server` when the file ends, unless the answer (forget) is called first. */
export function dropAtFileEnd(server: string, name: string): () => void {
  return remember({ name: `database ${name}`, database: { server, name } });
}

function remember(entry: Left): () => void {
  const registry = testFile();
  if (!registry) return () => undefined;
  const key = {};
  registry.left.set(key, entry);
  return () => registry.left.delete(key);
}

/**
 * Starts a process that must not outlive the test file: the file's environment stops it at the
 * end of the file if the file did not, and a start asked for once the file has ended (by a
 * beforeAll that jest gave up on, going on regardless) throws instead.
 */
export function spawnTracked(name: string, command: string, args: string[], options: SpawnOptions): ChildProcess {
  const registry = testFile();
  if (registry?.ended) throw new Error(`not starting ${name}: its test file has ended`);
  const child = spawn(command, args, options);
  if (registry) {
    registry.left.set(child, { name, child });
    child.once('exit', () => registry.left.delete(child));
  }
  return child;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A compiled Node program run as a child process, with its output kept for assertions. */
export class NodeProcess {
  private child?: ChildProcess;
  private exited?: Promise<Exit>;
  output = '';

  constructor(
    readonly script: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  start(): this {
    this.output = '';
    const child = spawnTracked(this.script, process.execPath, [join(ROOT, this.script)], {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child = child;
    return this;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child!.kill(signal);
  }

  /** Resolves when the process has exited; rejects if it takes longer than `ms`. */
  async exit(ms = 15_000): Promise<Exit> {
    if (!this.exited) throw new Error(`${this.script} never started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.script} still running after ${ms} ms:\n${this.tail()}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    await this.exit(15_000).catch(async () => {
      this.kill('SIGKILL');
      await this.exited;
    });
  }

  tail(lines = 20): string {
    return this.output.trim().split('\n').slice(-lines).join('\n');
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000, every = 100): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}
