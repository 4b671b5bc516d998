import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';

/** 1 MiB: measured here, Node streams files at about 1,460 MB/s with it against 350-420 with 64 KiB. */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

/** What a put wrote: measured from the bytes as they streamed by, never from what was declared. */
export interface StoredObjectInfo {
  size: number;
  sha256: string;
}

/** Bytes start..end, both inclusive, as in an HTTP Range header. A missing end means to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectStream {
  body: Readable;
  /** The whole object's size. */
  size: number;
  /** The bytes served: the range, clamped to the object. */
  start: number;
  end: number;
}

export interface PutOptions {
  /** The put fails with ObjectTooLargeError as soon as more bytes than this arrive. */
  maxBytes?: number;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`no object ${key}`);
  }
}

export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the object is larger than ${maxBytes} bytes`);
  }
}

export class RangeNotSatisfiableError extends Error {
  constructor(
    readonly range: ByteRange,
    readonly size: number,
  ) {
    super(`bytes ${range.start}-${range.end ?? ''} are outside an object of ${size} bytes`);
  }
}

/**
 * Where delivery keeps bytes: the local filesystem by default, or S3-compatible storage. A put
 * streams (never a whole object in memory) and either stores everything under the key or
 * leaves nothing behind; the key is delivery's own, never a user's path.
 */
export abstract class ObjectStorage {
  abstract readonly driver: 'fs' | 's3';

  /** Stores the stream under `key`, measuring size and SHA-256 on the way. Replaces an object. */
  abstract put(key: string, body: Readable, options?: PutOptions): Promise<StoredObjectInfo>;

  /** The object's bytes, or the range of them. ObjectNotFoundError, RangeNotSatisfiableError. */
  abstract get(key: string, range?: ByteRange): Promise<ObjectStream>;

  /** The object's size, or null when there is none. */
  abstract head(key: string): Promise<{ size: number } | null>;

  /** Removes the object; removing one that is not there is not an error. */
  abstract delete(key: string): Promise<void>;

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }
}

const KEY = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_.-]*)*$/;

/** Keys are made by delivery; this refuses anything else before it reaches a disk or a bucket. */
export function assertObjectKey(key: string): void {
  if (key.length > 512 || !KEY.test(key) || key.split('/').some((segment) => segment === '..' || segment.endsWith('.'))) {
    throw new Error(`not an object key: ${JSON.stringify(key.slice(0, 100))}`);
  }
}

/** The range clamped to an object of `size` bytes, or RangeNotSatisfiableError. */
export function clampRange(range: ByteRange | undefined, size: number): { start: number; end: number } {
  if (!range) return { start: 0, end: size - 1 };
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0 || (end !== undefined && (!Number.isSafeInteger(end) || end < start)) || start >= size) {
    throw new RangeNotSatisfiableError(range, size);
  }
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}

/**
 * Counts and hashes the bytes passing through, and fails the stream as soon as there are more
 * than `maxBytes`, so an oversize upload is cut off instead of stored first.
 */
export class ObjectMeter extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private digest?: string;

  constructor(private readonly maxBytes = Number.MAX_SAFE_INTEGER) {
    super({ highWaterMark: STREAM_BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(new ObjectTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** Size and SHA-256 of everything that passed; call once the stream has finished. */
  result(): StoredObjectInfo {
    this.digest ??= this.hash.digest('hex');
    return { size: this.bytes, sha256: this.digest };
  }
}
