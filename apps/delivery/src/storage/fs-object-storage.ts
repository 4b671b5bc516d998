import type { OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { constants } from 'node:fs';
import { Readable } from 'node:stream';
import { ArenaPool, receiveFile } from './file-receiver';
import { Sha256Workers } from './sha256-workers';
import {
  assertObjectKey,
  clampRange,
  ObjectNotFoundError,
  ObjectStorage,
  STREAM_BUFFER_BYTES,
  type ByteRange,
  type ObjectStream,
  type PutOptions,
  type StoredObjectInfo,
} from './object-storage';

/**
 * Objects as files under one directory (`STORAGE_DIR`), the key as the relative path. A put
 * writes a temporary file next to the final one, syncs it to disk, then renames it into place
 * and syncs the directory: a reader sees the whole object or none, also after a crash.
 */
export class FsObjectStorage extends ObjectStorage implements OnApplicationShutdown {
  readonly driver = 'fs' as const;
  readonly root: string;
  private readonly arenas = new ArenaPool();
  private readonly hashers = new Sha256Workers();
  /** The temporary files of this process's puts still running: never swept, however slow. */
  private readonly running = new Set<string>();

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObjectInfo> {
    const file = this.file(key);
    const dir = dirname(file);
    await mkdir(dir, { recursive: true });
    // Starts with a dot, so no key can name it (keys start with a letter or digit).
    const temporary = join(dir, `.${randomBytes(8).toString('hex')}.part`); // TEMPORARY_FILE
    const handle = await open(temporary, 'wx', 0o640);
    this.running.add(temporary);
    const arena = this.arenas.take(options.maxBytes ?? Number.MAX_SAFE_INTEGER);
    let direct: FileHandle | undefined;
    let stored: StoredObjectInfo;
    try {
      direct = arena.aligned ? await openDirect(temporary) : undefined;
      stored = await receiveFile(body, { file: handle, direct }, arena, this.hashers.hashFor(arena.buffer), options.maxBytes);
      // fsync before the rename, so it never publishes a file still in the page cache only; it
      // also commits what the direct writes allocated and flushes the disk's own cache.
      await handle.sync();
      await direct?.close();
      await handle.close();
      await rename(temporary, file);
    } catch (error) {
      await direct?.close().catch(() => undefined);
      await handle.close().catch(() => undefined);
      await unlink(temporary).catch(() => undefined);
      throw error;
    } finally {
      this.running.delete(temporary);
      this.arenas.give(arena);
    }
    await syncDirectory(dir);
    return stored;
  }

  async get(key: string, range?: ByteRange): Promise<ObjectStream> {
    const file = this.file(key);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (isMissing(error)) throw new ObjectNotFoundError(key);
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const { start, end } = clampRange(range, size);
      if (size === 0) {
        await handle.close();
        return { body: Readable.from([]), size, start, end };
      }
      const body = handle.createReadStream({ start, end, highWaterMark: STREAM_BUFFER_BYTES });
      return { body, size, start, end };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async head(key: string): Promise<{ size: number } | null> {
    try {
      const info = await stat(this.file(key));
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  /**
   * Deletes the temporary files of puts that ended without cleaning up after themselves (the
   * process died mid-upload: a crash, a kill, a lost machine), once nothing has been written to
   * them for `idleMs`. This process's own running puts are never touched; another replica's
   * (a directory shared by several) are safe while they write at least one 8 MiB slot per
   * `idleMs`. Answers how many it deleted. Objects themselves are never touched.
   */
  async sweepAbandonedPuts(idleMs: number, now = Date.now()): Promise<number> {
    let deleted = 0;
    const datasets = join(this.root, 'datasets');
    let dirs: string[];
    try {
      dirs = await readdir(datasets);
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
    for (const name of dirs) {
      const dir = join(datasets, name);
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        continue; // a file, or gone meanwhile
      }
      for (const entry of entries.filter((e) => TEMPORARY_FILE.test(e))) {
        const file = join(dir, entry);
        if (this.running.has(file)) continue;
        try {
          if (now - (await stat(file)).mtimeMs < idleMs) continue;
          await unlink(file);
          deleted++;
        } catch (error) {
          if (!isMissing(error)) throw error; // its put finished or failed meanwhile
        }
      }
    }
    return deleted;
  }

  /** Readies the memory of the first large put (ArenaPool.warm): call once, before taking uploads. */
  warm(): void {
    this.arenas.warm();
  }

  /** The file that holds the object (downloads read it with buffers of their own). */
  pathOf(key: string): string {
    return this.file(key);
  }

  /**
   * Stops the SHA-256 worker threads when the app closes (Nest calls it on the provider's
   * value; the HTTP server has closed by then, so no put is still hashing).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.hashers.close();
  }

  private file(key: string): string {
    assertObjectKey(key);
    return join(this.root, key);
  }
}

/** A put's temporary file: a dot, 16 hex digits, `.part` (no key can look like it). */
const TEMPORARY_FILE = /^\.[0-9a-f]{16}\.part$/;

/**
 * The file opened again with O_DIRECT, or nothing where the filesystem has no direct I/O (or
 * the platform no O_DIRECT): the page cache does then.
 */
async function openDirect(path: string): Promise<FileHandle | undefined> {
  if (constants.O_DIRECT === undefined) return undefined;
  try {
    return await open(path, constants.O_WRONLY | constants.O_DIRECT);
  } catch {
    return undefined;
  }
}

/** The error of a file (or a directory on its path) that is not there. */
export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The rename is durable only once the directory entry is on disk too. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
