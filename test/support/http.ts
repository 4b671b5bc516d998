import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or as text when it is not JSON; undefined when empty. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * Sends a request exactly as given (the path not normalized, the body a buffer or a stream,
 * chunked unless a length is set) and reads the answer even when the server gives it before
 * taking the whole body and then closes the connection, as it does for a body over its limit.
 * fetch reports that as a failed write (EPIPE, or ECONNRESET) and loses the answer, depending on
 * how much of the body the kernel had taken when the server closed: a race, lost on a slow
 * machine. A client that reads the answer there is what servers expect of it.
 */
export function sendRaw(
  target: { host?: string; port: number; method: string; path: string },
  body: Buffer | Readable,
  /** A header given as a list is sent as one line per value. */
  headers: Record<string, string | string[]> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      {
        host: target.host ?? '127.0.0.1',
        port: target.port,
        method: target.method,
        path: target.path,
        headers: Buffer.isBuffer(body) ? { 'content-length': String(body.length), ...headers } : headers,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text || undefined;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: the text as it is
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error)));
    // The reset reached this side before the answer did: the kernel drops what it had received.
    req.on('close', () => (answered ? undefined : reject(new AnswerLost(target))));
    if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** The server closed the connection (a reset) before any of its answer could be read. */
export class AnswerLost extends Error {
  constructor(target: { method: string; path: string }) {
    super(`${target.method} ${target.path}: the connection closed before an answer could be read`);
  }
}

/**
 * sendRaw, again while the answer is lost. A server that answers a body it refuses before reading
 * it, and then closes, resets the connection when the client is still sending: the client's
 * kernel may then drop the answer it had already received, as it does for any client. Each try
 * is a new request; an answer that does arrive is the one returned.
 */
export async function sendRawUntilAnswered(target: { host?: string; port: number; method: string; path: string }, body: Buffer, headers: Record<string, string> = {}, tries = 5): Promise<RawAnswer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sendRaw(target, body, headers);
    } catch (error) {
      if (!(error instanceof AnswerLost) || attempt >= tries) throw error;
    }
  }
}
