import { STATUS_CODES } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { acceptCorrelationId } from './context';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem';

/**
 * Headers every answer of every app carries, whoever writes it: the onRequest hook, the answers
 * Fastify and Node make before any route, and a download delivery writes itself (it copies the
 * headers set on the reply). `nosniff`: a browser takes the Content-Type as sent and never runs a
 * JSON answer or a downloaded file as a script or a page.
 */
export const COMMON_HEADERS: Readonly<Record<string, string>> = { 'x-content-type-options': 'nosniff' };

/**
 * What Node's HTTP parser refuses before Fastify sees a request: a request line or header that
 * is not HTTP/1.1 (a bare CR, two Content-Lengths, raw UTF-8 in the URL), headers past Node's
 * 16 KiB, or a request that did not arrive in time. The answer is the whole HTTP response, as
 * problem+json like every other error, to be written on the socket before it is closed.
 */
export function clientErrorResponse(error: { code?: unknown; reason?: unknown }): string {
  const [status, detail] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, "The request's headers are larger than the server takes (16 KiB in all): the URL, the Authorization header or a cookie is too long."]
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time.']
        : [400, `The request is not valid HTTP/1.1${typeof error.reason === 'string' ? ` (${error.reason.slice(0, 100)})` : ''}.`];
  const correlationId = acceptCorrelationId(undefined);
  const body = JSON.stringify(toProblem({ statusCode: status, message: detail }, correlationId));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `x-correlation-id: ${correlationId}`,
    ...Object.entries(COMMON_HEADERS).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * What is wrong with a URL's query string, or null: a `%` not followed by two hex digits, or
 * escapes that do not spell UTF-8 (`%ff%fe`). Fastify's parser keeps such text as it is, so a
 * search for `q=%ff` ran as a search for something the client never meant; every other broken
 * part of a request is a 400, and so is this.
 */
export function brokenQuery(url: string): string | null {
  const start = url.indexOf('?');
  if (start < 0) return null;
  for (const part of url.slice(start + 1).split('&')) {
    try {
      decodeURIComponent(part);
    } catch {
      const shown = part.length > 60 ? `${part.slice(0, 60)}…` : part;
      return `The query string's percent-encoding is broken at "${shown}": a % starts an escape of two hex digits (%25 for % itself), and escapes spell UTF-8.`;
    }
  }
  return null;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The methods some route serves at this URL (none for an unknown path): a request that found
 * no route although the path has some is a 405 naming them in Allow, not a 404.
 */
export function allowedMethods(fastify: Pick<FastifyInstance, 'findRoute'>, url: string): string[] {
  return METHODS.filter((method) => {
    try {
      // The router fills a parameter with nothing (`/v1/api-keys/` for `/v1/api-keys/:id`), but
      // no route serves an empty id: such a path has no routes, so it stays a 404.
      const route = fastify.findRoute({ method, url });
      return route !== null && Object.values(route.params ?? {}).every((value) => value !== '');
    } catch {
      return false;
    }
  });
}
