import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { UPLOAD_ROUTE_PREFIX } from './upload-ticket';

/**
 * Answers `Expect: 100-continue` (curl sends it for bodies over 1 MB) the way docs/storage.md
 * promises: an upload refused from its URL or headers alone (a spent or tampered URL, a
 * Content-Length over the cap or other than the size declared) gets its 4xx as the final answer,
 * with no `100 Continue` before it. Node writes the 100 for every request as soon as its headers
 * are read unless the server listens for 'checkContinue'; the client then starts sending the
 * body and, busy sending, may miss the refusal altogether (curl exits 55). So an upload's 100 is
 * written when its body is first read, which happens only once the checks passed; every other
 * route gets its 100 at once, as before.
 */
export function continueUploadsWhenRead(server: Server): void {
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    if (request.url?.startsWith(`${UPLOAD_ROUTE_PREFIX}/`)) continueWhenRead(request, response);
    else response.writeContinue();
    server.emit('request', request, response);
  });
}

/**
 * Writes the 100 the first time the request's body is asked for (a 'data' listener, a pipe, a
 * read()). Not once the final answer has started: Node drains the unread body of a refused
 * request after its answer, and a 100 then would land after the 4xx.
 */
function continueWhenRead(request: IncomingMessage, response: ServerResponse): void {
  const read = request._read.bind(request);
  request._read = (size: number) => {
    request._read = read;
    if (!response.headersSent && !response.writableEnded && !response.destroyed) response.writeContinue();
    read(size);
  };
}
