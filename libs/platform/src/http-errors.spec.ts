import Fastify from 'fastify';
import { allowedMethods, clientErrorResponse } from './http-errors';

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
