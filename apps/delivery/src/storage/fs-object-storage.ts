import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  assertObjectKey,
  clampRange,
  ObjectMeter,
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
export class FsObjectStorage extends ObjectStorage {
  readonly driver = 'fs' as const;
  readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObjectInfo> {
    const file = this.file(key);
    const dir = dirname(file);
    await mkdir(dir, { recursive: true });
    // Starts with a dot, so no key can name it (keys start with a letter or digit).
    const temporary = join(dir, `.${randomBytes(8).toString('hex')}.part`);
    const handle = await open(temporary, 'wx', 0o640);
    const meter = new ObjectMeter(options.maxBytes);
    try {
      // flush: fsync before close, so the rename below never publishes a file still in the page
      // cache only; the writeback on the way makes that last fsync short.
      await pipeline(body, meter, new Writeback(handle), handle.createWriteStream({ highWaterMark: STREAM_BUFFER_BYTES, flush: true }));
      await rename(temporary, file);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    await syncDirectory(dir);
    return meter.result();
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

  /** The file that holds the object (downloads read it with buffers of their own). */
  pathOf(key: string): string {
    return this.file(key);
  }

  private file(key: string): string {
    assertObjectKey(key);
    return join(this.root, key);
  }
}

/** Start writing back to disk every 64 MiB: the kernel would otherwise wait until gigabytes are dirty. */
const WRITEBACK_BYTES = 64 * 1024 * 1024;

/**
 * Passes bytes through and, every WRITEBACK_BYTES, asks the kernel to write what the file has
 * so far to disk (fdatasync in the thread pool), so that the disk works while the bytes still
 * arrive and the fsync at the end has little left to do.
 */
class Writeback extends Transform {
  private pending = 0;
  private syncing?: Promise<void>;

  constructor(private readonly handle: FileHandle) {
    super({ highWaterMark: STREAM_BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending += chunk.length;
    if (this.pending >= WRITEBACK_BYTES && !this.syncing) {
      this.pending = 0;
      this.syncing = this.handle
        .datasync()
        .catch(() => undefined) // the final fsync reports what matters
        .finally(() => (this.syncing = undefined));
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    // The file is closed after the last write: no sync may still be running on it then.
    void Promise.resolve(this.syncing).then(() => done());
  }
}

function isMissing(error: unknown): boolean {
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
