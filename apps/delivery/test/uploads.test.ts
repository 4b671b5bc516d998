import { CatalogSubjects, type SignUploadRequest } from '@trove/contracts';
import { createHook } from 'node:async_hooks';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { DeliveryHarness, newVendor, type PutAnswer } from './delivery-harness';
import { fsTestStorage, STORAGE_DRIVERS, type TestStorage } from './storage-drivers';
import { UploadsService } from '../src/uploads/uploads.service';
import { UnconfirmedUploadsSweeper } from '../src/uploads/unconfirmed-uploads.sweeper';
import { uploadGrant, uploadUrl, type UploadTicket } from '../src/uploads/upload-ticket';
import { UrlSigner } from '../src/signing/url-signer';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';

// Tens of MiB through real HTTP, disks and s3rver: slow on a busy machine, never wrong.
jest.setTimeout(60_000);

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A body sent in chunks with no Content-Length, as a streaming client sends it. */
function streamed(bytes: Buffer, chunkBytes = 256 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkBytes) yield bytes.subarray(offset, offset + chunkBytes);
    })(),
  );
}

const transcripts = Buffer.from(
  [
    { audio: 'zh-CN/0001.wav', text: '请帮我查询一下本月的话费余额。', speaker: 'F031', scene: '电信客服' },
    { audio: 'zh-CN/0002.wav', text: '您好，您本月话费余额为八十六元。', speaker: 'M012', scene: '电信客服' },
    { audio: 'yue/0003.wav', text: '唔該幫我轉接人工服務。', speaker: 'F207', scene: '電信客服' },
  ]
    .map((line) => JSON.stringify(line))
    .join('\n'),
);

function expectProblem(answer: PutAnswer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.code }).toEqual({ status, code });
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
}

describe.each(STORAGE_DRIVERS)('signed uploads with %s', (_name, startStorage) => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const vendor = newVendor();

  beforeAll(async () => {
    storage = await startStorage();
    // A small JSON body limit: uploads must not be held to it. A 32 MiB cap on any upload.
    h = await DeliveryHarness.start(storage, { BODY_LIMIT_BYTES: '1024', UPLOAD_MAX_BYTES: String(32 * MiB) });
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });
  beforeEach(() => h.resetCatalog());

  const versionFile = (over: Partial<SignUploadRequest> = {}): SignUploadRequest => ({
    target: 'version-file',
    datasetId: randomUUID(),
    versionId: randomUUID(),
    path: 'transcripts/电信客服/train.jsonl',
    ...over,
  });

  /** Nothing of the dataset in storage nor in stored_object, and catalog told nothing. */
  async function expectNothingKept(datasetId: string): Promise<void> {
    expect(await storage.keysUnder(`datasets/${datasetId}/`)).toEqual([]);
    expect(await h.rows(datasetId)).toEqual([]);
    expect(h.catalogCalls).toEqual([]);
  }

  it('stores a version file, tells catalog, and answers 201 with the size and SHA-256', async () => {
    const request = versionFile({ size: transcripts.length, sha256: sha256(transcripts) });
    const signed = await h.signUpload(request, vendor);
    expect(signed.uploadUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${h.port}/files/uploads/datasets/${request.datasetId}/versions/${request.versionId}/transcripts/`));
    expect(Date.parse(signed.expiresAt)).toBeGreaterThan(Date.now());

    const answer = await h.put(signed.uploadUrl, transcripts, { 'content-type': 'application/json' });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ path: request.path, size: transcripts.length, sha256: sha256(transcripts) });

    const rows = await h.rows(request.datasetId);
    expect(rows).toEqual([
      expect.objectContaining({ target: 'version-file', version_id: request.versionId, path: request.path, size: String(transcripts.length), sha256: sha256(transcripts), uploaded_by: vendor.organizationId }),
    ]);
    expect(rows[0].recorded_at).not.toBeNull();
    expect(rows[0].key).toMatch(new RegExp(`^datasets/${request.datasetId}/[0-9a-f-]{36}$`));
    expect(await buffer((await storage.storage.get(rows[0].key)).body)).toEqual(transcripts);
    expect(h.catalogCalls).toEqual([
      {
        subject: CatalogSubjects.addVersionFile.subject,
        request: { datasetId: request.datasetId, versionId: request.versionId, path: request.path, size: transcripts.length, sha256: sha256(transcripts), storageKey: rows[0].key },
        callerOrganization: vendor.organizationId,
      },
    ]);
  });

  it('streams a multi-MiB file without a declared size or hash, and measures it', async () => {
    const shard = randomBytes(20 * MiB + 123);
    const request = versionFile({ path: 'audio/zh-CN/shard-0001.tar' });
    const signed = await h.signUpload(request, vendor);
    const answer = await h.put(signed.uploadUrl, streamed(shard), { 'content-type': 'application/x-tar' });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ path: request.path, size: shard.length, sha256: sha256(shard) });
    expect(h.catalogCalls[0].request).toMatchObject({ size: shard.length, sha256: sha256(shard) });
  });

  it('stores a sample and passes its content type to catalog', async () => {
    const request: SignUploadRequest = { target: 'sample', datasetId: randomUUID(), path: 'preview/粤语_样例.jsonl', maxBytes: MiB };
    const signed = await h.signUpload(request, vendor);
    expect(signed.uploadUrl).toContain(`/files/uploads/datasets/${request.datasetId}/samples/preview/`);
    const answer = await h.put(signed.uploadUrl, transcripts, { 'content-type': 'application/jsonl; charset=utf-8' });
    expect(answer.status).toBe(201);
    expect(h.catalogCalls).toEqual([
      expect.objectContaining({ subject: CatalogSubjects.addSample.subject, request: expect.objectContaining({ path: request.path, size: transcripts.length, contentType: 'application/jsonl' }) }),
    ]);
    expect(await h.rows(request.datasetId)).toEqual([expect.objectContaining({ target: 'sample', version_id: null })]);
  });

  it("types a sample sent with curl's default (a form) or no type by its name when it is audio, video, an image or a PDF, and keeps a type the vendor chose", async () => {
    const wav = Buffer.concat([Buffer.from('RIFF'), randomBytes(2044)]);
    const cases: [string, Record<string, string>, string | undefined][] = [
      ['preview/粤语_客服_001.wav', { 'content-type': 'application/x-www-form-urlencoded' }, 'audio/wave'],
      ['preview/街景_001.jpg', {}, 'image/jpeg'],
      // A .txt may be GBK: with no charset said, it is not served as UTF-8 text.
      ['preview/对话_001.txt', { 'content-type': 'application/x-www-form-urlencoded' }, undefined],
      ['preview/点云_001.pcd', { 'content-type': 'multipart/form-data' }, undefined],
      // Nor JSON, script or markup, whose charset a name cannot tell, nor gzip named as SVG.
      ['preview/对话_001.json', {}, undefined],
      ['preview/viewer.js', {}, undefined],
      ['preview/标注_001.xml', {}, undefined],
      ['preview/示意图.svgz', {}, undefined],
      ['preview/说明.pdf', {}, 'application/pdf'],
      ['preview/粤语_客服_002.wav', { 'content-type': 'audio/x-wav' }, 'audio/x-wav'],
    ];
    for (const [path, headers, expected] of cases) {
      h.catalogCalls.length = 0;
      const request: SignUploadRequest = { target: 'sample', datasetId: randomUUID(), path, maxBytes: MiB };
      expect((await h.put((await h.signUpload(request, vendor)).uploadUrl, wav, headers)).status).toBe(201);
      expect([path, h.catalogCalls[0].request.contentType]).toEqual([path, expected]);
    }
  });

  it('refuses a text sample declared in GBK before a byte is read, saying to send UTF-8, and keeps a version file in GBK as bytes', async () => {
    const gbk = Buffer.from([0xd3, 0xef, 0xd2, 0xf4, 0xca, 0xb6, 0xb1, 0xf0, 0x2c, 0x31, 0x0a]); // "语音识别,1" in GBK
    for (const contentType of ['text/csv; charset=gbk', 'text/plain;charset="GB18030"', 'application/json; charset=big5', 'text/plain;charset=utf-8;charset=gbk']) {
      const request: SignUploadRequest = { target: 'sample', datasetId: randomUUID(), path: 'preview/样例.csv', maxBytes: MiB };
      const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, gbk, { 'content-type': contentType });
      expectProblem(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(answer.body.detail).toContain('Convert it to UTF-8');
      await expectNothingKept(request.datasetId);
    }
    expect(h.catalogCalls).toEqual([]);
    // UTF-8 and ASCII are served as they are; a binary type's charset says nothing of its bytes.
    for (const contentType of ['text/csv; charset=UTF-8', 'text/csv; charset=us-ascii', 'application/octet-stream; charset=gbk']) {
      const request: SignUploadRequest = { target: 'sample', datasetId: randomUUID(), path: 'preview/样例.csv', maxBytes: MiB };
      expect((await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('语音识别,1\n'), { 'content-type': contentType })).status).toBe(201);
    }
    // A version file is bytes, never served as text: its charset is the vendor's business.
    expect((await h.put((await h.signUpload(versionFile({ path: 'labels/gbk.csv' }), vendor)).uploadUrl, gbk, { 'content-type': 'text/csv; charset=gbk' })).status).toBe(201);
  });

  it('takes a path of nearly 512 bytes of Chinese (about 1,500 characters once percent-encoded)', async () => {
    // Two long names: one name holds at most 255 bytes, what a buyer's filesystem takes.
    const request = versionFile({ path: `标注/${'普通话朗读语音数据'.repeat(9)}/${'普通话朗读语音数据'.repeat(9)}.jsonl` });
    expect(Buffer.byteLength(request.path)).toBeGreaterThan(490);
    const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, transcripts);
    expect(answer.status).toBe(201);
    expect(answer.body.path).toBe(request.path);
  });

  it('replaces the object of a path uploaded again to the same version', async () => {
    const request = versionFile({ path: 'README.md' });
    const first = await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('# 电信客服对话语料\n第一版'));
    const second = await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('# 电信客服对话语料\n第二版，修正了标注'));
    expect([first.status, second.status]).toEqual([201, 201]);
    const rows = await h.rows(request.datasetId);
    expect(rows.map((r) => r.sha256)).toEqual([second.body.sha256]);
    // The first object is deleted after the second upload's answer, not before it.
    const only = [rows[0].key];
    await waitFor('the replaced object to be deleted', async () => JSON.stringify(await storage.keysUnder(`datasets/${request.datasetId}/`)) === JSON.stringify(only), 5_000, 20);
  });

  describe('declared hash or size that does not match: 422, nothing kept', () => {
    it('a different SHA-256', async () => {
      const request = versionFile({ sha256: sha256(Buffer.from('另一个文件 / another file')) });
      const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, transcripts);
      expectProblem(answer, 422, 'CHECKSUM_MISMATCH');
      await expectNothingKept(request.datasetId);
    });

    it('a Content-Length other than the declared size, refused before reading', async () => {
      const request = versionFile({ size: transcripts.length + 1 });
      const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, transcripts);
      expectProblem(answer, 422, 'SIZE_MISMATCH');
      await expectNothingKept(request.datasetId);
    });

    it.each([
      ['shorter', -100],
      ['longer', +MiB],
    ])('a streamed body %s than declared', async (_what, delta) => {
      const bytes = randomBytes(2 * MiB + delta);
      const request = versionFile({ size: 2 * MiB });
      const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, streamed(bytes));
      expectProblem(answer, 422, 'SIZE_MISMATCH');
      await expectNothingKept(request.datasetId);
    });
  });

  describe('oversize: 413, nothing kept', () => {
    it('a sample over its cap, announced by Content-Length', async () => {
      const request: SignUploadRequest = { target: 'sample', datasetId: randomUUID(), path: 'preview/big.wav', maxBytes: MiB };
      const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, randomBytes(MiB + 1));
      expectProblem(answer, 413, 'UPLOAD_TOO_LARGE');
      await expectNothingKept(request.datasetId);
    });

    it('a sample over its cap, streamed without a length', async () => {
      const request: SignUploadRequest = { target: 'sample', datasetId: randomUUID(), path: 'preview/big.wav', maxBytes: MiB };
      const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, streamed(randomBytes(3 * MiB)));
      expectProblem(answer, 413, 'UPLOAD_TOO_LARGE');
      await expectNothingKept(request.datasetId);
    });

    it('any upload over UPLOAD_MAX_BYTES, and a declared size over it already when signing', async () => {
      const request = versionFile({ path: 'audio/too-long.flac' });
      const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, streamed(randomBytes(33 * MiB)));
      expectProblem(answer, 413, 'UPLOAD_TOO_LARGE');
      await expectNothingKept(request.datasetId);
      await expect(h.signUpload(versionFile({ size: 33 * MiB }), vendor)).rejects.toMatchObject({ code: 'UPLOAD_TOO_LARGE', status: 413 });
    });
  });

  describe('tampered or expired URLs: 403, no bytes stored', () => {
    const tamper: [string, (url: URL) => void][] = [
      ['one character of the signature changed', (u) => u.searchParams.set('sig', flip(u.searchParams.get('sig')!))],
      ['a larger declared size', (u) => u.searchParams.set('size', String(Number(u.searchParams.get('size')) + 1))],
      ['another file path', (u) => (u.pathname = u.pathname.replace('train.jsonl', 'test.jsonl'))],
      ['another version', (u) => (u.pathname = u.pathname.replace(/versions\/[0-9a-f-]+/, `versions/${randomUUID()}`))],
      ['another organization', (u) => u.searchParams.set('org', randomUUID())],
      ['a later expiry', (u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 86_400))],
      // The number that was signed, written otherwise: the URL's text is not what was signed.
      ['its expiry written with a leading zero', (u) => u.searchParams.set('expires', `0${u.searchParams.get('expires')}`)],
      ['its expiry written with two leading zeros', (u) => u.searchParams.set('expires', `00${u.searchParams.get('expires')}`)],
      ['its declared size written with a leading zero', (u) => u.searchParams.set('size', `0${u.searchParams.get('size')}`)],
      ['its byte limit written with a leading zero', (u) => u.searchParams.set('max', `0${u.searchParams.get('max')}`)],
      ['its declared size replaced by the text null', (u) => u.searchParams.set('size', 'null')],
      ['a SHA-256 of the text null added to a URL signed without one', (u) => u.searchParams.set('sha256', 'null')],
      ['an unknown key id', (u) => u.searchParams.set('kid', 'test9')],
      ['its nonce taken off (a URL good for one upload made good for many)', (u) => u.searchParams.delete('n')],
      ['another nonce', (u) => u.searchParams.set('n', 'A'.repeat(22))],
      ['no signature', (u) => u.searchParams.delete('sig')],
    ];
    it.each(tamper)('%s', async (_what, change) => {
      const request = versionFile({ size: transcripts.length, maxBytes: MiB });
      const url = new URL((await h.signUpload(request, vendor)).uploadUrl);
      change(url);
      const answer = await h.put(url.toString(), transcripts);
      expectProblem(answer, 403, 'URL_INVALID');
      await expectNothingKept(request.datasetId);
    });

    it('an expired URL', async () => {
      const request = versionFile();
      const twoHoursAgo = Date.now() - 2 * 3600 * 1000;
      const signed = h.app.get(UploadsService).sign(request, vendor, twoHoursAgo);
      const answer = await h.put(signed.uploadUrl, transcripts);
      expectProblem(answer, 403, 'URL_EXPIRED');
      await expectNothingKept(request.datasetId);
    });
  });

  describe('unsafe paths: 400 naming path', () => {
    it.each(['..%2F..%2Fetc%2Fpasswd', '%2e%2e/%2e%2e/secrets.txt', 'audio/%2E%2E/x.wav', '%2Fetc%2Fpasswd', 'audio%5C..%5Cx.wav', 'audio//x.wav'])(
      'a PUT to %s, even with a valid signature elsewhere in the URL',
      async (rawPath) => {
        const request = versionFile({ path: 'audio/x.wav' });
        const url = new URL((await h.signUpload(request, vendor)).uploadUrl);
        const prefix = url.pathname.slice(0, url.pathname.indexOf('/audio/x.wav') + 1);
        const answer = await h.putRaw(`${prefix}${rawPath}${url.search}`, transcripts);
        expectProblem(answer, 400, 'VALIDATION_FAILED');
        expect(answer.body.errors).toEqual([expect.objectContaining({ field: 'path' })]);
        await expectNothingKept(request.datasetId);
      },
    );

    it('and no URL is signed for one', async () => {
      for (const path of ['../etc/passwd', '/etc/passwd', 'a/../../b', 'audio/0001.wav:Zone.Identifier', 'audio/NUL.wav', `audio/${'语'.repeat(90)}.wav`]) {
        await expect(h.signUpload(versionFile({ path }), vendor)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
      }
    });
  });

  // Only the filesystem shows an upload in progress (its temporary file) to wait for.
  const onDisk = startStorage === fsTestStorage ? it : it.skip;
  onDisk('keeps nothing when the client hangs up half-way', async () => {
    const request = versionFile({ path: 'audio/zh-CN/interrupted.tar', size: 8 * MiB });
    const url = new URL((await h.signUpload(request, vendor)).uploadUrl);
    const prefix = `datasets/${request.datasetId}/`;
    const req = httpRequest({ host: '127.0.0.1', port: h.port, method: 'PUT', path: url.pathname + url.search, headers: { 'content-length': String(8 * MiB) } });
    req.on('error', () => undefined);
    req.write(randomBytes(2 * MiB));
    await waitFor('the upload to reach the disk', async () => (await storage.keysUnder(prefix)).length > 0);
    req.destroy();
    await waitFor('the partial upload to be removed', async () => (await storage.keysUnder(prefix)).length === 0);
    expect(await h.rows(request.datasetId)).toEqual([]);
    expect(h.catalogCalls).toEqual([]);
  });

  describe('an upload URL is good for one file', () => {
    const spent = (nonce: string) =>
      withDatabase(h.db.url, async (client) => (await client.query(`SELECT nonce, expires_at FROM spent_upload_url WHERE nonce = $1`, [nonce])).rows);
    const nonceOf = (url: string) => new URL(url).searchParams.get('n')!;

    it('refuses the URL once its file is recorded, with other bytes or the same, and keeps the first file', async () => {
      const request = versionFile({ path: 'transcripts/train.jsonl' });
      const { uploadUrl: url, expiresAt } = await h.signUpload(request, vendor);
      expect(nonceOf(url)).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect((await h.put(url, transcripts)).status).toBe(201);
      const [first] = await h.rows(request.datasetId);

      // Whoever else holds the URL for the rest of its hour: other bytes under the vendor's path.
      const forged = Buffer.from('{"audio":"zh-CN/0001.wav","text":"广告：加微信领取免费数据"}\n');
      for (const body of [forged, transcripts]) {
        const answer = await h.put(url, body);
        expectProblem(answer, 403, 'URL_USED');
        expect(answer.body.detail).toContain('new URL');
      }
      expect(h.catalogCalls).toHaveLength(1);
      expect(await h.rows(request.datasetId)).toEqual([first]);
      expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([first.key]);
      expect(await spent(nonceOf(url))).toEqual([{ nonce: nonceOf(url), expires_at: new Date(expiresAt) }]);
    });

    it('still takes a file through a new URL for the same path', async () => {
      const request = versionFile({ path: 'README.md' });
      expect((await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('# 第一版'))).status).toBe(201);
      const second = await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('# 第二版'));
      expect(second.status).toBe(201);
      expect((await h.rows(request.datasetId)).map((row) => row.sha256)).toEqual([second.body.sha256]);
    });

    it('stays good after an upload through it was refused: a wrong hash, or catalog saying no', async () => {
      const request = versionFile({ sha256: sha256(transcripts) });
      const { uploadUrl: url } = await h.signUpload(request, vendor);
      expectProblem(await h.put(url, Buffer.from('截断的文件')), 422, 'CHECKSUM_MISMATCH');
      h.catalogAnswer = () => ({ ok: false, error: { code: 'STORAGE_QUOTA_EXCEEDED', status: 413, message: 'The vendor stores too much.' } });
      expectProblem(await h.put(url, transcripts), 413, 'STORAGE_QUOTA_EXCEEDED');
      expect(await spent(nonceOf(url))).toEqual([]);
      h.resetCatalog();
      const answer = await h.put(url, transcripts);
      expect(answer.status).toBe(201);
      expect(await h.rows(request.datasetId)).toEqual([expect.objectContaining({ sha256: sha256(transcripts) })]);
    });

    it('records one file when the same URL is sent twice at once', async () => {
      const request = versionFile({ path: 'labels/boxes.jsonl' });
      const { uploadUrl: url } = await h.signUpload(request, vendor);
      const answers = await Promise.all([h.put(url, Buffer.from('{"box":[1,2,3,4]}\n')), h.put(url, Buffer.from('{"box":[5,6,7,8]}\n'))]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 403]);
      expect(answers.find((a) => a.status === 403)!.body.code).toBe('URL_USED');
      const rows = await h.rows(request.datasetId);
      expect(rows.map((row) => row.sha256)).toEqual([answers.find((a) => a.status === 201)!.body.sha256]);
      expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([rows[0].key]);
    });

    it('takes a URL signed before URLs had a nonce, as before, until it expires', async () => {
      const request = versionFile({ path: 'legacy/file.jsonl' });
      const ticket: UploadTicket = {
        target: 'version-file',
        datasetId: request.datasetId,
        versionId: request.versionId,
        path: request.path,
        caller: { organizationId: vendor.organizationId, role: vendor.role, keyId: vendor.keyId },
        expires: Math.floor(Date.now() / 1000) + 600,
      };
      const url = uploadUrl(`http://127.0.0.1:${h.port}`, ticket, h.app.get(UrlSigner).sign(uploadGrant(ticket)));
      expect(new URL(url).searchParams.has('n')).toBe(false);
      expect((await h.put(url, transcripts)).status).toBe(201);
    });

    it('forgets spent URLs a minute after they expire, when the uploads sweep passes', async () => {
      const request = versionFile({ path: 'sweep/file.jsonl' });
      const { uploadUrl: url } = await h.signUpload(request, vendor);
      expect((await h.put(url, transcripts)).status).toBe(201);
      await withDatabase(h.db.url, (client) =>
        client.query(`INSERT INTO spent_upload_url (nonce, expires_at) VALUES ('expired-two-minutes-ago', now() - interval '2 minutes'), ('expired-just-now', now() - interval '5 seconds')`),
      );
      await h.app.get(UnconfirmedUploadsSweeper).sweep();
      expect(await spent('expired-two-minutes-ago')).toEqual([]);
      expect(await spent('expired-just-now')).toHaveLength(1);
      expect(await spent(nonceOf(url))).toHaveLength(1);
    });

    it('turns a replay away at its headers, before any of its bytes are taken', async () => {
      const request = versionFile({ path: 'audio/zh-CN/utt_000001.wav' });
      const { uploadUrl: url } = await h.signUpload(request, vendor);
      expect((await h.put(url, transcripts)).status).toBe(201);
      const [first] = await h.rows(request.datasetId);

      // A 16 MiB body announced (within the limit) and never sent: the answer comes without waiting for it.
      const { pathname, search } = new URL(url);
      const replay = httpRequest({ host: '127.0.0.1', port: h.port, method: 'PUT', path: pathname + search, headers: { 'content-length': String(16 * MiB) } });
      replay.on('error', () => undefined);
      const answer = await new Promise<{ status: number; connection: string | undefined; body: { code?: string } }>((resolve) => {
        replay.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: string } }));
        });
        replay.flushHeaders();
      });
      replay.destroy();
      expect(answer).toEqual({ status: 403, connection: 'close', body: expect.objectContaining({ code: 'URL_USED' }) });
      expect(h.catalogCalls).toHaveLength(1);
      expect(await h.rows(request.datasetId)).toEqual([first]);
      expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([first.key]);
    });
  });

  it('keeps nothing when catalog refuses the file (the version was released meanwhile) and answers its problem', async () => {
    h.catalogAnswer = () => ({ ok: false, error: { code: 'INVALID_STATE', status: 409, message: 'Version 1.0.0 is released; its files are frozen.' } });
    const request = versionFile({ path: 'late/file.jsonl' });
    const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, transcripts);
    expectProblem(answer, 409, 'INVALID_STATE');
    expect(answer.body.detail).toContain('released');
    expect(h.catalogCalls).toHaveLength(1);
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([]);
    expect(await h.rows(request.datasetId)).toEqual([]);
  });
});

describe('closing delivery with the filesystem driver', () => {
  it('stops the worker threads that hashed its uploads', async () => {
    // Every worker thread of this process started from here on, until it is gone.
    const threads = new Set<number>();
    const hook = createHook({
      init: (id, type) => void (type === 'WORKER' && threads.add(id)),
      destroy: (id) => void threads.delete(id),
    }).enable();
    const storage = await fsTestStorage();
    try {
      const h = await DeliveryHarness.start(storage);
      try {
        const shard = randomBytes(20 * MiB + 123);
        const request: SignUploadRequest = { target: 'version-file', datasetId: randomUUID(), versionId: randomUUID(), path: 'audio/yue/shard-0001.tar' };
        const answer = await h.put((await h.signUpload(request, newVendor())).uploadUrl, streamed(shard));
        expect(answer.body).toEqual({ path: request.path, size: shard.length, sha256: sha256(shard) });
        expect(threads.size).toBeGreaterThan(0);
      } finally {
        await h.stop();
      }
      // A thread left running after its app closed lives (with all it holds) until the process ends.
      await waitFor('the hashing threads to stop', async () => threads.size === 0);
    } finally {
      hook.disable();
      await storage.stop();
    }
  });
});

function flip(text: string): string {
  return (text[0] === 'A' ? 'B' : 'A') + text.slice(1);
}
