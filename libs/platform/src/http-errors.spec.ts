import Fastify from 'fastify';
import { allowedMethods, brokenQuery, clientErrorResponse } from './http-errors';

function parse(response: string) {
  const [head, body] = response.split('\r\n\r\n');
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => line.split(': ')).map(([name, value]) => [name.toLowerCase(), value]));
  return { statusLine, headers, body: JSON.parse(body), bodyBytes: Buffer.byteLength(body) };
}

describe('clientErrorResponse', () => {
  it.each([
    [{ code: 'HPE_HEADER_OVERFLOW' }, 'HTTP/1.1 431 Request Header Fields Too Large', /headers are larger than the server takes/],
    [{ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, 'HTTP/1.1 408 Request Timeout', /did not arrive in time/],
    [{ code: 'HPE_INVALID_HEADER_TOKEN', reason: 'Invalid header value char' }, 'HTTP/1.1 400 Bad Request', /^The request is not valid HTTP\/1\.1 \(Invalid header value char\)\.$/],
    [{ code: 'HPE_INVALID_METHOD' }, 'HTTP/1.1 400 Bad Request', /^The request is not valid HTTP\/1\.1\.$/],
  ])('answers %j as problem+json with a correlation id', (error, statusLine, detail) => {
    const answer = parse(clientErrorResponse(error));
    const status = Number(statusLine.split(' ')[1]);
    expect(answer.statusLine).toBe(statusLine);
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(Number(answer.headers['content-length'])).toBe(answer.bodyBytes);
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.body).toMatchObject({ status, code: 'VALIDATION_FAILED', type: 'urn:problem:trove:validation-failed', detail: expect.stringMatching(detail) });
    expect(answer.body.correlationId).toBe(answer.headers['x-correlation-id']);
  });
});

describe('allowedMethods', () => {
  it('names the methods of the routes at a URL, and none for an unknown path', async () => {
    const fastify = Fastify();
    fastify.get('/v1/datasets/:id', async () => ({}));
    fastify.patch('/v1/datasets/:id', async () => ({}));
    fastify.post('/v1/datasets', async () => ({}));
    await fastify.ready();
    expect(allowedMethods(fastify, '/v1/datasets/3f1c0a9e-0b7a-4c39-9a0e-3c4b9b1f0a11?fields=title')).toEqual(['GET', 'HEAD', 'PATCH']);
    expect(allowedMethods(fastify, '/v1/datasets')).toEqual(['POST']);
    expect(allowedMethods(fastify, '/v1/orders')).toEqual([]);
    // A trailing slash is not an empty id: GET /v1/datasets/ has no route, so it is a 404.
    expect(allowedMethods(fastify, '/v1/datasets/')).toEqual([]);
    await fastify.close();
  });
});

describe('brokenQuery', () => {
  it.each([
    ['/v1/datasets?q=%ff%fe', 'q=%ff%fe'],
    ['/v1/datasets?q=%', 'q=%'],
    ['/v1/datasets?modality=speech&q=100%', 'q=100%'],
    ['/v1/datasets?q=%E8%AF', 'q=%E8%AF'],
    ['/v1/datasets?q=%zz', 'q=%zz'],
  ])('finds the broken escape in %s', (url, part) => {
    expect(brokenQuery(url)).toContain(`"${part}"`);
  });

  it.each([
    '/v1/datasets',
    '/v1/datasets?q=%E8%AF%AD%E9%9F%B3&modality=speech',
    '/v1/datasets?q=100%25',
    '/v1/datasets?q=a+b&sort=price',
    '/files/audio%2F0001.wav?org=c130b609&expires=1796094271&sig=eXt_AvdFOlxpjChYpSoZ-lsdh1JG11Q3vJ07IWmVaH68',
  ])('takes %s', (url) => {
    expect(brokenQuery(url)).toBeNull();
  });
});
