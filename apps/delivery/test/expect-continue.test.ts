import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { DeliveryHarness, newVendor } from './delivery-harness';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(60_000);

/** What a client that sends `Expect: 100-continue` (curl, for bodies over 1 MB) saw. */
interface ExpectAnswer {
  /** A 100 Continue arrived before the final answer. */
  continued: boolean;
  /** The body was sent (it is sent only after a 100). */
  bodySent: boolean;
  status: number;
  contentType: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json?: any;
}

/**
 * A PUT with `Expect: 100-continue`, as curl sends it: the headers first, the body only once the
 * server answered 100 Continue; a final answer instead means the body is never sent.
 */
function putExpecting(port: number, pathAndQuery: string, body: Buffer, contentLength = body.length): Promise<ExpectAnswer> {
  return new Promise((resolve, reject) => {
    let continued = false;
    let bodySent = false;
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'PUT', path: pathAndQuery, headers: { expect: '100-continue', 'content-length': String(contentLength), 'content-type': 'application/octet-stream' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = res.headers['content-type'];
          resolve({ continued, bodySent, status: res.statusCode ?? 0, contentType, json: /json/.test(contentType ?? '') ? JSON.parse(text) : undefined });
          if (!bodySent) req.destroy();
        });
      },
    );
    req.on('continue', () => {
      continued = true;
      bodySent = true;
      req.end(body);
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}

describe('Expect: 100-continue on uploads', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const vendor = newVendor();
  const datasetId = randomUUID();
  const versionId = randomUUID();
  // Over 1 MB: curl sends Expect for it.
  const bytes = randomBytes(3 * 1024 * 1024);
  const pathOf = (url: string) => {
    const { pathname, search } = new URL(url);
    return pathname + search;
  };
  const signed = async (path: string, size?: number) =>
    pathOf((await h.signUpload({ target: 'version-file', datasetId, versionId, path, ...(size !== undefined ? { size } : {}) }, vendor)).uploadUrl);

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  it('continues a valid upload once it is admitted, and stores its bytes', async () => {
    const answer = await putExpecting(h.port, await signed('audio/valid.wav'), bytes);
    expect({ continued: answer.continued, status: answer.status, sha256: answer.json?.sha256 }).toEqual({
      continued: true,
      status: 201,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  });

  it('answers a used URL 403 URL_USED as the final answer, with no 100 Continue and no body asked for', async () => {
    const url = await signed('audio/once.wav');
    expect((await putExpecting(h.port, url, bytes)).status).toBe(201);
    const again = await putExpecting(h.port, url, bytes);
    expect({ continued: again.continued, bodySent: again.bodySent, status: again.status, type: again.contentType, code: again.json?.code }).toEqual({
      continued: false,
      bodySent: false,
      status: 403,
      type: expect.stringMatching(/^application\/problem\+json/),
      code: 'URL_USED',
    });
  });

  it('answers a tampered URL 403 URL_INVALID as the final answer, with no 100 Continue', async () => {
    const url = new URL(await signed('audio/tampered.wav'), 'http://delivery');
    const sig = url.searchParams.get('sig')!;
    url.searchParams.set('sig', `${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}`);
    const answer = await putExpecting(h.port, url.pathname + url.search, bytes);
    expect({ continued: answer.continued, status: answer.status, code: answer.json?.code }).toEqual({ continued: false, status: 403, code: 'URL_INVALID' });
  });

  it('answers a Content-Length other than the declared size 422 SIZE_MISMATCH as the final answer, with no 100 Continue', async () => {
    const answer = await putExpecting(h.port, await signed('audio/sized.wav', bytes.length - 1), bytes);
    expect({ continued: answer.continued, status: answer.status, code: answer.json?.code }).toEqual({ continued: false, status: 422, code: 'SIZE_MISMATCH' });
    // No byte was sent: the refusal says what the header announced, not that the client sent it.
    expect(answer.json?.detail).toBe(`The upload URL was signed for ${bytes.length - 1} bytes and this request's Content-Length announces ${bytes.length}; no byte was read and nothing was kept.`);
  });

  it('continues a request to any other route at once', async () => {
    const answer = await putExpecting(h.port, `/files/entitlements/${randomUUID()}/versions/${randomUUID()}/a.txt`, Buffer.from('hello'));
    expect({ continued: answer.continued, status: answer.status }).toEqual({ continued: true, status: 405 });
  });
});
