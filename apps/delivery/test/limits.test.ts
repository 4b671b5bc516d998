import { DeliverySubjects, type EntitlementView } from '@trove/contracts';
import type { LicenseTermsValue } from '@trove/licensing';
import type { Caller } from '@trove/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { sha256Hex } from '../../../test/support/catalog';
import { DeliveryHarness } from './delivery-harness';
import { holdWindow } from '../src/downloads/downloads.service';
import { ask, fetchRaw, fetchUntilClosed, manifest, newBuyer, paidLine, pay, release, splitDownload, uploadVersion } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

/** A response whose headers arrived; a body that is being served stays unread until `close`. */
interface Opened {
  status: number;
  code?: string;
  /** Goes away, as a client that stops a download. */
  close(): void;
}

/**
 * Reads a download until at least `bytes` have arrived, then goes away as a broken connection
 * does: answers the status, the ETag and the bytes the client actually received.
 */
function cutOff(url: string, bytes: number, headers: Record<string, string> = {}): Promise<{ status: number; etag: string; received: Buffer }> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const req = httpRequest({ host: hostname, port, method: 'GET', path: pathname + search, headers }, (res) => {
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
        if (length >= bytes) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, etag: String(res.headers.etag), received: Buffer.concat(chunks) });
        }
      });
      res.on('end', () => reject(new Error(`the answer ended after ${length} bytes, before ${bytes}`)));
    });
    req.on('error', (error) => (length >= bytes ? undefined : reject(error)));
    req.end();
  });
}

/** Responses still being served, closed after each test whatever it found. */
const running: Opened[] = [];

/** Starts a request and answers once its status is known, reading nothing of a 200 or 206. */
function start(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Opened> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    let closed = false;
    const req = httpRequest({ host: hostname, port, method, path: pathname + search, headers, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 200 || status === 206) {
        res.pause();
        const opened: Opened = {
          status,
          close: () => {
            closed = true;
            req.destroy();
          },
        };
        running.push(opened);
        resolve(opened);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status, code: text ? (JSON.parse(text) as { code: string }).code : undefined, close: () => undefined });
      });
    });
    req.on('error', (error) => (closed ? undefined : reject(error)));
    req.end();
  });
}

/**
 * The license's `downloadLimit` and `seats` with downloads that run at the same time, on one
 * delivery replica or two on the same database: a download counts from the moment it is admitted,
 * not only once its audit row is written when it ends.
 */
describe('download limits and seats while downloads run', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  let replica: { app: NestFastifyApplication; port: number };
  const datasetId = randomUUID();
  const versionId = randomUUID();
  // More than the sockets of both ends buffer: a download that is not read stays running.
  const large = { path: 'audio/zh-CN/长录音_0001.wav', bytes: randomBytes(24 * 1024 * 1024) };
  const small = { path: 'transcripts/train.jsonl', bytes: Buffer.from('{"text":"请帮我查询一下本月的话费余额。"}\n') };
  // A recording whose hold grows a sixteenth of it at a time (4 MiB): a download manager's
  // eighth of it is two windows, more than the kernel's socket buffers take from a connection
  // not yet read, so no connection is sent past where the next one starts before that one is
  // admitted, however late it arrives.
  const meeting = { path: 'audio/zh-CN/会议录音_0001.wav', bytes: randomBytes(64 * 1024 * 1024) };
  let largeKey: string;

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    replica = await h.replica();
    await uploadVersion(h, datasetId, versionId, [large, small, meeting]);
    await release(h, datasetId, versionId, '1.0.0');
    largeKey = (await h.rows(datasetId)).find((row) => row.path === large.path)!.key;
  });
  afterEach(() => running.splice(0).forEach((opened) => opened.close()));
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  /** An entitlement under `terms` and the signed URLs of its files for `buyer`. */
  async function bought(buyer: Caller, terms: Partial<LicenseTermsValue>): Promise<{ entitlement: EntitlementView; urls: Record<string, string> }> {
    const order = await pay(h, buyer, [paidLine(datasetId, [versionId], 'commercial', { termsChange: terms })]);
    const entitlement = await waitFor('the entitlement', async () =>
      (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId),
    );
    return { entitlement, urls: await urlsOf(entitlement.id, buyer) };
  }

  async function urlsOf(entitlementId: string, caller: Caller): Promise<Record<string, string>> {
    const files = (await manifest(h, entitlementId, caller)).versions[0].files;
    return Object.fromEntries(files.map((f) => [f.path, f.url]));
  }

  /** The same signed URL, sent to the other replica. */
  const viaReplica = (url: string) => url.replace(`127.0.0.1:${h.port}/`, `127.0.0.1:${replica.port}/`);

  /** The audit rows of the entitlement, once there are `count` of them. */
  const recorded = (entitlementId: string, count: number) =>
    waitFor(`${count} downloads recorded`, () =>
      withDatabase(h.db.url, async (c) => {
        const rows = (await c.query(`SELECT key_id, path, range_start::int FROM download WHERE entitlement_id = $1 ORDER BY finished_at`, [entitlementId])).rows as {
          key_id: string;
          path: string;
          range_start: number;
        }[];
        return rows.length === count ? rows : undefined;
      }),
    );

  const holdsOf = (entitlementId: string) =>
    withDatabase(h.db.url, async (c) => (await c.query(`SELECT key_id, new_download, bytes::int FROM download_hold WHERE entitlement_id = $1`, [entitlementId])).rows);

  const heldBy = (entitlementId: string, hold: { keyId: string; newDownload: boolean; expiresIn: string }) =>
    withDatabase(h.db.url, (c) =>
      c.query(
        `INSERT INTO download_hold (id, entitlement_id, key_id, object_key, new_download, bytes, expires_at) VALUES ($1, $2, $3, $4, $5, 0, now() + $6::interval)`,
        [randomUUID(), entitlementId, hold.keyId, largeKey, hold.newDownload, hold.expiresIn],
      ),
    );

  it.each([
    ['one replica', (url: string) => [url, url]],
    ['two replicas', (url: string) => [url, viaReplica(url)]],
  ])('serves one of two new downloads started together under downloadLimit 1 (%s), and refuses the other with DOWNLOAD_LIMIT_REACHED', async (_name, targets) => {
    const buyer = newBuyer();
    const { entitlement, urls } = await bought(buyer, { downloadLimit: 1, seats: null });
    // Both started before either body is read.
    const answers = await Promise.all(targets(urls[large.path]).map((url) => start(url)));
    expect(answers.map((a) => ({ status: a.status, code: a.code })).sort((a, b) => a.status - b.status)).toEqual([
      { status: 200, code: undefined },
      { status: 403, code: 'DOWNLOAD_LIMIT_REACHED' },
    ]);
    // It holds one download of the file, and of its bytes those the sockets took and a window
    // more at most (the client reads nothing), not the whole file.
    const window = holdWindow(large.bytes.length);
    const [held] = await holdsOf(entitlement.id);
    expect(held).toEqual({ key_id: buyer.keyId, new_download: true, bytes: expect.any(Number) });
    expect({ windows: held.bytes % window, some: held.bytes >= window, all: held.bytes >= large.bytes.length }).toEqual({ windows: 0, some: true, all: false });
    // While it runs, a third new download is refused, a range from the middle is served.
    expect((await fetchRaw(viaReplica(urls[large.path]), { range: 'bytes=0-99' })).json?.code).toBe('DOWNLOAD_LIMIT_REACHED');
    expect((await fetchRaw(urls[large.path], { range: 'bytes=100-199' })).status).toBe(206);

    for (const answer of answers) answer.close();
    const rows = await recorded(entitlement.id, 2);
    expect(rows.filter((row) => row.range_start === 0)).toHaveLength(1);
    expect(await holdsOf(entitlement.id)).toEqual([]);
    // The download ended (cut off): its audit row counts it from now on, and a resume is served.
    expect((await fetchRaw(urls[large.path], { range: 'bytes=0-' })).json?.code).toBe('DOWNLOAD_LIMIT_REACHED');
    expect((await fetchRaw(viaReplica(urls[large.path]), { range: 'bytes=1048576-1048675' })).status).toBe(206);
    // The limit is per file: the other file's first download is served.
    expect((await fetchRaw(urls[small.path])).status).toBe(200);
  });

  describe('the bytes of a file under downloadLimit: ranges deliver no more than that many copies', () => {
    const size = large.bytes.length;
    // A tenth of the file, for resumes after a broken connection.
    const margin = Math.floor(size / 10);
    /** The bytes of the file the entitlement's audit counts, once `count` downloads are recorded. */
    const sent = async (entitlementId: string, count: number) => {
      await recorded(entitlementId, count);
      return withDatabase(h.db.url, async (c) => Number((await c.query(`SELECT sum(bytes_sent) AS n FROM download WHERE entitlement_id = $1`, [entitlementId])).rows[0].n));
    };

    it('refuses the probe-then-rest bypass (bytes=0-0, then bytes=1- again and again) once one copy and the margin are delivered, on either replica', async () => {
      const { entitlement, urls } = await bought(newBuyer(), { downloadLimit: 1, seats: null });
      const url = urls[large.path];
      const probe = await fetchRaw(url, { range: 'bytes=0-0' });
      expect({ status: probe.status, range: probe.headers['content-range'] }).toEqual({ status: 206, range: `bytes 0-0/${size}` });
      const rest = await fetchRaw(viaReplica(url), { range: 'bytes=1-' });
      expect({ status: rest.status, whole: Buffer.concat([probe.body, rest.body]).equals(large.bytes) }).toEqual({ status: 206, whole: true });

      // A second copy does not fit in the margin: refused before a byte, rather than served until
      // the margin runs out and cut there. The margin itself is served as a Range of that much.
      const second = await fetchRaw(url, { range: 'bytes=1-' });
      expect({ status: second.status, code: second.json?.code }).toEqual({ status: 403, code: 'DOWNLOAD_LIMIT_REACHED' });
      expect(second.json.detail).toContain(`${margin} bytes of the file remain and this request asks for ${size - 1}. Ask for a Range of at most ${margin} bytes`);
      const marginRange = await fetchUntilClosed(url, { range: `bytes=1-${margin}` });
      expect({ status: marginRange.status, whole: marginRange.whole, bytes: marginRange.body.equals(large.bytes.subarray(1, 1 + margin)) }).toEqual({
        status: 206,
        whole: true,
        bytes: true,
      });
      expect(await sent(entitlement.id, 3)).toBe(size + margin);
      // Its resume, and any other range, from either replica: refused before a byte is sent.
      for (const [again, range] of [
        [url, `bytes=${1 + margin}-`],
        [viaReplica(url), 'bytes=1-'],
        [url, 'bytes=5000000-5000000'],
      ]) {
        const refused = await fetchRaw(again, { range });
        expect({ status: refused.status, code: refused.json?.code, bytes: refused.headers['content-range'] }).toEqual({ status: 403, code: 'DOWNLOAD_LIMIT_REACHED', bytes: undefined });
        expect(refused.json.detail).toContain('0 bytes of the file remain');
      }
      expect(await holdsOf(entitlement.id)).toEqual([]);
      // HEAD answers what the GET it describes would get (RFC 9110), holding nothing: a client
      // that asks HEAD first is not told 206 for a GET the limit refuses. The other file has
      // copies of its own.
      for (const range of ['bytes=1-', 'bytes=0-0', undefined]) {
        const head = await fetchRaw(url, range ? { range } : {}, 'HEAD');
        expect({ range, status: head.status, type: head.headers['content-type'] }).toEqual({ range, status: 403, type: expect.stringMatching(/^application\/problem\+json/) });
      }
      expect(await holdsOf(entitlement.id)).toEqual([]);
      expect((await fetchRaw(urls[small.path], {}, 'HEAD')).status).toBe(200);
      expect((await fetchRaw(urls[small.path])).status).toBe(200);
    });

    it('refuses at once a request whose first window does not fit in what remains, saying how much does, and serves a Range of that much', async () => {
      const { entitlement, urls } = await bought(newBuyer(), { downloadLimit: 1, seats: null });
      const url = urls[large.path];
      // One copy in two ranges, then all of the margin but 1,000 bytes.
      expect((await fetchRaw(url, { range: `bytes=0-${size / 2 - 1}` })).status).toBe(206);
      expect((await fetchRaw(viaReplica(url), { range: `bytes=${size / 2}-` })).status).toBe(206);
      expect((await fetchRaw(url, { range: `bytes=1-${margin - 1000}` })).status).toBe(206);
      const refused = await fetchRaw(viaReplica(url), { range: 'bytes=1-' });
      expect({ status: refused.status, code: refused.json?.code }).toEqual({ status: 403, code: 'DOWNLOAD_LIMIT_REACHED' });
      expect(refused.json.detail).toContain(`1000 bytes of the file remain and this request asks for ${size - 1}. Ask for a Range of at most 1000 bytes`);
      const fits = await fetchRaw(url, { range: 'bytes=1-1000' });
      expect({ status: fits.status, bytes: fits.body.equals(large.bytes.subarray(1, 1001)) }).toEqual({ status: 206, bytes: true });
      expect(await sent(entitlement.id, 4)).toBe(size + margin);
      expect((await fetchRaw(url, { range: 'bytes=1-1' })).json?.code).toBe('DOWNLOAD_LIMIT_REACHED');
    });

    it('serves a download manager the file in 8 parallel ranges across both replicas (one copy), and only the margin after', async () => {
      const { entitlement, urls } = await bought(newBuyer(), { downloadLimit: 1, seats: null });
      const part = Math.ceil(size / 8);
      const ranges = Array.from({ length: 8 }, (_, i) => `bytes=${i * part}-${Math.min(size, (i + 1) * part) - 1}`);
      const answers = await Promise.all(ranges.map((range, i) => fetchRaw(i % 2 ? viaReplica(urls[large.path]) : urls[large.path], { range })));
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(206));
      expect(Buffer.concat(answers.map((a) => a.body)).equals(large.bytes)).toBe(true);
      expect(await sent(entitlement.id, 8)).toBe(size);
      // A ninth range of half the file does not fit in the margin and is refused up front; a range
      // of the margin is served whole; a tenth gets nothing.
      expect((await fetchRaw(urls[large.path], { range: `bytes=${part}-${5 * part - 1}` })).json?.code).toBe('DOWNLOAD_LIMIT_REACHED');
      const ninth = await fetchUntilClosed(urls[large.path], { range: `bytes=${part}-${part + margin - 1}` });
      expect({ status: ninth.status, whole: ninth.whole, received: ninth.body.length }).toEqual({ status: 206, whole: true, received: margin });
      expect((await fetchRaw(viaReplica(urls[large.path]), { range: `bytes=${part}-${2 * part - 1}` })).json?.code).toBe('DOWNLOAD_LIMIT_REACHED');
      expect(await sent(entitlement.id, 9)).toBe(size + margin);
    });

    it('serves the resume of a broken download (Range from the bytes the client saved, If-Range), though the server counted more than that', async () => {
      const { entitlement, urls } = await bought(newBuyer(), { downloadLimit: 1, seats: null });
      const broken = await cutOff(urls[large.path], 8 * 1024 * 1024);
      expect(broken.status).toBe(200);
      const counted = await sent(entitlement.id, 1);
      expect(counted).toBeGreaterThanOrEqual(broken.received.length);
      // The client had saved 1 MiB less than it received when it broke: it resumes from there.
      const saved = broken.received.subarray(0, broken.received.length - 1024 * 1024);
      const resumed = await fetchRaw(viaReplica(urls[large.path]), { range: `bytes=${saved.length}-`, 'if-range': broken.etag });
      expect(resumed.status).toBe(206);
      expect(Buffer.concat([saved, resumed.body]).equals(large.bytes)).toBe(true);
      expect(await sent(entitlement.id, 2)).toBe(counted + size - saved.length);
    });

    it('serves one of four rests of the file sent to both replicas at once whole, and refuses the others before a byte: one copy and the margin hold one rest, never parts of four', async () => {
      const { entitlement, urls } = await bought(newBuyer(), { downloadLimit: 1, seats: null });
      const url = urls[large.path];
      expect((await fetchRaw(url, { range: 'bytes=0-0' })).status).toBe(206);
      await recorded(entitlement.id, 1);
      // While they run, what the holds of the file add up to, read again and again.
      const heldSums: number[] = [];
      let running = true;
      const watching = (async () => {
        while (running) {
          const rows = (await holdsOf(entitlement.id)) as { bytes: number }[];
          heldSums.push(rows.reduce((sum, row) => sum + row.bytes, 0));
        }
      })();
      const rests = await Promise.all([url, viaReplica(url), url, viaReplica(url)].map((u) => fetchUntilClosed(u, { range: 'bytes=1-' })));
      running = false;
      await watching;
      // The first admitted claims the rest of the file, all it may send; the others no longer fit
      // beside it and are refused before a byte, rather than admitted together and each cut off
      // where the file's bytes ran out.
      const served = rests.filter((r) => r.status === 206);
      const refused = rests.filter((r) => r.status !== 206);
      expect(served.map((r) => ({ whole: r.whole, bytes: r.body.equals(large.bytes.subarray(1)) }))).toEqual([{ whole: true, bytes: true }]);
      expect(refused.map((r) => ({ status: r.status, code: r.json?.code }))).toEqual(Array(3).fill({ status: 403, code: 'DOWNLOAD_LIMIT_REACHED' }));
      expect(Math.max(...heldSums)).toBeLessThanOrEqual(size + margin - 1);
      expect(await sent(entitlement.id, 2)).toBe(size);
      expect(await holdsOf(entitlement.id)).toEqual([]);
    });

    it('serves a download manager that adds its other 7 connections while the first, a plain GET, is running, under downloadLimit 1: each earlier connection stops where the next starts', async () => {
      const { entitlement, urls } = await bought(newBuyer(), { downloadLimit: 1, seats: null });
      const url = urls[meeting.path];
      const bytes = meeting.bytes.length;
      const nextStart = Math.floor(bytes / 8);
      // The first connection asks for the whole file and is read only once the others run.
      const first = await new Promise<{ status: number; read: () => Promise<Buffer> }>((resolve, reject) => {
        const { hostname, port, pathname, search } = new URL(url);
        const req = httpRequest({ host: hostname, port, method: 'GET', path: pathname + search, agent: false }, (res) => {
          res.pause();
          const read = () =>
            new Promise<Buffer>((done) => {
              const chunks: Buffer[] = [];
              let received = 0;
              res.on('data', (chunk: Buffer) => {
                chunks.push(chunk);
                received += chunk.length;
                if (received >= nextStart) {
                  req.destroy();
                  done(Buffer.concat(chunks).subarray(0, nextStart));
                }
              });
              res.on('close', () => done(Buffer.concat(chunks)));
              res.resume();
            });
          resolve({ status: res.statusCode ?? 0, read });
        });
        req.on('error', reject);
        req.end();
      });
      expect(first.status).toBe(200);
      // Admitted on the whole file, it claimed every byte of the one copy: the next connections
      // fit only because it stops where they start.
      const rest = await splitDownload([viaReplica(url), url], bytes, 8, 1);
      expect(rest.map((p) => ({ status: p.status, whole: p.whole }))).toEqual(Array(7).fill({ status: 206, whole: true }));
      const head = await first.read();
      expect(Buffer.concat([head, ...rest.map((p) => p.bytes)]).equals(meeting.bytes)).toBe(true);
      const delivered = await sent(entitlement.id, 8);
      expect(delivered).toBeGreaterThanOrEqual(bytes);
      expect(delivered).toBeLessThan(bytes + holdWindow(bytes));
      expect(await holdsOf(entitlement.id)).toEqual([]);
    });

    it("serves a download manager's split of the file (8 connections each asking for the rest of the file, each closed where the next one started) under downloadLimit 1, across both replicas, and nothing more after", async () => {
      const { entitlement, urls } = await bought(newBuyer(), { downloadLimit: 1, seats: null });
      const url = urls[meeting.path];
      const bytes = meeting.bytes.length;
      const parts = await splitDownload([url, viaReplica(url)], bytes);
      expect(parts.map((p) => ({ status: p.status, whole: p.whole }))).toEqual(Array(8).fill({ status: 206, whole: true }));
      expect(Buffer.concat(parts.map((p) => p.bytes)).equals(meeting.bytes)).toBe(true);
      // The bytes sent add up to one copy, less than a window more: each connection stopped where
      // the next one started.
      const delivered = await sent(entitlement.id, 8);
      expect(delivered).toBeGreaterThanOrEqual(bytes);
      expect(delivered).toBeLessThan(bytes + holdWindow(bytes));
      expect(await holdsOf(entitlement.id)).toEqual([]);
      // The file was downloaded once (from byte 0): a further download is refused.
      const again = await fetchRaw(viaReplica(url));
      expect({ status: again.status, code: again.json?.code }).toEqual({ status: 403, code: 'DOWNLOAD_LIMIT_REACHED' });
      // Its sync checking that copy is told it holds the file: 304, no bytes, nothing held or counted.
      const check = await fetchRaw(url, { 'if-none-match': `"${sha256Hex(meeting.bytes)}"` });
      expect({ status: check.status, bytes: check.body.length }).toEqual({ status: 304, bytes: 0 });
      const downloads = await withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM download WHERE entitlement_id = $1`, [entitlement.id])).rowCount);
      expect(downloads).toBe(8);
      expect(await holdsOf(entitlement.id)).toEqual([]);
    });
  });

  it('refuses a second API key of the organization under seats 1 while the first one is downloading, on either replica, and after', async () => {
    const first = newBuyer();
    const second: Caller = { ...first, keyId: randomBytes(16).toString('hex') };
    const { entitlement, urls } = await bought(first, { seats: 1, downloadLimit: null });
    // Nobody has downloaded yet: either key may read the manifest.
    const secondUrls = await urlsOf(entitlement.id, second);

    const download = await start(urls[large.path]);
    expect(download.status).toBe(200);
    for (const url of [secondUrls[small.path], viaReplica(secondUrls[large.path])]) {
      const refused = await fetchRaw(url);
      expect({ status: refused.status, code: refused.json?.code }).toEqual({ status: 403, code: 'SEATS_EXCEEDED' });
    }
    expect((await start(secondUrls[small.path], {}, 'HEAD')).status).toBe(403);
    await expect(manifest(h, entitlement.id, second)).rejects.toMatchObject({ code: 'SEATS_EXCEEDED' });
    expect(await holdsOf(entitlement.id)).toEqual([{ key_id: first.keyId, new_download: true, bytes: 0 }]);
    // The key that holds the seat downloads in parallel as it likes.
    expect((await fetchRaw(viaReplica(urls[small.path]))).status).toBe(200);

    download.close();
    await recorded(entitlement.id, 2);
    expect(await holdsOf(entitlement.id)).toEqual([]);
    // The first key's downloads took the seat: it resumes and downloads again, the second key is still refused.
    expect((await fetchRaw(urls[large.path], { range: 'bytes=1048576-' })).status).toBe(206);
    expect((await fetchRaw(viaReplica(urls[small.path]))).status).toBe(200);
    expect((await fetchRaw(secondUrls[small.path])).json?.code).toBe('SEATS_EXCEEDED');
    await expect(manifest(h, entitlement.id, second)).rejects.toMatchObject({ code: 'SEATS_EXCEEDED' });
  });

  it('does not count the hold of a process that died mid-download once it has expired, and counts one still renewed', async () => {
    const buyer = newBuyer();
    const colleague: Caller = { ...buyer, keyId: randomBytes(16).toString('hex') };
    const { entitlement, urls } = await bought(buyer, { seats: 1, downloadLimit: 1 });

    // A process died while the colleague's key was downloading the large file from its first byte.
    await heldBy(entitlement.id, { keyId: colleague.keyId, newDownload: true, expiresIn: '-1 second' });
    expect((await fetchRaw(urls[large.path], { range: 'bytes=0-99' })).status).toBe(206);
    await recorded(entitlement.id, 1);

    // Held by a process still renewing it: the colleague's key takes the one seat.
    const other = newBuyer();
    const { entitlement: second, urls: secondUrls } = await bought(other, { seats: 1, downloadLimit: 1 });
    await heldBy(second.id, { keyId: randomBytes(16).toString('hex'), newDownload: false, expiresIn: '1 minute' });
    expect((await fetchRaw(viaReplica(secondUrls[small.path]))).json?.code).toBe('SEATS_EXCEEDED');
    await expect(manifest(h, second.id, other)).rejects.toMatchObject({ code: 'SEATS_EXCEEDED' });

    // Held by a process still renewing it: the one download of the large file is running.
    const third = newBuyer();
    const { entitlement: limited, urls: limitedUrls } = await bought(third, { seats: null, downloadLimit: 1 });
    await heldBy(limited.id, { keyId: third.keyId, newDownload: true, expiresIn: '1 minute' });
    expect((await fetchRaw(limitedUrls[large.path])).json?.code).toBe('DOWNLOAD_LIMIT_REACHED');
    expect((await fetchRaw(limitedUrls[large.path], { range: 'bytes=5-9' })).status).toBe(206);
  });
});
