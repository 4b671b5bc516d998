import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ObjectTooLargeError, type StoredObjectInfo } from './object-storage';
import type { ArenaHash } from './sha256-workers';
import { receivedBodyBytes } from './young-garbage';

/**
 * Where a put's bytes go on their way to the file: a few slots, filled from the request's
 * chunks in turn. A full slot is hashed (in a worker thread: the arena is shared memory) and
 * written with one call while the next one fills; when every slot is still being hashed or
 * written, the request is paused until one is free.
 */
export interface Arena {
  buffer: Buffer;
  slotBytes: number;
  slots: number;
  /** The buffer starts on a page boundary (and slots are whole pages): it may go to O_DIRECT. */
  aligned: boolean;
}

/** 8 MiB per write: measured here, direct writes of 8 MiB keep the disk busy with one in flight. */
export const DIRECT_SLOT_BYTES = 8 * 1024 * 1024;
/**
 * Six slots (48 MiB) absorb the moments the hashing thread is off its core: with four, the body
 * was paused more often and a 1 GiB put averaged 420-470 MiB/s in the bench; with six,
 * 570-650 (`npm run bench -- upload`, 2026-12-03).
 */
const DIRECT_SLOTS = 6;
/** Small or page-cache puts: 1 MiB slots, as the old stream buffers were. */
const PLAIN_SLOT_BYTES = 1024 * 1024;
const PLAIN_SLOTS = 4;
const WASM_PAGE = 64 * 1024;
/**
 * Aligned arenas in use at once, and kept idle for the next put. An arena a put has filled is
 * resident memory: 6 of 48 MiB are 288 MiB, which leaves room for the heap under delivery's
 * 512 MiB memory limit (deploy/k8s); further concurrent puts take a plain arena of 4 MiB.
 */
const MAX_ALIGNED = 6;
const MAX_IDLE = 2;

/**
 * Arenas for puts, all shared memory (a hashing worker reads them). Large ones (48 MiB) come from
 * WebAssembly memory, the one page-aligned memory JavaScript can ask for: O_DIRECT wants buffers
 * aligned to the disk's blocks, and a Buffer promises no alignment. They are kept for the next
 * put, so their pages are touched once.
 */
export class ArenaPool {
  private readonly idle: Arena[] = [];
  private alignedInUse = 0;

  /** An arena for a put of at most `maxBytes`; give it back when the put has settled. */
  take(maxBytes: number): Arena {
    if (maxBytes >= DIRECT_SLOT_BYTES && this.alignedInUse < MAX_ALIGNED) {
      const arena = this.idle.pop() ?? alignedArena();
      if (arena) {
        this.alignedInUse++;
        return arena;
      }
    }
    // Sized to the put when it is small: a 2 KB transcript does not need 4 MiB.
    const slotBytes = Math.min(PLAIN_SLOT_BYTES, Math.max(WASM_PAGE, Math.ceil(maxBytes / WASM_PAGE) * WASM_PAGE));
    const slots = Math.max(1, Math.min(PLAIN_SLOTS, Math.ceil(maxBytes / slotBytes)));
    return { buffer: Buffer.from(new SharedArrayBuffer(slotBytes * slots)), slotBytes, slots, aligned: false };
  }

  /**
   * Makes one large arena ahead of the first put and touches every page of it. Memory is given
   * to a process page by page as it is first written, and on this kind of virtual machine that
   * is slow: the first pass over 64 MiB of new WebAssembly memory took 210 ms here, the second
   * 4 ms (so about 160 ms for one arena of 48 MiB). Without this, the first large put of every
   * process paid it while its client waited.
   */
  warm(): void {
    if (this.idle.length > 0) return;
    const arena = alignedArena();
    if (!arena) return;
    arena.buffer.fill(0);
    this.idle.push(arena);
  }

  give(arena: Arena): void {
    if (!arena.aligned) return;
    this.alignedInUse--;
    if (this.idle.length < MAX_IDLE) this.idle.push(arena);
  }
}

/** WebAssembly.Memory, which Node has and its type definitions (without the DOM's) do not name. */
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (size: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer } } }).WebAssembly;

function alignedArena(): Arena | undefined {
  const pages = (DIRECT_SLOT_BYTES * DIRECT_SLOTS) / WASM_PAGE;
  try {
    const memory = new Memory({ initial: pages, maximum: pages, shared: true });
    return { buffer: Buffer.from(memory.buffer), slotBytes: DIRECT_SLOT_BYTES, slots: DIRECT_SLOTS, aligned: true };
  } catch {
    return undefined; // out of address space for more: a plain arena does
  }
}

export interface ReceiveTarget {
  /** The file, opened for ordinary writes (through the page cache). */
  file: FileHandle;
  /** The same file opened with O_DIRECT, when the filesystem allows it: whole aligned slots go there. */
  direct?: FileHandle;
}

/** Start writing back to disk every 64 MiB of page-cache writes: the kernel would otherwise wait until gigabytes are dirty. */
const WRITEBACK_BYTES = 64 * 1024 * 1024;

/**
 * Reads `body` to its end into `target`, hashing and counting on the way, and fails with
 * ObjectTooLargeError as soon as more than `maxBytes` arrive. It never destroys `body` (an HTTP
 * request must stay able to carry the answer that says why an upload was refused); a body that
 * closes before its end fails the receive as an aborted one. Resolves once every write is done.
 */
export function receiveFile(body: Readable, target: ReceiveTarget, arena: Arena, hash: ArenaHash, maxBytes = Number.MAX_SAFE_INTEGER): Promise<StoredObjectInfo> {
  return new FileReceiver(body, target, arena, hash, maxBytes).done;
}

class FileReceiver {
  readonly done: Promise<StoredObjectInfo>;
  private resolve!: (info: StoredObjectInfo) => void;
  private reject!: (error: unknown) => void;

  private readonly busy: boolean[];
  private readonly writes = new Set<Promise<void>>();
  /** Chunks received and not yet copied into a slot (only while every slot is busy). */
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private size = 0;
  private slot = 0;
  private fill = 0;
  private position = 0;
  private ended = false;
  private settled = false;
  private paused = false;
  private direct?: FileHandle;
  private unsynced = 0;
  private syncing?: Promise<void>;

  constructor(
    private readonly body: Readable,
    private readonly target: ReceiveTarget,
    private readonly arena: Arena,
    private readonly hash: ArenaHash,
    private readonly maxBytes: number,
  ) {
    this.busy = new Array<boolean>(arena.slots).fill(false);
    this.direct = arena.aligned ? target.direct : undefined;
    this.done = new Promise<StoredObjectInfo>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    body.on('data', this.onData);
    body.once('end', this.onEnd);
    body.once('error', this.onError);
    body.once('close', this.onClose);
    if (body.destroyed) this.onClose();
  }

  private readonly onData = (data: Buffer | string): void => {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    this.size += chunk.length;
    receivedBodyBytes(chunk.length);
    if (this.size > this.maxBytes) {
      this.fail(new ObjectTooLargeError(this.maxBytes));
      return;
    }
    this.queue.push(chunk);
    this.drain();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.drain();
  };

  private readonly onError = (error: unknown): void => this.fail(error);

  private readonly onClose = (): void => {
    if (!this.ended) this.fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  };

  /** Copies queued chunks into free slots, writing each slot as it fills. */
  private drain(): void {
    if (this.settled) return;
    const { buffer, slotBytes } = this.arena;
    while (this.queue.length > 0) {
      if (this.busy[this.slot]) {
        this.pause();
        return;
      }
      const chunk = this.queue[0];
      const n = Math.min(chunk.length - this.queued, slotBytes - this.fill);
      chunk.copy(buffer, this.slot * slotBytes + this.fill, this.queued, this.queued + n);
      this.fill += n;
      this.queued += n;
      if (this.queued === chunk.length) {
        this.queue.shift();
        this.queued = 0;
      }
      if (this.fill === slotBytes) this.submit();
    }
    if (this.ended) {
      if (this.fill > 0) this.submit();
      if (this.writes.size === 0) this.finish();
    } else if (this.paused) {
      this.paused = false;
      this.body.resume();
    }
  }

  private pause(): void {
    if (this.paused || this.ended) return;
    this.paused = true;
    this.body.pause();
  }

  /** Hashes the current slot and writes it at its place in the file; the next slot fills meanwhile. */
  private submit(): void {
    const { buffer, slotBytes, slots } = this.arena;
    const slot = this.slot;
    const start = slot * slotBytes;
    const bytes = buffer.subarray(start, start + this.fill);
    const position = this.position;
    this.position += bytes.length;
    this.slot = (slot + 1) % slots;
    this.fill = 0;
    this.busy[slot] = true;
    // The slot is free again once both are done with it.
    // allSettled: a failed hash must not let the arena go while the write still reads it.
    const write = Promise.allSettled([this.hash.update(start, bytes.length), this.write(bytes, position)]).then((results) => {
      this.writes.delete(write);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) {
        this.fail(failed.reason);
        return;
      }
      this.busy[slot] = false;
      this.drain();
    });
    this.writes.add(write);
  }

  private async write(bytes: Buffer, position: number): Promise<void> {
    // Direct I/O skips the copy into the page cache and its writeback, the larger part of the CPU
    // a put costs here; only whole slots qualify (offset and length on block boundaries).
    if (this.direct && bytes.length === this.arena.slotBytes) {
      try {
        await writeAll(this.direct, bytes, position);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException)?.code !== 'EINVAL') throw error;
        this.direct = undefined; // this filesystem refuses these writes after all: the page cache does
      }
    }
    await writeAll(this.target.file, bytes, position);
    this.unsynced += bytes.length;
    if (this.unsynced >= WRITEBACK_BYTES && !this.syncing) {
      // So the disk works while the bytes still arrive and the fsync at the end has little left.
      this.unsynced = 0;
      this.syncing = this.target.file
        .datasync()
        .catch(() => undefined) // the final fsync reports what matters
        .finally(() => (this.syncing = undefined));
    }
  }

  private finish(): void {
    this.stop();
    // The file is closed after the last write: no sync may still be running on it then.
    void Promise.all([this.hash.digest(), this.syncing]).then(
      ([sha256]) => this.resolve({ size: this.size, sha256 }),
      (error: unknown) => this.reject(error),
    );
  }

  private fail(error: unknown): void {
    if (this.settled) return;
    this.stop();
    // The caller closes and removes the file: only once nothing writes to it any more.
    void Promise.allSettled([...this.writes, this.syncing]).then(() => {
      this.hash.drop();
      this.reject(error);
    });
  }

  private stop(): void {
    this.settled = true;
    this.body.off('data', this.onData);
    this.body.off('end', this.onEnd);
    this.body.off('error', this.onError);
    this.body.off('close', this.onClose);
    // Nothing more is read: what is left of a refused body stays unread (its connection closes).
    this.body.pause();
    // Swallow a later error (a client hanging up after a refusal): nobody listens for it now.
    this.body.on('error', () => undefined);
    this.queue.length = 0;
  }
}

async function writeAll(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}
