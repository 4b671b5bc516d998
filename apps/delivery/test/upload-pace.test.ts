import type { SignUploadRequest } from '@trove/contracts';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { UploadPace } from '../src/uploads/upload-pace';
import { DeliveryHarness, newVendor } from './delivery-harness';
import { fsTestStorage, type TestStorage } from './storage-drivers';
import { waitFor } from '../../../test/support/processes';

jest.setTimeout(60_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A PUT whose body the test writes when it likes: what it got back, or that the connection was cut. */
function openPut(h: DeliveryHarness, url: string, size: number): { req: ClientRequest; outcome: Promise<{ status: number; body: { code?: string } } | 'cut off'> } {
  const { pathname, search } = new URL(url);
  let req!: ClientRequest;
  const outcome = new Promise<{ status: number; body: { code?: string } } | 'cut off'>((resolve) => {
    req = httpRequest({ host: '127.0.0.1', port: h.port, method: 'PUT', path: pathname + search, headers: { 'content-length': String(size) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { code?: string } }));
      res.on('error', () => resolve('cut off'));
    });
    req.on('error', () => resolve('cut off'));
  });
  return { req, outcome };
}

/**
 * An upload URL lasts an hour and may be used several times at once: without limits a vendor key
 * could hold hundreds of PUTs open by sending a byte now and then, each with its buffers and file.
 */
describe('uploads that hold delivery without moving bytes', () => {
  let storage: TestStorage;
  const harnesses: DeliveryHarness[] = [];
  const vendor = newVendor();
  const request = (): SignUploadRequest => ({ target: 'version-file', datasetId: randomUUID(), versionId: randomUUID(), path: 'audio/zh-CN/spk_0001/utt_000001.wav' });

  beforeAll(async () => {
    storage = await fsTestStorage();
  });
  afterAll(async () => {
    for (const h of harnesses) await h.stop();
    await storage?.stop();
  });
  const start = async (env: Record<string, string>) => {
    const h = await DeliveryHarness.start(storage, env);
    harnesses.push(h);
    return h;
  };

  it('cuts off an upload that averages less than the minimum pace after the grace period, and keeps nothing', async () => {
    const h = await start({ UPLOAD_MIN_BYTES_PER_SECOND: String(64 * 1024), UPLOAD_PACE_GRACE_MS: '1000' });
    const slow = request();
    const put = openPut(h, (await h.signUpload(slow, vendor)).uploadUrl, 1024 * 1024);
    // A byte now and then: enough to keep an idle timeout away, far below 64 KiB/s.
    const trickle = setInterval(() => put.req.write(Buffer.from('R')), 200);
    try {
      expect(await put.outcome).toBe('cut off');
    } finally {
      clearInterval(trickle);
    }
    // The client sees the connection close before delivery has removed its partial file.
    await waitFor('the partial file removed', async () => (await storage.keysUnder(`datasets/${slow.datasetId}/`)).length === 0);
    expect(await h.rows(slow.datasetId)).toEqual([]);
    expect(h.catalogCalls).toEqual([]);

    // An upload at a normal pace is not touched, however long it runs past the grace period.
    const steady = request();
    const bytes = randomBytes(256 * 1024);
    const good = openPut(h, (await h.signUpload(steady, vendor)).uploadUrl, bytes.length);
    for (let offset = 0; offset < bytes.length; offset += 32 * 1024) {
      good.req.write(bytes.subarray(offset, offset + 32 * 1024));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    good.req.end();
    expect(await good.outcome).toEqual({ status: 201, body: { path: steady.path, size: bytes.length, sha256: sha256(bytes) } });
  });

  it('runs at most UPLOAD_MAX_CONCURRENT_PER_ORGANIZATION uploads of one organization at once: one more is 429, others are not held up', async () => {
    const h = await start({ UPLOAD_MAX_CONCURRENT_PER_ORGANIZATION: '2' });
    const bytes = randomBytes(64 * 1024);
    const running = [request(), request()];
    const open = await Promise.all(running.map(async (r) => openPut(h, (await h.signUpload(r, vendor)).uploadUrl, bytes.length)));
    for (const put of open) put.req.write(bytes.subarray(0, 1024));
    await waitFor('both uploads admitted', async () => h.app.get(UploadPace).runningOf(vendor.organizationId) === 2);

    const third = request();
    const refused = await h.put((await h.signUpload(third, vendor)).uploadUrl, bytes);
    expect({ status: refused.status, code: refused.body?.code, retryAfter: refused.headers['retry-after'] }).toEqual({ status: 429, code: 'RATE_LIMITED', retryAfter: '5' });
    expect(await h.rows(third.datasetId)).toEqual([]);
    // Another organization uploads meanwhile.
    const other = request();
    expect((await h.put((await h.signUpload(other, newVendor())).uploadUrl, bytes)).status).toBe(201);

    // One finishes: the next upload of the organization is taken.
    open[0].req.end(bytes.subarray(1024));
    expect(await open[0].outcome).toMatchObject({ status: 201 });
    expect((await h.put((await h.signUpload(third, vendor)).uploadUrl, bytes)).status).toBe(201);
    open[1].req.end(bytes.subarray(1024));
    expect(await open[1].outcome).toMatchObject({ status: 201 });
  });
});
