import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** A SHA-256 over bytes a put lays out in its arena, hashed in the order they are given. */
export interface ArenaHash {
  /** Hashes `length` bytes at `offset` of the arena; resolves once they may be overwritten. */
  update(offset: number, length: number): Promise<void>;
  digest(): Promise<string>;
  /** Forgets the hash (a failed put). */
  drop(): void;
}

/** On the calling thread: for arenas that cannot be shared, or when no worker could start. */
class LocalHash implements ArenaHash {
  private readonly hash: Hash = createHash('sha256');

  constructor(private readonly arena: Buffer) {}

  update(offset: number, length: number): Promise<void> {
    this.hash.update(this.arena.subarray(offset, offset + length));
    return Promise.resolve();
  }

  digest(): Promise<string> {
    return Promise.resolve(this.hash.digest('hex'));
  }

  drop(): void {}
}

// The worker's whole program: one hash per put, fed from the put's shared arena in order.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'start') hashes.set(m.id, { hash: createHash('sha256'), bytes: new Uint8Array(m.memory) });
  else if (m.op === 'update') {
    const h = hashes.get(m.id);
    if (h) h.hash.update(h.bytes.subarray(m.offset, m.offset + m.length));
    parentPort.postMessage({ id: m.id, seq: m.seq });
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id);
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, seq: m.seq, digest: h ? h.hash.digest('hex') : undefined });
  } else if (m.op === 'drop') hashes.delete(m.id);
});
`;

interface Reply {
  id: number;
  seq: number;
  digest?: string;
}

type Waiter = { resolve: (digest: string | undefined) => void; reject: (error: unknown) => void };

/** One worker thread hashing for any number of puts. */
class HashWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<string, Waiter>();
  private broken?: Error;
  /** Puts hashing here now: a new put goes to the least busy worker. */
  active = 0;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (reply: Reply) => {
      const key = `${reply.id}:${reply.seq}`;
      const waiter = this.waiting.get(key);
      this.waiting.delete(key);
      waiter?.resolve(reply.digest);
    });
    const fail = (error: Error) => {
      this.broken ??= error;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the SHA-256 worker exited (${code})`)));
    // Never what keeps the process alive; after the listeners, since a 'message' listener refs it.
    this.worker.unref();
  }

  get usable(): boolean {
    return !this.broken;
  }

  send(message: { op: string; id: number; seq?: number; [field: string]: unknown }): Promise<string | undefined> | void {
    if (this.broken) throw this.broken;
    this.worker.postMessage(message);
    if (message.seq === undefined) return;
    const key = `${message.id}:${message.seq}`;
    return new Promise((resolve, reject) => this.waiting.set(key, { resolve, reject }));
  }

  /** Stops the thread; a hash still waiting on it fails as if the worker had died. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

class WorkerHash implements ArenaHash {
  private seq = 0;
  private finished = false;

  constructor(
    private readonly worker: HashWorker,
    private readonly id: number,
    memory: SharedArrayBuffer,
  ) {
    worker.active++;
    worker.send({ op: 'start', id, memory });
  }

  async update(offset: number, length: number): Promise<void> {
    await this.worker.send({ op: 'update', id: this.id, seq: this.seq++, offset, length });
  }

  async digest(): Promise<string> {
    this.finish();
    const digest = await this.worker.send({ op: 'digest', id: this.id, seq: this.seq++ });
    if (!digest) throw new Error('the SHA-256 worker lost a hash');
    return digest;
  }

  drop(): void {
    if (this.finished) return;
    this.finish();
    if (this.worker.usable) this.worker.send({ op: 'drop', id: this.id });
  }

  private finish(): void {
    if (!this.finished) this.worker.active--;
    this.finished = true;
  }
}

/**
 * SHA-256 in worker threads, so hashing (the largest share of a put's CPU) runs beside the
 * thread that reads the request and issues the writes instead of after it. One worker per core
 * at most, started when first needed; a put whose arena is not shared memory, or a process where
 * no worker starts, hashes on the calling thread instead. `close()` stops the threads: unref'd,
 * they never keep a process alive, but each one lives (a V8 isolate of its own, and whatever its
 * listeners reach) until something terminates it or the process ends.
 */
export class Sha256Workers {
  private readonly workers: HashWorker[] = [];
  private nextId = 0;
  private closed = false;

  constructor(private readonly size = Math.max(1, Math.min(4, availableParallelism()))) {}

  hashFor(arena: Buffer): ArenaHash {
    const memory = arena.buffer;
    if (this.closed || !(memory instanceof SharedArrayBuffer) || arena.byteOffset !== 0) return new LocalHash(arena);
    const worker = this.pick();
    return worker ? new WorkerHash(worker, this.nextId++, memory) : new LocalHash(arena);
  }

  private pick(): HashWorker | undefined {
    for (let i = this.workers.length - 1; i >= 0; i--) if (!this.workers[i].usable) this.workers.splice(i, 1);
    const idle = this.workers.find((w) => w.active === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) {
      try {
        const worker = new HashWorker();
        this.workers.push(worker);
        return worker;
      } catch {
        // no worker here (resource limits): the calling thread hashes
      }
    }
    return this.workers.reduce<HashWorker | undefined>((least, w) => (!least || w.active < least.active ? w : least), undefined);
  }

  /** Stops every worker thread; a later hash runs on the calling thread rather than start one. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((worker) => worker.stop()));
  }
}
