import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ABANDONED_PUT_IDLE_MS, AbandonedPutsSweeper } from '../src/storage/abandoned-puts.sweeper';
import { FsObjectStorage } from '../src/storage/fs-object-storage';

/**
 * A delivery process that dies mid-upload leaves the put's temporary file behind (a put that
 * fails in a living process removes its own). The sweep deletes those once they have not grown
 * for an hour, and nothing else: objects, and the temporary files of puts still running.
 */
describe('temporary files of uploads cut off by a dead process', () => {
  let root: string;
  let storage: FsObjectStorage;
  const datasetDir = () => join(root, 'datasets', '7d1c6a0e-2f4b-4c8e-9a1d-3b5e6f708192');
  const longAgo = () => new Date(Date.now() - ABANDONED_PUT_IDLE_MS - 60_000);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'trove-sweep-'));
    storage = new FsObjectStorage(root);
  });

  afterEach(async () => {
    await storage.onApplicationShutdown();
    await rm(root, { recursive: true, force: true });
  });

  /** A temporary file as a put names it, last written `at`. */
  async function leftover(name: string, at: Date): Promise<void> {
    await mkdir(datasetDir(), { recursive: true });
    await writeFile(join(datasetDir(), name), Buffer.alloc(64 * 1024, 7));
    await utimes(join(datasetDir(), name), at, at);
  }

  it('deletes only temporary files idle for longer than the limit, never an object', async () => {
    const bytes = Buffer.from('{"id":"utt_000001","text":"今天天气很好"}\n');
    const key = 'datasets/7d1c6a0e-2f4b-4c8e-9a1d-3b5e6f708192/0b9c5d7e-1a2b-4c3d-8e9f-a0b1c2d3e4f5';
    await storage.put(key, Readable.from([bytes]));
    // An object written long ago is an object: its age does not matter.
    await utimes(join(root, key), longAgo(), longAgo());
    await leftover('.0123456789abcdef.part', longAgo());
    await leftover('.fedcba9876543210.part', new Date());

    expect(await storage.sweepAbandonedPuts(ABANDONED_PUT_IDLE_MS)).toBe(1);
    expect((await readdir(datasetDir())).sort()).toEqual(['.fedcba9876543210.part', '0b9c5d7e-1a2b-4c3d-8e9f-a0b1c2d3e4f5']);
    const stored = await storage.get(key);
    const chunks: Buffer[] = [];
    for await (const chunk of stored.body) chunks.push(chunk as Buffer);
    expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('leaves its own running puts alone, however long since they last wrote', async () => {
    const body = new Readable({ read() {} });
    const push = (chunk: Buffer | null) => body.push(chunk);
    const key = 'datasets/7d1c6a0e-2f4b-4c8e-9a1d-3b5e6f708192/5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
    const put = storage.put(key, body);
    push(Buffer.alloc(1024 * 1024, 1));
    // The put's temporary file exists now; however old it looks (a client slower than a slot
    // an idle period), the sweep must not take it from under its put.
    for (let i = 0; i < 50 && !(await readdir(datasetDir()).catch(() => [])).some((n) => n.endsWith('.part')); i++) await new Promise((r) => setTimeout(r, 10));
    const [temporary] = (await readdir(datasetDir())).filter((n) => n.endsWith('.part'));
    await utimes(join(datasetDir(), temporary), longAgo(), longAgo());
    expect(await storage.sweepAbandonedPuts(ABANDONED_PUT_IDLE_MS)).toBe(0);
    push(Buffer.alloc(1024 * 1024, 2));
    push(null);
    expect((await put).size).toBe(2 * 1024 * 1024);
  });

  it('answers 0 on an empty store, and the sweeper deletes what a dead process left at start-up', async () => {
    expect(await storage.sweepAbandonedPuts(ABANDONED_PUT_IDLE_MS)).toBe(0);
    await leftover('.00112233aabbccdd.part', longAgo());
    expect(await new AbandonedPutsSweeper(storage).sweep()).toBe(1);
    expect(await readdir(datasetDir())).toEqual([]);
  });
});
