import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { ObjectNotFoundError, ObjectTooLargeError, RangeNotSatisfiableError } from '../src/storage/object-storage';
import { STORAGE_DRIVERS, type TestStorage } from './storage-drivers';

// Tens of MiB through real HTTP, disks and s3rver: slow on a busy machine, never wrong.
jest.setTimeout(60_000);

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A body as a client sends it: many chunks, not one buffer. */
function chunked(bytes: Buffer, chunkBytes = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkBytes) yield bytes.subarray(offset, offset + chunkBytes);
    })(),
  );
}

/** A body that sends some bytes, then fails as a client hanging up does. */
function breaksAfter(bytes: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield bytes;
      await new Promise((resolve) => setImmediate(resolve));
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    })(),
  );
}

const transcript = Buffer.from(
  [
    '{"audio":"zh-CN/0001.wav","text":"今天北京天气晴朗，适合出行。","speaker":"F023","dialect":"普通话"}',
    '{"audio":"yue/0002.wav","text":"今日香港天氣好好。","speaker":"M107","dialect":"粤语"}',
  ].join('\n'),
);

describe.each(STORAGE_DRIVERS)('%s', (_name, start) => {
  let t: TestStorage;
  beforeAll(async () => {
    t = await start();
  });
  afterAll(async () => {
    await t?.stop();
  });

  const key = (name: string) => `datasets/6f1c2b3a-0d4e-4f5a-8b6c-7d8e9f0a1b2c/${name}-${randomBytes(4).toString('hex')}`;

  it('stores a stream and reports the size and SHA-256 of what it stored', async () => {
    const k = key('transcripts');
    const stored = await t.storage.put(k, chunked(transcript, 17));
    expect(stored).toEqual({ size: transcript.length, sha256: sha256(transcript) });
    expect(await t.storage.head(k)).toEqual({ size: transcript.length });
    expect(await t.storage.exists(k)).toBe(true);
    const got = await t.storage.get(k);
    expect(got).toMatchObject({ size: transcript.length, start: 0, end: transcript.length - 1 });
    expect(await buffer(got.body)).toEqual(transcript);
  });

  it('stores a multi-MiB object in parts and gives the same bytes back', async () => {
    // Past 64 MiB: several S3 parts, and the filesystem driver's writeback on the way.
    const bytes = randomBytes(66 * MiB + 12_345);
    const k = key('speech-shard');
    expect(await t.storage.put(k, chunked(bytes))).toEqual({ size: bytes.length, sha256: sha256(bytes) });
    const got = await t.storage.get(k);
    expect(sha256(await buffer(got.body))).toBe(sha256(bytes));
  });

  it('stores objects whose chunks straddle its write buffers, several at once, each with its own bytes', async () => {
    // Chunks of an odd size cross every buffer boundary; three puts at once must not mix.
    const objects = [17 * MiB + 1, 9 * MiB - 7, 24 * MiB].map((size) => ({ k: key('straddling'), bytes: randomBytes(size) }));
    const stored = await Promise.all(objects.map(({ k, bytes }) => t.storage.put(k, chunked(bytes, 1_000_003))));
    expect(stored).toEqual(objects.map(({ bytes }) => ({ size: bytes.length, sha256: sha256(bytes) })));
    for (const { k, bytes } of objects) expect(sha256(await buffer((await t.storage.get(k)).body))).toBe(sha256(bytes));
  });

  it('stores an empty object', async () => {
    const k = key('empty');
    expect(await t.storage.put(k, chunked(Buffer.alloc(0)))).toEqual({ size: 0, sha256: sha256(Buffer.alloc(0)) });
    const got = await t.storage.get(k);
    expect(got.size).toBe(0);
    expect((await buffer(got.body)).length).toBe(0);
  });

  it('replaces an object stored under the same key', async () => {
    const k = key('replaced');
    await t.storage.put(k, chunked(Buffer.from('第一版 / first version')));
    await t.storage.put(k, chunked(transcript));
    expect(await buffer((await t.storage.get(k)).body)).toEqual(transcript);
  });

  describe('ranges', () => {
    const bytes = randomBytes(3 * MiB + 7);
    let k: string;
    beforeAll(async () => {
      k = key('ranges');
      await t.storage.put(k, chunked(bytes));
    });

    it.each([
      ['the first byte', { start: 0, end: 0 }, 0, 0],
      ['a middle slice across the 1 MiB buffers', { start: MiB - 10, end: 2 * MiB + 10 }, MiB - 10, 2 * MiB + 10],
      ['the last byte', { start: 3 * MiB + 6, end: 3 * MiB + 6 }, 3 * MiB + 6, 3 * MiB + 6],
      ['from an offset to the end (a resumed download)', { start: 2 * MiB }, 2 * MiB, 3 * MiB + 6],
      ['an end past the object, clamped', { start: 3 * MiB, end: 10 * MiB }, 3 * MiB, 3 * MiB + 6],
    ])('gives %s', async (_what, range, start, end) => {
      const got = await t.storage.get(k, range);
      expect(got).toMatchObject({ size: bytes.length, start, end });
      const served = await buffer(got.body);
      expect({ length: served.length, sha256: sha256(served) }).toEqual({ length: end - start + 1, sha256: sha256(bytes.subarray(start, end + 1)) });
    });

    it.each([
      ['a start at the size', { start: 3 * MiB + 7 }],
      ['a start past the size', { start: 5 * MiB, end: 6 * MiB }],
      ['an end before the start', { start: 10, end: 9 }],
      ['a negative start', { start: -1 }],
    ])('refuses %s as not satisfiable', async (_what, range) => {
      await expect(t.storage.get(k, range)).rejects.toBeInstanceOf(RangeNotSatisfiableError);
    });
  });

  describe('missing objects', () => {
    const missing = 'datasets/6f1c2b3a-0d4e-4f5a-8b6c-7d8e9f0a1b2c/never-stored';
    it('get is ObjectNotFoundError, head is null, exists is false, delete is quiet', async () => {
      await expect(t.storage.get(missing)).rejects.toBeInstanceOf(ObjectNotFoundError);
      await expect(t.storage.get(missing, { start: 0, end: 10 })).rejects.toBeInstanceOf(ObjectNotFoundError);
      expect(await t.storage.head(missing)).toBeNull();
      expect(await t.storage.exists(missing)).toBe(false);
      await expect(t.storage.delete(missing)).resolves.toBeUndefined();
    });

    it('delete removes an object for good', async () => {
      const k = key('deleted');
      await t.storage.put(k, chunked(transcript));
      await t.storage.delete(k);
      expect(await t.storage.exists(k)).toBe(false);
      await expect(t.storage.get(k)).rejects.toBeInstanceOf(ObjectNotFoundError);
    });
  });

  describe('failures leave nothing behind', () => {
    // A dataset folder of the test's own: on the filesystem, keysUnder also sees temporary files.
    const failedPrefix = `datasets/${randomUUID()}/`;

    it('a stream that breaks half-way (a client hanging up), small or multi-part', async () => {
      for (const size of [100_000, 12 * MiB]) {
        const k = `${failedPrefix}broken-${size}`;
        await expect(t.storage.put(k, breaksAfter(randomBytes(size)))).rejects.toThrow('aborted');
        expect(await t.storage.exists(k)).toBe(false);
      }
      expect(await t.keysUnder(failedPrefix)).toEqual([]);
    });

    it('a stream longer than maxBytes is cut off and not stored', async () => {
      for (const [size, max] of [[2 * MiB, MiB], [20 * MiB, 9 * MiB]]) {
        const k = `${failedPrefix}too-large-${size}`;
        await expect(t.storage.put(k, chunked(randomBytes(size)), { maxBytes: max })).rejects.toBeInstanceOf(ObjectTooLargeError);
        expect(await t.storage.exists(k)).toBe(false);
      }
      expect(await t.keysUnder(failedPrefix)).toEqual([]);
    });

    it('a stream of exactly maxBytes is stored', async () => {
      const k = key('exactly-max');
      expect((await t.storage.put(k, chunked(transcript), { maxBytes: transcript.length })).size).toBe(transcript.length);
    });
  });

  it('refuses keys that are not its own before touching anything', async () => {
    for (const bad of ['../outside', '/etc/passwd', 'datasets/../../x', 'Datasets/X', 'a//b', 'a/./b', 'a\\b']) {
      await expect(t.storage.put(bad, chunked(transcript))).rejects.toThrow(/not an object key/);
      await expect(t.storage.get(bad)).rejects.toThrow(/not an object key/);
    }
  });
});
