import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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
    const child = spawn(process.execPath, [join(ROOT, this.script)], {
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
