import {
  addManifestPage,
  CatalogEvents,
  DeliverySubjects,
  OrderingEvents,
  type EventSubject,
  manifestOfFirstPage,
  type Manifest,
  type OrderPaidV1,
  type PaidOrderLineV1,
  type RpcSubject,
} from '@trove/contracts';
import { defaultTerms, termsSha256, type LicenseTemplate, type LicenseTermsValue } from '@trove/licensing';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { RequestContext, type Caller } from '@trove/platform';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DeliveryHarness } from './delivery-harness';

export const run = promisify(execFile);

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json?: any;
}

/** One plain HTTP request, the body read in full. */
export function fetchRaw(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpAnswer> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path: pathname + search, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        let json: unknown;
        // A HEAD answer says what a GET's body would be, and has none.
        if (body.length > 0 && /json/.test(res.headers['content-type'] ?? '')) json = JSON.parse(body.toString('utf8'));
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * One plain HTTP request whose answer may be cut off: the body read until the connection
 * closes, `whole` false when fewer bytes arrived than its Content-Length said.
 */
export function fetchUntilClosed(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer & { whole: boolean }> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest({ host: hostname, port, method: 'GET', path: pathname + search, headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        const body = Buffer.concat(chunks);
        const json = /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(body.toString('utf8')) : undefined;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json, whole: body.length === Number(res.headers['content-length']) });
      };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', finish);
      res.on('error', finish);
      res.on('close', finish);
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.end();
  });
}

export function newBuyer(): Caller {
  return { organizationId: randomUUID(), role: 'buyer', keyId: randomBytes(16).toString('hex') };
}

/** A version's files, as a vendor of a speech corpus uploads them. */
export function speechVersionFiles(seed: string): { path: string; bytes: Buffer }[] {
  return [
    { path: 'audio/zh-CN/普通话_0001.wav', bytes: randomBytes(3 * 1024 * 1024 + 17) },
    { path: 'transcripts/train.jsonl', bytes: Buffer.from(`${JSON.stringify({ audio: 'zh-CN/普通话_0001.wav', text: '请帮我查询一下本月的话费余额。', seed })}\n`) },
    { path: 'README.md', bytes: Buffer.from(`# 客服通话语音语料 / Call-centre Mandarin speech\n\n${seed}\n`) },
  ];
}

/** Uploads the files through real signed upload URLs (the stand-in catalog records them). */
export async function uploadVersion(h: DeliveryHarness, datasetId: string, versionId: string, files: { path: string; bytes: Buffer }[]): Promise<void> {
  const vendor: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: randomBytes(16).toString('hex') };
  for (const file of files) {
    const signed = await h.signUpload({ target: 'version-file', datasetId, versionId, path: file.path }, vendor);
    const answer = await h.put(signed.uploadUrl, file.bytes);
    if (answer.status !== 201) throw new Error(`upload ${file.path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
}

/** A real event, through delivery's own outbox and JetStream, in the harness's namespace. */
export function publish<P extends object>(h: DeliveryHarness, event: EventSubject<P>, payload: P): Promise<string> {
  return h.app.get(UnitOfWork).run((tx) => tx.publish(event, payload));
}

export function release(h: DeliveryHarness, datasetId: string, versionId: string, version: string): Promise<string> {
  return publish(h, CatalogEvents.versionReleased, { datasetId, versionId, version, releasedAt: new Date().toISOString() });
}

export function paidLine(datasetId: string, versionIds: string[], template: LicenseTemplate, over: Partial<PaidOrderLineV1> & { termsChange?: Partial<LicenseTermsValue> } = {}): PaidOrderLineV1 {
  const { termsChange, ...rest } = over;
  const terms = { ...defaultTerms(template), ...termsChange };
  return {
    lineId: randomUUID(),
    offerId: randomUUID(),
    datasetId,
    vendorOrganizationId: randomUUID(),
    licenseTemplate: template,
    terms,
    termsSha256: termsSha256(terms),
    pricing: { model: 'one_time' },
    coversFutureVersions: false,
    versionIds,
    ...rest,
  };
}

export async function pay(h: DeliveryHarness, buyer: Caller, lines: PaidOrderLineV1[]): Promise<OrderPaidV1> {
  const order: OrderPaidV1 = { orderId: randomUUID(), buyerOrganizationId: buyer.organizationId, lines, paidAt: new Date().toISOString() };
  await publish(h, OrderingEvents.orderPaid, order);
  return order;
}

/** A request to delivery over NATS as the gateway sends it for `caller`. */
export function ask<Req, Res>(h: DeliveryHarness, subject: RpcSubject<Req, Res>, request: Req, caller: Caller): Promise<Res> {
  return RequestContext.run({ correlationId: randomUUID(), caller }, () => h.app.get(RpcClient).send(subject, request));
}

/** The whole manifest, its pages put together as the gateway does. */
export async function manifest(h: DeliveryHarness, entitlementId: string, buyer: Caller): Promise<Manifest> {
  let page = await ask(h, DeliverySubjects.getManifest, { id: entitlementId }, buyer);
  const whole = manifestOfFirstPage(page);
  while (page.nextCursor !== null) {
    page = await ask(h, DeliverySubjects.getManifest, { id: entitlementId, cursor: page.nextCursor }, buyer);
    addManifestPage(whole, page);
  }
  return whole;
}

/** The verification script of docs/downloads.md, as a buyer would copy it. */
export function verifyScript(): string {
  const doc = readFileSync(join(__dirname, '../../../docs/downloads.md'), 'utf8');
  const match = /<!-- verify-manifest\.mjs -->\n```js\n([\s\S]*?)\n```/.exec(doc);
  if (!match) throw new Error('docs/downloads.md has no verify-manifest.mjs block');
  return match[1];
}

/** What one connection of a split download got. */
export interface SplitPart {
  /** The byte it asked from (`Range: bytes=<start>-`). */
  start: number;
  status: number;
  /** The problem's code when it was refused. */
  code?: string;
  /** The bytes it kept: from `start` up to where the next connection started (the last: the end). */
  bytes: Buffer;
  /** False when the answer ended before those bytes had all arrived (cut off). */
  whole: boolean;
}

/**
 * A download manager's split of a file of `size` bytes, as `aria2c -x8 -s8` and browser download
 * accelerators do it: `connections` requests at once, the k-th with the open-ended
 * `Range: bytes=<k x size / connections>-` (the rest of the file), sent to `urls[k % urls.length]`;
 * each is read until it reaches where the next one started, and is then closed by the client.
 * From `firstConnection` on when the first ones were opened by the caller (a manager that adds
 * connections once the first one runs).
 *
 * No answer is read before every connection has been answered: which connection's bytes the
 * server sends past where the next one starts must not hang on how soon the next request
 * arrived. Until then each server pushes into the sockets' buffers what the kernel takes (about
 * 3 MiB on loopback), and its hold grows as it does: a part of twice that, or more, is never
 * sent past its end before the next connection is admitted. Each request has a connection of
 * its own, as a download manager's do: a socket kept alive from an earlier answer that was read
 * may have grown its buffers to tens of MiB.
 */
export function splitDownload(urls: string[], size: number, connections = 8, firstConnection = 0): Promise<SplitPart[]> {
  const starts = Array.from({ length: connections }, (_, k) => Math.floor((k * size) / connections));
  const opened = connections - firstConnection;
  const reads: (() => void)[] = [];
  const readOnceAllAnswered = (read: () => void) => {
    reads.push(read);
    if (reads.length === opened) reads.forEach((go) => go());
  };
  return Promise.all(
    // The connections from `firstConnection` on: a caller that opened the first ones itself.
    Array.from({ length: connections - firstConnection }, (_, i) => i + firstConnection).map(
      (k) =>
        new Promise<SplitPart>((resolve, reject) => {
          const start = starts[k];
          const needed = (k + 1 < connections ? starts[k + 1] : size) - start;
          const { hostname, port, pathname, search } = new URL(urls[k % urls.length]);
          const chunks: Buffer[] = [];
          let received = 0;
          let done = false;
          const finish = (part: Omit<SplitPart, 'start'>) => {
            if (done) return;
            done = true;
            resolve({ start, ...part });
          };
          let answered = false;
          const req = httpRequest({ host: hostname, port, method: 'GET', path: pathname + search, headers: { range: `bytes=${start}-` }, agent: false }, (res) => {
            answered = true;
            res.pause();
            readOnceAllAnswered(() => read(res));
          });
          const read = (res: IncomingMessage) => {
            const status = res.statusCode ?? 0;
            res.on('data', (chunk: Buffer) => {
              chunks.push(chunk);
              received += chunk.length;
              if (status === 206 && received >= needed) {
                req.destroy();
                finish({ status, bytes: Buffer.concat(chunks).subarray(0, needed), whole: true });
              }
            });
            const ended = () => {
              const body = Buffer.concat(chunks);
              const code = status === 206 ? undefined : (JSON.parse(body.toString('utf8')) as { code: string }).code;
              finish({ status, ...(code ? { code } : {}), bytes: status === 206 ? body : Buffer.alloc(0), whole: false });
            };
            res.on('end', ended);
            res.on('error', ended);
            res.on('close', ended);
            res.resume();
          };
          req.on('error', (error) => (done || answered ? undefined : reject(error)));
          req.end();
        }),
    ),
  );
}
