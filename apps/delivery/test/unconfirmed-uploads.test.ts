import type { SignUploadRequest } from '@trove/contracts';
import { createHash, randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { DeliveryHarness, newVendor, type PutAnswer } from './delivery-harness';
import { fsTestStorage, type TestStorage } from './storage-drivers';
import { UnconfirmedUploadsSweeper } from '../src/uploads/unconfirmed-uploads.sweeper';

// Uploads whose catalog answer never reached delivery: catalog may have recorded the file (its
// answer was lost, or came after the deadline) or not. The bytes are kept until the sweep asks
// catalog, which decides: listed files are recorded, the rest deleted.
jest.setTimeout(30_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const firstCut = Buffer.from('{"audio":"wuu/0001.wav","text":"侬好，今朝天气老好个。","speaker":"F104"}\n');
const secondCut = Buffer.from('{"audio":"wuu/0001.wav","text":"侬好，今朝天气老好额。","speaker":"F104","checked":true}\n');

describe('uploads catalog never confirmed', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  let sweeper: UnconfirmedUploadsSweeper;
  const vendor = newVendor();

  beforeAll(async () => {
    storage = await fsTestStorage();
    // Catalog's silence costs a short wait, not the default 3 s.
    h = await DeliveryHarness.start(storage, { RPC_TIMEOUT_MS: '400' });
    sweeper = h.app.get(UnconfirmedUploadsSweeper);
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });
  beforeEach(async () => {
    h.resetCatalog();
    // What an earlier case left unconfirmed is gone (catalog lists none of it), so each case
    // counts only its own.
    await sweeper.sweep(0);
  });

  const transcriptFile = (): SignUploadRequest => ({ target: 'version-file', datasetId: randomUUID(), versionId: randomUUID(), path: '吴语/上海话/transcripts.jsonl' });

  /** A PUT whose catalog call goes unanswered: 503, and the bytes kept under an unrecorded row. */
  async function putUnanswered(request: SignUploadRequest, bytes: Buffer): Promise<{ answer: PutAnswer; key: string }> {
    h.catalogAnswer = () => 'silence';
    const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, bytes);
    h.catalogAnswer = () => ({ ok: true, data: {} });
    const row = (await h.rows(request.datasetId)).find((r) => r.recorded_at === null && r.sha256 === sha256(bytes));
    return { answer, key: row!.key };
  }

  it('answers 503 saying the upload may be retried, and keeps the bytes until catalog is asked', async () => {
    const request = transcriptFile();
    const { answer, key } = await putUnanswered(request, firstCut);
    expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(answer.body.detail).toContain('Uploading the file again is safe');
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([key]);
  });

  it('records an upload catalog lists after all, replacing the file it held before', async () => {
    const request = transcriptFile();
    const first = await h.put((await h.signUpload(request, vendor)).uploadUrl, firstCut);
    expect(first.status).toBe(201);
    const [earlier] = await h.rows(request.datasetId);
    const { key } = await putUnanswered(request, secondCut);
    // Catalog took the second cut: its answer was what got lost.
    h.catalogListed.add(key);

    expect(await sweeper.sweep(0)).toEqual({ confirmed: 1, deleted: 0 });
    const rows = await h.rows(request.datasetId);
    expect(rows).toEqual([expect.objectContaining({ key, sha256: sha256(secondCut), recorded_at: expect.any(Date) })]);
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([key]);
    expect(await buffer((await storage.storage.get(key)).body)).toEqual(secondCut);
    expect(earlier.key).not.toBe(key);
  });

  it('deletes the row and bytes of an upload catalog does not list, and keeps the file it held before', async () => {
    const request = transcriptFile();
    await h.put((await h.signUpload(request, vendor)).uploadUrl, firstCut);
    const [earlier] = await h.rows(request.datasetId);
    await putUnanswered(request, secondCut);

    expect(await sweeper.sweep(0)).toEqual({ confirmed: 0, deleted: 1 });
    expect(await h.rows(request.datasetId)).toEqual([expect.objectContaining({ key: earlier.key, sha256: sha256(firstCut), recorded_at: expect.any(Date) })]);
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([earlier.key]);
  });

  it('deletes, not records, an upload catalog listed when asked but replaced before the sweep took the file: the newer bytes stay', async () => {
    const request = transcriptFile();
    const { key: lost } = await putUnanswered(request, firstCut);
    h.catalogListed.add(lost);
    // Between catalog's answer and the sweep taking the file's lock, the vendor uploads the file
    // again (as the 503 told it to), and catalog records that upload in place of the first.
    const thirdCut = Buffer.from('{"audio":"wuu/0001.wav","text":"侬好，今朝天气交关好。","speaker":"F104","checked":2}\n');
    h.beforeListedAnswer = async () => {
      h.catalogAnswer = (call) => {
        h.catalogListed.delete(lost);
        h.catalogListed.add(call.request.storageKey);
        return { ok: true, data: { path: call.request.path, size: call.request.size, sha256: call.request.sha256 } };
      };
      expect((await h.put((await h.signUpload(request, vendor)).uploadUrl, thirdCut)).status).toBe(201);
    };

    expect(await sweeper.sweep(0)).toEqual({ confirmed: 0, deleted: 1 });
    const rows = await h.rows(request.datasetId);
    expect(rows).toEqual([expect.objectContaining({ sha256: sha256(thirdCut), recorded_at: expect.any(Date) })]);
    expect(h.catalogListed).toEqual(new Set([rows[0].key]));
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([rows[0].key]);
    expect(await buffer((await storage.storage.get(rows[0].key)).body)).toEqual(thirdCut);
  });

  it('keeps nothing when catalog is not running: the request never reached it', async () => {
    const request = transcriptFile();
    const answer = await h.withoutCatalog(async () => h.put((await h.signUpload(request, vendor)).uploadUrl, firstCut));
    expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(answer.body.detail).toContain('not running');
    expect(await h.rows(request.datasetId)).toEqual([]);
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([]);
  });

  it('leaves an upload alone while its request may still be waiting for catalog', async () => {
    const request = transcriptFile();
    const { key } = await putUnanswered(request, firstCut);
    // At the default age (minutes), an upload stored a moment ago is not the sweep's yet.
    expect(await sweeper.sweep()).toEqual({ confirmed: 0, deleted: 0 });
    expect(await h.rows(request.datasetId)).toEqual([expect.objectContaining({ key, recorded_at: null })]);
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([key]);
  });

  it('keeps the bytes when catalog answers with a failure of its own (5xx): it may have committed first', async () => {
    h.catalogAnswer = () => ({ ok: false, error: { code: 'INTERNAL', status: 500, message: 'Something went wrong on our side.' } });
    const request = transcriptFile();
    const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, firstCut);
    expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(await h.rows(request.datasetId)).toEqual([expect.objectContaining({ sha256: sha256(firstCut), recorded_at: null })]);
  });

  it('keeps nothing when catalog answers with a refusal, without waiting for the sweep', async () => {
    h.catalogAnswer = () => ({ ok: false, error: { code: 'NOT_FOUND', status: 404, message: 'No dataset with this id.' } });
    const request = transcriptFile();
    const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, firstCut);
    expect(answer.status).toBe(404);
    expect(await h.rows(request.datasetId)).toEqual([]);
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([]);
  });
});
