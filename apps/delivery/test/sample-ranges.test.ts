import { createHash, randomUUID } from 'node:crypto';
import { SamplesService } from '../src/samples/samples.service';
import { DeliveryHarness, newVendor } from './delivery-harness';
import { fetchRaw } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The Range header on a sample URL, read by the same rules as a download's (byte-range.ts). */
describe('Range on a signed sample URL', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const datasetId = randomUUID();
  const path = 'samples/标注_样例.csv';
  // 31 bytes.
  const bytes = Buffer.from('text\n语音识别\n数据标注\n');
  let url: string;

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    const signed = await h.signUpload({ target: 'sample', datasetId, path }, newVendor());
    expect((await h.put(signed.uploadUrl, bytes, { 'content-type': 'text/csv' })).status).toBe(201);
    url = h.app.get(SamplesService).sign({ datasetId, path, sha256: sha256(bytes), contentType: 'text/csv' }).url;
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  it('answers several ranges the sample holds with the whole sample (200), and one range past it with 416', async () => {
    expect(bytes.length).toBe(31);
    for (const range of ['bytes=0-1,3-4', 'bytes=0-1,,5-9']) {
      const whole = await fetchRaw(url, { range });
      expect({ range, status: whole.status, contentRange: whole.headers['content-range'], length: whole.headers['content-length'], same: whole.body.equals(bytes) }).toEqual({
        range,
        status: 200,
        contentRange: undefined,
        length: '31',
        same: true,
      });
    }
    const one = await fetchRaw(url, { range: 'bytes=3-4' });
    expect({ status: one.status, contentRange: one.headers['content-range'], same: one.body.equals(bytes.subarray(3, 5)) }).toEqual({ status: 206, contentRange: 'bytes 3-4/31', same: true });
    const past = await fetchRaw(url, { range: 'bytes=31-' });
    expect({ status: past.status, contentRange: past.headers['content-range'], code: past.json?.code }).toEqual({ status: 416, contentRange: 'bytes */31', code: 'RANGE_NOT_SATISFIABLE' });
  });
});
