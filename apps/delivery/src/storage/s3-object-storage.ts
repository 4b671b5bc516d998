import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough, Readable } from 'node:stream';
import {
  assertObjectKey,
  clampRange,
  ObjectMeter,
  ObjectNotFoundError,
  ObjectStorage,
  RangeNotSatisfiableError,
  STREAM_BUFFER_BYTES,
  type ByteRange,
  type ObjectStream,
  type PutOptions,
  type StoredObjectInfo,
} from './object-storage';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server (MinIO, Ceph, OSS, COS...); unset for AWS itself. */
  endpoint?: string;
  /** Unset: the SDK's usual chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles). */
  credentials?: S3ClientConfig['credentials'];
}

/** Parts of 8 MiB, 4 in flight: at most 32 MiB of one upload in memory, whatever its size. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;

/**
 * Objects in an S3-compatible bucket through the AWS SDK v3. A put is a multipart upload that
 * S3 makes visible only when it completes, and aborts on any failure, so a failed stream leaves
 * no object and no parts behind.
 */
export class S3ObjectStorage extends ObjectStorage {
  readonly driver = 's3' as const;
  readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3StorageOptions) {
    super();
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      // Path-style (endpoint/bucket/key): what S3-compatible servers understand without DNS.
      forcePathStyle: true,
      credentials: options.credentials,
    });
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObjectInfo> {
    assertObjectKey(key);
    const meter = new ObjectMeter(options.maxBytes);
    // The SDK reads from the meter; an error on the way in, or a body that closes before its end
    // (a client that hung up), must reach it. The body itself is never destroyed: an HTTP request
    // must stay able to carry the answer to a refused upload.
    body.on('error', (error) => meter.destroy(error));
    body.once('close', () => {
      if (!body.readableEnded) meter.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
    body.pipe(meter);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: meter },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // What failed first: the bytes (too large, aborted) rather than the SDK's view of it.
      throw meter.errored ?? error;
    }
    if (meter.errored) {
      // A small body goes up as one PutObject: the error may come after S3 already has it.
      await this.delete(key);
      throw meter.errored;
    }
    return meter.result();
  }

  async get(key: string, range?: ByteRange): Promise<ObjectStream> {
    assertObjectKey(key);
    // The size first: S3 answers an unsatisfiable or reversed range differently from RFC 9110.
    const head = await this.head(key);
    if (!head) throw new ObjectNotFoundError(key);
    const { start, end } = clampRange(range, head.size);
    if (head.size === 0) return { body: Readable.from([]), size: 0, start, end };
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${start}-${end}` : undefined }),
      );
      const body = answer.Body as Readable;
      const wanted = end - start + 1;
      const served = answer.ContentRange ? Number(/^bytes (\d+)-/.exec(answer.ContentRange)?.[1]) : 0;
      if (served !== start) {
        body.destroy();
        throw new Error(`the storage server answered bytes from ${served} for bytes=${start}-${end} of ${key}`);
      }
      // S3-compatible servers differ on edge ranges (s3rver answers bytes=0-0 with the whole
      // object): hand out exactly the bytes asked for.
      return { body: (answer.ContentLength ?? wanted) > wanted ? take(body, wanted) : body, size: head.size, start, end };
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(key);
      if (statusOf(error) === 416) throw new RangeNotSatisfiableError(range ?? { start }, head.size);
      throw error;
    }
  }

  async head(key: string): Promise<{ size: number } | null> {
    assertObjectKey(key);
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: answer.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

/** The first `bytes` of a stream, which is then let go. */
function take(source: Readable, bytes: number): Readable {
  let left = bytes;
  const out = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
  source.on('data', (chunk: Buffer) => {
    const part = chunk.length <= left ? chunk : chunk.subarray(0, left);
    left -= part.length;
    if (!out.write(part) && left > 0) source.pause();
    if (left === 0) {
      source.destroy();
      out.end();
    }
  });
  out.on('drain', () => source.resume());
  source.once('error', (error) => left > 0 && out.destroy(error));
  source.once('end', () => out.end());
  return out;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string })?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(error) === 404;
}
