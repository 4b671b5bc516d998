import { BillingEvents, CatalogEvents, DeliverySubjects, GatewayEvents, OrderingEvents, type EntitlementView, type Manifest, type OrderPaidV1, type PaidOrderLineV1 } from '@trove/contracts';
import { Logger } from '@nestjs/common';
import { licenseEndsAt } from '@trove/licensing';
import { UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { downloadGrant, downloadUrl } from '../src/downloads/download-ticket';
import { EntitlementRepository } from '../src/entitlements/entitlement.repository';
import { UrlSigner } from '../src/signing/url-signer';
import { DeliveryHarness } from './delivery-harness';
import { ask, fetchRaw, fetchUntilClosed, manifest, newBuyer, paidLine, pay, publish, release, run, speechVersionFiles, splitDownload, uploadVersion, verifyScript, type HttpAnswer } from './downloads-support';
import { STORAGE_DRIVERS, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

function expectRefused(answer: HttpAnswer, code: string): void {
  expect({ status: answer.status, code: answer.json?.code, type: answer.headers['content-type'] }).toEqual({ status: 403, code, type: expect.stringMatching(/^application\/problem\+json/) });
  expect(answer.body.toString('utf8')).not.toContain('普通话');
}

/** One character of the URL changed, somewhere that matters. */
function tamper(url: string, part: 'sig' | 'path' | 'expires'): string {
  const u = new URL(url);
  if (part === 'sig') {
    const sig = u.searchParams.get('sig')!;
    u.searchParams.set('sig', sig.slice(0, 5) + (sig[5] === 'A' ? 'B' : 'A') + sig.slice(6));
  } else if (part === 'path') {
    u.pathname = u.pathname.replace('train.jsonl', 'train.jsonm');
  } else {
    u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 1));
  }
  return u.toString();
}

/** The URL with its expiry written with `zeros` leading zeros: the number signed, but not the text. */
function padExpiry(url: string, zeros: number): string {
  const u = new URL(url);
  u.searchParams.set('expires', '0'.repeat(zeros) + u.searchParams.get('expires')!);
  return u.toString();
}

describe.each(STORAGE_DRIVERS)('entitlements and downloads with %s', (_name, startStorage) => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const datasetId = randomUUID();
  const v1 = randomUUID();
  const v2 = randomUUID();
  const filesV1 = speechVersionFiles('v1');
  const oneTimeBuyer = newBuyer();
  const subscriber = newBuyer();
  const otherBuyer = newBuyer();

  const entitlementOf = (buyer: Caller, orderId: string) =>
    waitFor(`entitlement of order ${orderId}`, async () => {
      const { items } = await ask(h, DeliverySubjects.listEntitlements, {}, buyer);
      return items.find((item: EntitlementView) => item.orderId === orderId);
    });

  let oneTime: EntitlementView;
  let subscription: EntitlementView;
  let oneTimeOrderId: string;
  let m: Manifest;

  beforeAll(async () => {
    storage = await startStorage();
    h = await DeliveryHarness.start(storage);
    await uploadVersion(h, datasetId, v1, filesV1);
    await release(h, datasetId, v1, '1.0.0');
    const order = await pay(h, oneTimeBuyer, [paidLine(datasetId, [v1], 'commercial')]);
    oneTimeOrderId = order.orderId;
    const sub = await pay(h, subscriber, [paidLine(datasetId, [v1], 'research', { coversFutureVersions: true, pricing: { model: 'subscription', period: 'month' } })]);
    oneTime = await entitlementOf(oneTimeBuyer, order.orderId);
    subscription = await entitlementOf(subscriber, sub.orderId);
    m = await manifest(h, oneTime.id, oneTimeBuyer);
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  it('grants an active entitlement per paid line and tells ordering, with the versions the offer covered', async () => {
    expect(oneTime).toEqual({ id: expect.any(String), datasetId, orderId: oneTimeOrderId, versionIds: [v1], status: 'active', startsAt: expect.any(String), expiresAt: null, allowance: null });
    expect(subscription).toMatchObject({ status: 'active', versionIds: [v1], expiresAt: expect.any(String) });
    const granted = await withDatabase(h.db.url, async (c) => (await c.query(`SELECT payload FROM outbox WHERE subject = $1`, ['evt.delivery.entitlement.granted.v1'])).rows);
    expect(granted.map((r: { payload: unknown }) => r.payload)).toContainEqual({ orderId: oneTimeOrderId, entitlementIds: [oneTime.id] });
  });

  it('grants each paid line once, with its versions once each, and a subscription paid before a release its snapshot missed covers that version too', async () => {
    const otherDataset = randomUUID();
    const snapshotVersion = randomUUID();
    const missedVersion = randomUUID();
    await release(h, otherDataset, missedVersion, '2.0.0');
    await waitFor('the release recorded', () => withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM released_version WHERE version_id = $1`, [missedVersion])).rowCount === 1));
    const buyer = newBuyer();
    const oneTimeLine = paidLine(otherDataset, [snapshotVersion, snapshotVersion], 'commercial');
    const subscriptionLine = paidLine(otherDataset, [snapshotVersion], 'research', { coversFutureVersions: true, pricing: { model: 'subscription', period: 'month' } });
    // Paid a minute before the release: the order's snapshot did not have the new version.
    const order: OrderPaidV1 = { orderId: randomUUID(), buyerOrganizationId: buyer.organizationId, lines: [oneTimeLine, subscriptionLine], paidAt: new Date(Date.now() - 60_000).toISOString() };
    await publish(h, OrderingEvents.orderPaid, order);
    const items = await waitFor('both entitlements', async () => {
      const listed = (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.filter((item: EntitlementView) => item.orderId === order.orderId);
      return listed.length === 2 ? listed : undefined;
    });
    const byVersions = items.map((item: EntitlementView) => [...item.versionIds].sort());
    expect(byVersions).toEqual(expect.arrayContaining([[snapshotVersion], [snapshotVersion, missedVersion].sort()]));
    const granted = await withDatabase(h.db.url, async (c) => (await c.query(`SELECT payload FROM outbox WHERE subject = $1 AND payload->>'orderId' = $2`, ['evt.delivery.entitlement.granted.v1', order.orderId])).rows);
    expect(granted.map((r: { payload: { entitlementIds: string[] } }) => [...r.payload.entitlementIds].sort())).toEqual([items.map((item: EntitlementView) => item.id).sort()]);

    // The same line again (a redelivered payment) grants nothing and covers no further version.
    const again = await h.app.get(UnitOfWork).run(() =>
      h.app.get(EntitlementRepository).insert({
        id: randomUUID(),
        orderId: order.orderId,
        lineId: oneTimeLine.lineId,
        buyerOrganizationId: buyer.organizationId,
        datasetId: otherDataset,
        offerId: oneTimeLine.offerId,
        licenseTemplate: oneTimeLine.licenseTemplate,
        terms: oneTimeLine.terms,
        termsSha256: oneTimeLine.termsSha256,
        pricing: oneTimeLine.pricing,
        coversFutureVersions: false,
        grantedAt: new Date(),
        expiresAt: null,
        versionIds: [missedVersion],
      }),
    );
    expect(again).toBe(false);
    const rows = await withDatabase(h.db.url, async (c) =>
      (await c.query(`SELECT e.line_id, ev.version_id FROM entitlement e JOIN entitlement_version ev ON ev.entitlement_id = e.id WHERE e.order_id = $1 ORDER BY e.line_id, ev.version_id`, [order.orderId])).rows,
    );
    expect(rows).toEqual(
      [
        { line_id: oneTimeLine.lineId, version_id: snapshotVersion },
        { line_id: subscriptionLine.lineId, version_id: snapshotVersion },
        { line_id: subscriptionLine.lineId, version_id: missedVersion },
      ].sort((a, b) => (a.line_id === b.line_id ? a.version_id.localeCompare(b.version_id) : a.line_id.localeCompare(b.line_id))),
    );
  });

  it('covers, for a subscription, a version released after the order was placed and before it was paid, whichever event comes first', async () => {
    // The order's snapshot held 1.0.0; 1.1.0 was released while the order waited for its payment
    // (a bank transfer takes days), and its release reached delivery before the payment did. The
    // subscription covered only what was released from the payment on: 1.1.0 was lost for good.
    const dataset = randomUUID();
    const [snapshot, meanwhile, older] = [randomUUID(), randomUUID(), randomUUID()];
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    await publish(h, CatalogEvents.versionReleased, { datasetId: dataset, versionId: older, version: '0.9.0', releasedAt: at(90) });
    await publish(h, CatalogEvents.versionReleased, { datasetId: dataset, versionId: snapshot, version: '1.0.0', releasedAt: at(60) });
    await publish(h, CatalogEvents.versionReleased, { datasetId: dataset, versionId: meanwhile, version: '1.1.0', releasedAt: at(30) });
    await waitFor('the releases recorded', () => withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM released_version WHERE dataset_id = $1`, [dataset])).rowCount === 3));

    const buyer = newBuyer();
    // A one-time license that chose its versions gets what it bought; the subscription gets every
    // release since its snapshot, and not the one before it that the vendor left out of the offer.
    const oneTime = paidLine(dataset, [snapshot], 'commercial');
    const monthly = paidLine(dataset, [snapshot], 'research', { coversFutureVersions: true, pricing: { model: 'subscription', period: 'month' } });
    const order: OrderPaidV1 = { orderId: randomUUID(), buyerOrganizationId: buyer.organizationId, lines: [oneTime, monthly], paidAt: new Date().toISOString() };
    await publish(h, OrderingEvents.orderPaid, order);
    await waitFor('both entitlements', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.filter((item: EntitlementView) => item.orderId === order.orderId).length === 2);
    const versionsOf = (line: PaidOrderLineV1) =>
      withDatabase(h.db.url, async (c) =>
        (await c.query(`SELECT ev.version_id FROM entitlement e JOIN entitlement_version ev ON ev.entitlement_id = e.id WHERE e.line_id = $1 ORDER BY 1`, [line.lineId])).rows.map((r: { version_id: string }) => r.version_id),
      );
    expect([await versionsOf(oneTime), await versionsOf(monthly)]).toEqual([[snapshot], [snapshot, meanwhile].sort()]);
  });

  it('lists every file with its size, SHA-256 and a signed URL that lasts hours, and a root the documented script verifies', async () => {
    expect(m.datasetId).toBe(datasetId);
    const [version] = m.versions;
    expect(version).toMatchObject({ id: v1, version: '1.0.0' });
    expect(version.files.map((f) => f.path)).toEqual(['README.md', 'audio/zh-CN/普通话_0001.wav', 'transcripts/train.jsonl']);
    for (const file of version.files) {
      const original = filesV1.find((f) => f.path === file.path)!;
      expect({ size: file.size, sha256: file.sha256 }).toEqual({ size: original.bytes.length, sha256: sha256(original.bytes) });
      expect(Date.parse(file.expiresAt) - Date.now()).toBeGreaterThan(5 * 3600 * 1000);
    }

    // Download every file in full and check it, then run the script from the docs on them.
    const dir = await mkdtemp(join(tmpdir(), 'trove-download-'));
    try {
      for (const file of version.files) {
        const answer = await fetchRaw(file.url);
        expect(answer.status).toBe(200);
        expect(answer.headers).toMatchObject({ 'accept-ranges': 'bytes', etag: `"${file.sha256}"`, 'content-length': String(file.size) });
        expect(sha256(answer.body)).toBe(file.sha256);
        await mkdir(dirname(join(dir, file.path)), { recursive: true });
        await writeFile(join(dir, file.path), answer.body);
      }
      await writeFile(join(dir, 'verify-manifest.mjs'), verifyScript());
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
      const verified = await run('node', [join(dir, 'verify-manifest.mjs'), join(dir, 'manifest.json'), v1, dir, version.rootSignature.publicKey]);
      expect(verified.stdout.trim()).toBe(`OK ${version.root}`);

      // One byte changed in one file: the script says so and fails.
      const readme = join(dir, 'README.md');
      const bytes = await readFile(readme);
      bytes[0] ^= 1;
      await writeFile(readme, bytes);
      await expect(run('node', [join(dir, 'verify-manifest.mjs'), join(dir, 'manifest.json'), v1, dir])).rejects.toMatchObject({ stderr: expect.stringContaining('MISMATCH README.md') });
      // A root that is not the one signed: the signature check fails.
      bytes[0] ^= 1;
      await writeFile(readme, bytes);
      const forged = { ...m, versions: [{ ...version, root: version.root.replace(/^./, (c) => (c === '0' ? '1' : '0')) }] };
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(forged));
      await expect(run('node', [join(dir, 'verify-manifest.mjs'), join(dir, 'manifest.json'), v1, dir])).rejects.toMatchObject({ stderr: expect.stringContaining('SIGNATURE does not verify') });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('serves ranges: 206 with Content-Range, suffix and open ranges, HEAD without a body, If-Range, and 416 outside the file', async () => {
    const file = m.versions[0].files.find((f) => f.path.endsWith('.wav'))!;
    const original = filesV1.find((f) => f.path === file.path)!.bytes;
    const mid = await fetchRaw(file.url, { range: 'bytes=1048570-2097160' });
    expect(mid.status).toBe(206);
    expect(mid.headers['content-range']).toBe(`bytes 1048570-2097160/${file.size}`);
    expect(mid.body.equals(original.subarray(1048570, 2097161))).toBe(true);

    const tail = await fetchRaw(file.url, { range: 'bytes=-100' });
    expect({ status: tail.status, range: tail.headers['content-range'] }).toEqual({ status: 206, range: `bytes ${file.size - 100}-${file.size - 1}/${file.size}` });
    expect(tail.body.equals(original.subarray(file.size - 100))).toBe(true);

    const open = await fetchRaw(file.url, { range: `bytes=${file.size - 5}-` });
    expect(open.body.equals(original.subarray(file.size - 5))).toBe(true);

    // Eight ranges fetched in parallel put the file together.
    const part = Math.ceil(file.size / 8);
    const parts = await Promise.all([...Array(8).keys()].map((i) => fetchRaw(file.url, { range: `bytes=${i * part}-${Math.min(file.size, (i + 1) * part) - 1}` })));
    expect(sha256(Buffer.concat(parts.map((p) => p.body)))).toBe(file.sha256);

    const head = await fetchRaw(file.url, {}, 'HEAD');
    expect({ status: head.status, length: head.headers['content-length'], etag: head.headers.etag, bytes: head.body.length }).toEqual({
      status: 200,
      length: String(file.size),
      etag: `"${file.sha256}"`,
      bytes: 0,
    });

    // A client that kept the ETag of its copy is told it has the file, with no body; another copy gets the file.
    for (const ifNoneMatch of [`"${file.sha256}"`, `W/"${file.sha256}"`, `"0000", "${file.sha256}"`]) {
      const unchanged = await fetchRaw(file.url, { 'if-none-match': ifNoneMatch, range: 'bytes=0-9' });
      expect({ status: unchanged.status, etag: unchanged.headers.etag, bytes: unchanged.body.length }).toEqual({ status: 304, etag: `"${file.sha256}"`, bytes: 0 });
    }
    const changed = await fetchRaw(file.url, { 'if-none-match': '"0000"' });
    expect({ status: changed.status, bytes: changed.body.length }).toEqual({ status: 200, bytes: file.size });

    const stale = await fetchRaw(file.url, { range: 'bytes=0-9', 'if-range': '"0000"' });
    expect({ status: stale.status, bytes: stale.body.length }).toEqual({ status: 200, bytes: file.size });
    const fresh = await fetchRaw(file.url, { range: 'bytes=0-9', 'if-range': `"${file.sha256}"` });
    expect({ status: fresh.status, bytes: fresh.body.length }).toEqual({ status: 206, bytes: 10 });

    const refused = await fetchRaw(file.url, { range: `bytes=${file.size}-` });
    expect({ status: refused.status, range: refused.headers['content-range'], code: refused.json?.code }).toEqual({
      status: 416,
      range: `bytes */${file.size}`,
      code: 'RANGE_NOT_SATISFIABLE',
    });
  });

  it('reads Range numbers of any length, drops empty list elements and ignores several ranges, as RFC 9110 allows', async () => {
    const file = m.versions[0].files.find((f) => f.path === 'README.md')!;
    const original = filesV1.find((f) => f.path === file.path)!.bytes;
    const beyond = await fetchRaw(file.url, { range: 'bytes=99999999999999999999-' });
    expect({ status: beyond.status, range: beyond.headers['content-range'], code: beyond.json?.code, etag: beyond.headers.etag }).toEqual({
      status: 416,
      range: `bytes */${file.size}`,
      code: 'RANGE_NOT_SATISFIABLE',
      // Every answer of a file URL names the file, as its other headers do.
      etag: `"${file.sha256}"`,
    });
    const asked: [string, number, number][] = [
      ['bytes=0-99999999999999999999999', 0, file.size - 1],
      ['bytes=-99999999999999999999', 0, file.size - 1],
      ['bytes=0-9,', 0, 9],
      ['bytes=, 2-5 ,', 2, 5],
    ];
    for (const [range, start, end] of asked) {
      const answer = await fetchRaw(file.url, { range });
      expect({ range, status: answer.status, contentRange: answer.headers['content-range'], same: answer.body.equals(original.subarray(start, end + 1)) }).toEqual({
        range,
        status: 206,
        contentRange: `bytes ${start}-${end}/${file.size}`,
        same: true,
      });
    }
    // Several ranges are not served as such, nor refused when the file holds them: the Range is
    // ignored, and the answer is the whole file, as to a client that sent none.
    for (const range of ['bytes=0-1,3-4', 'bytes=0-1,,5-9', `bytes=0-1,${file.size}-`]) {
      const whole = await fetchRaw(file.url, { range });
      expect({ range, status: whole.status, contentRange: whole.headers['content-range'], length: whole.headers['content-length'], same: whole.body.equals(original) }).toEqual({
        range,
        status: 200,
        contentRange: undefined,
        length: String(file.size),
        same: true,
      });
    }
  });

  it('answers an If-Match without the file\'s ETag with 412 problem+json and no bytes, before Range, holding and counting nothing', async () => {
    const limited: Caller = { ...newBuyer(), keyId: randomUUID() };
    const order = await pay(h, limited, [paidLine(datasetId, [v1], 'evaluation', { termsChange: { downloadLimit: 1, seats: 1 } })]);
    const entitlement = await entitlementOf(limited, order.orderId);
    const file = (await manifest(h, entitlement.id, limited)).versions[0].files.find((f) => f.path === 'README.md')!;
    const etag = `"${file.sha256}"`;
    const conditions: Record<string, string>[] = [
      { 'if-match': '"nope"' },
      { 'if-match': `W/${etag}` },
      { 'if-match': '"0000", "ffff"', range: 'bytes=0-9' },
      { 'if-match': '"nope"', range: `bytes=${file.size}-` },
    ];
    for (const headers of conditions) {
      const refused = await fetchRaw(file.url, headers);
      expect({ headers, status: refused.status, etag: refused.headers.etag, type: refused.headers['content-type'], code: refused.json?.code }).toEqual({
        headers,
        status: 412,
        etag,
        type: expect.stringMatching(/^application\/problem\+json/),
        code: 'PRECONDITION_FAILED',
      });
      expect(refused.body.toString('utf8')).not.toContain('客服通话');
    }
    // Nothing was held or counted: the one download the license allows is still there, and an
    // If-Match with the ETag (one of a list, or `*`) is served.
    const served = await fetchRaw(file.url, { 'if-match': `"0000", ${etag}` });
    expect({ status: served.status, bytes: served.body.length }).toEqual({ status: 200, bytes: file.size });
    await waitFor('the download recorded', async () => (await withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM download WHERE entitlement_id = $1`, [entitlement.id])).rowCount)) === 1);
    expect((await fetchRaw(file.url, { 'if-match': '*', range: `bytes=${file.size - 3}-` })).status).toBe(206);
    // Past the limit, a failed precondition is still 412: it is answered before any hold.
    expect((await fetchRaw(file.url, { 'if-match': '"nope"' })).status).toBe(412);
    expectRefused(await fetchRaw(file.url, { 'if-match': etag }), 'DOWNLOAD_LIMIT_REACHED');
    await waitFor('the resume recorded', async () => (await withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM download WHERE entitlement_id = $1`, [entitlement.id])).rowCount)) === 2);
  });

  it('answers a listed file whose object is gone from storage with 503 FILE_UNAVAILABLE and Retry-After, GET, HEAD and an empty file alike, holding and counting nothing, telling the operator once per object and counting every one in /metrics', async () => {
    const v = randomUUID();
    const files = [
      { path: 'audio/zh-CN/丢失_0001.wav', bytes: randomBytes(2 * 1024 * 1024 + 5) },
      { path: 'transcripts/dev.jsonl', bytes: Buffer.from(`${JSON.stringify({ text: '您好，这里是客服中心。' })}\n`) },
      { path: 'empty.txt', bytes: Buffer.alloc(0) },
    ];
    await uploadVersion(h, datasetId, v, files);
    const keyOf = async (path: string) => (await h.rows(datasetId)).find((row) => row.version_id === v && row.path === path)!.key;
    const buyer = newBuyer();
    const order = await pay(h, buyer, [paidLine(datasetId, [v], 'evaluation', { termsChange: { downloadLimit: 1, seats: 1 } })]);
    const entitlement = await entitlementOf(buyer, order.orderId);
    const listed = (await manifest(h, entitlement.id, buyer)).versions[0].files;
    const [lost, kept, empty] = files.map((f) => listed.find((l) => l.path === f.path)!);
    const gone = [lost, empty];
    const keys = await Promise.all(gone.map((f) => keyOf(f.path)));
    // What an operator's alert reads: the missing objects answered so far, as /metrics shows them.
    const missingAnswers = async () => {
      const scraped = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
      const sample = scraped.split('\n').find((line) => line.startsWith(`trove_delivery_objects_missing_total{driver="${storage.storage.driver}"} `));
      expect(sample).toMatch(/ \d+$/);
      return Number(sample!.split(' ')[1]);
    };
    const missingBefore = await missingAnswers();
    const logged = jest.spyOn(Logger.prototype, 'error');
    try {
      await Promise.all(keys.map((key) => storage.storage.delete(key)));
      const asked: [typeof lost, string, Record<string, string>][] = [
        [lost, 'GET', {}],
        [lost, 'GET', { range: 'bytes=10-99' }],
        [lost, 'HEAD', {}],
        // An empty file reads no bytes: it is looked up like a HEAD.
        [empty, 'GET', {}],
        [empty, 'HEAD', {}],
      ];
      for (const [file, method, headers] of asked) {
        const answer = await fetchRaw(file.url, headers, method);
        expect({ path: file.path, method, headers, status: answer.status, type: answer.headers['content-type'], retryAfter: answer.headers['retry-after'] }).toEqual({
          path: file.path,
          method,
          headers,
          status: 503,
          type: expect.stringMatching(/^application\/problem\+json/),
          retryAfter: '60',
        });
        if (method === 'GET') expect(answer.json).toMatchObject({ status: 503, code: 'FILE_UNAVAILABLE', detail: expect.stringContaining('Try again later') });
        else expect(answer.body.length).toBe(0);
      }
      // Every refusal is counted, while the operator is told once per object which one to restore,
      // and for whom: the repeats asked within minutes write no more lines.
      expect(await missingAnswers()).toBe(missingBefore + asked.length);
      const told = logged.mock.calls.filter(([about]) => keys.includes((about as { objectKey?: string })?.objectKey ?? ''));
      expect(told.map(([about]) => (about as { objectKey: string }).objectKey)).toEqual(keys);
      expect(told[0]).toEqual([
        expect.objectContaining({ objectKey: keys[0], entitlementId: entitlement.id, versionId: v, path: lost.path, driver: storage.storage.driver, suppressed: 0 }),
        expect.stringContaining('missing from storage'),
      ]);
    } finally {
      logged.mockRestore();
      // Put back as an operator restoring from backup would, also when the checks above failed.
      await Promise.all(gone.map(async (file, i) => storage.storage.put(keys[i], Readable.from([files.find((f) => f.path === file.path)!.bytes]))));
    }
    // Nothing was held and nothing was recorded.
    const counts = async () =>
      withDatabase(h.db.url, async (c) => ({
        holds: (await c.query(`SELECT 1 FROM download_hold WHERE entitlement_id = $1`, [entitlement.id])).rowCount,
        downloads: (await c.query(`SELECT 1 FROM download WHERE entitlement_id = $1`, [entitlement.id])).rowCount,
      }));
    expect(await counts()).toEqual({ holds: 0, downloads: 0 });

    // The version's other file was served all along, with HEAD unchanged.
    const head = await fetchRaw(kept.url, {}, 'HEAD');
    expect({ status: head.status, length: head.headers['content-length'], bytes: head.body.length }).toEqual({ status: 200, length: String(kept.size), bytes: 0 });
    expect(sha256((await fetchRaw(kept.url)).body)).toBe(kept.sha256);
    // Restored, the file is served whole: the one download the license allows was still there.
    const restored = await fetchRaw(lost.url);
    expect({ status: restored.status, same: sha256(restored.body) === lost.sha256 }).toEqual({ status: 200, same: true });
    const emptyAgain = await fetchRaw(empty.url);
    expect({ status: emptyAgain.status, bytes: emptyAgain.body.length }).toEqual({ status: 200, bytes: 0 });
    // An empty file sends nothing and writes no row: the two others do.
    await waitFor('the downloads recorded', async () => (await counts()).downloads === 2);
    // And it was that one: the next copy is refused.
    expectRefused(await fetchRaw(lost.url), 'DOWNLOAD_LIMIT_REACHED');
  });

  it('carries x-correlation-id on every answer of a download URL: the client’s echoed on 200, HEAD, 206, 416 and a refusal, a new one when none or a malformed one is sent', async () => {
    const file = m.versions[0].files.find((f) => f.path === 'transcripts/train.jsonl')!;
    const sent = 'dl-CMB-20261130-0042';
    const answers = {
      whole: await fetchRaw(file.url, { 'x-correlation-id': sent }),
      head: await fetchRaw(file.url, { 'x-correlation-id': sent }, 'HEAD'),
      range: await fetchRaw(file.url, { 'x-correlation-id': sent, range: 'bytes=0-9' }),
      outside: await fetchRaw(file.url, { 'x-correlation-id': sent, range: `bytes=${file.size}-` }),
      tampered: await fetchRaw(tamper(file.url, 'sig'), { 'x-correlation-id': sent }),
    };
    const seen = Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, [answer.status, answer.headers['x-correlation-id']]]));
    expect(seen).toEqual({ whole: [200, sent], head: [200, sent], range: [206, sent], outside: [416, sent], tampered: [403, sent] });
    expect(answers.outside.json.correlationId).toBe(sent);
    expect(answers.whole.body.length).toBe(file.size);

    // Not sent, or not a token the platform accepts (spaces, over 128 characters): a new UUID.
    for (const headers of [{}, { 'x-correlation-id': 'po\t2026\t11' }, { 'x-correlation-id': 'x'.repeat(129) }] as Record<string, string>[]) {
      for (const answer of [await fetchRaw(file.url, headers), await fetchRaw(file.url, { ...headers, range: 'bytes=5-' }), await fetchRaw(file.url, headers, 'HEAD')]) {
        expect(answer.headers['x-correlation-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
    }
  });

  it('lets curl -C - resume an interrupted download to the right bytes', async () => {
    const file = m.versions[0].files.find((f) => f.path.endsWith('.wav'))!;
    const dir = await mkdtemp(join(tmpdir(), 'trove-resume-'));
    try {
      const out = join(dir, 'part.wav');
      // The first 1,234,567 bytes arrived before the connection dropped.
      const first = await fetchRaw(file.url, { range: 'bytes=0-1234566' });
      await writeFile(out, first.body);
      await run('curl', ['-sS', '--fail', '-C', '-', '-o', out, file.url]);
      expect(sha256(await readFile(out))).toBe(file.sha256);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses with 403 problem+json and no bytes: one character changed, an expired URL, another buyer, a file outside the entitlement', async () => {
    const file = m.versions[0].files.find((f) => f.path === 'transcripts/train.jsonl')!;
    expectRefused(await fetchRaw(tamper(file.url, 'sig')), 'URL_INVALID');
    expectRefused(await fetchRaw(tamper(file.url, 'path')), 'URL_INVALID');
    expectRefused(await fetchRaw(tamper(file.url, 'expires')), 'URL_INVALID');
    expectRefused(await fetchRaw(padExpiry(file.url, 1)), 'URL_INVALID');
    expectRefused(await fetchRaw(padExpiry(file.url, 2)), 'URL_INVALID');

    // The same URL as the manifest's, properly signed, but its expiry passed a second ago.
    const signer = h.app.get(UrlSigner);
    const own = { entitlementId: oneTime.id, versionId: v1, path: file.path, caller: { organizationId: oneTimeBuyer.organizationId, keyId: oneTimeBuyer.keyId } };
    const lapsed = { ...own, expires: Math.floor(Date.now() / 1000) - 1 };
    expectRefused(await fetchRaw(downloadUrl(`http://127.0.0.1:${h.port}`, lapsed, signer.sign(downloadGrant(lapsed)))), 'URL_EXPIRED');

    // Another buyer cannot read the manifest, and a URL signed for them on this entitlement is refused.
    await expect(manifest(h, oneTime.id, otherBuyer)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const forOther = { entitlementId: oneTime.id, versionId: v1, path: file.path, caller: { organizationId: otherBuyer.organizationId, keyId: otherBuyer.keyId }, expires: Math.floor(Date.now() / 1000) + 600 };
    expectRefused(await fetchRaw(downloadUrl(`http://127.0.0.1:${h.port}`, forOther, signer.sign(downloadGrant(forOther)))), 'FORBIDDEN');

    // A properly signed URL for a version the one-time entitlement does not cover.
    const outside = { ...forOther, versionId: v2, caller: { organizationId: oneTimeBuyer.organizationId, keyId: oneTimeBuyer.keyId } };
    expectRefused(await fetchRaw(downloadUrl(`http://127.0.0.1:${h.port}`, outside, signer.sign(downloadGrant(outside)))), 'URL_INVALID');
  });

  it('delivers a newly released version to a subscriber without buying again, and not to a one-time buyer', async () => {
    const filesV2 = [...speechVersionFiles('v2').slice(1), { path: 'audio/yue/粤语_0001.wav', bytes: Buffer.from('RIFF....WAVEfmt 粤语样本') }];
    await uploadVersion(h, datasetId, v2, filesV2);
    await release(h, datasetId, v2, '1.1.0');
    await waitFor('v2 delivered to the subscriber', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, subscriber)).items[0].versionIds.includes(v2));
    const subManifest = await manifest(h, subscription.id, subscriber);
    expect(subManifest.versions.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
    const newFile = subManifest.versions[1].files.find((f) => f.path === 'audio/yue/粤语_0001.wav')!;
    expect((await fetchRaw(newFile.url)).body.toString()).toBe('RIFF....WAVEfmt 粤语样本');
    const added = await withDatabase(h.db.url, async (c) => (await c.query(`SELECT payload FROM outbox WHERE subject = 'evt.delivery.entitlement.version-added.v1'`)).rows);
    expect(added.map((r: { payload: { entitlementId: string; versionId: string } }) => [r.payload.entitlementId, r.payload.versionId])).toEqual([[subscription.id, v2]]);

    const diff = await ask(h, DeliverySubjects.diffVersions, { id: subscription.id, from: v1, to: v2 }, subscriber);
    expect({ added: diff.added.map((f) => f.path), removed: diff.removed.map((f) => f.path), changed: diff.changed.map((f) => f.path) }).toEqual({
      added: ['audio/yue/粤语_0001.wav'],
      removed: ['audio/zh-CN/普通话_0001.wav'],
      changed: ['README.md', 'transcripts/train.jsonl'],
    });

    const [again] = (await ask(h, DeliverySubjects.listEntitlements, {}, oneTimeBuyer)).items;
    expect(again.versionIds).toEqual([v1]);
    expect((await manifest(h, oneTime.id, oneTimeBuyer)).versions.map((v) => v.id)).toEqual([v1]);
    await expect(ask(h, DeliverySubjects.diffVersions, { id: oneTime.id, from: v1, to: v2 }, oneTimeBuyer)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('holds the license limits: a second download of a file past downloadLimit, and a key past the seats, are 403', async () => {
    // API keys as the gateway names them (their row ids), since the key's revocation below names it so.
    const limited: Caller = { ...newBuyer(), keyId: randomUUID() };
    const order = await pay(h, limited, [paidLine(datasetId, [v1], 'evaluation', { termsChange: { downloadLimit: 1, seats: 1 } })]);
    const entitlement = await entitlementOf(limited, order.orderId);
    const file = (await manifest(h, entitlement.id, limited)).versions[0].files.find((f) => f.path === 'README.md')!;
    expect((await fetchRaw(file.url)).status).toBe(200);
    // The audit row is written when the response ends.
    await waitFor('the first download recorded', async () => (await withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM download WHERE entitlement_id = $1`, [entitlement.id])).rowCount)) === 1);
    // A resume of the last bytes fits in the margin for resumes (a tenth of the file); the rest
    // of the file again from byte 10, a second copy, does not.
    const size = file.size;
    expect((await fetchRaw(file.url, { range: `bytes=${size - Math.floor(size / 10)}-` })).status).toBe(206);
    expectRefused(await fetchRaw(file.url, { range: 'bytes=10-' }), 'DOWNLOAD_LIMIT_REACHED');
    expectRefused(await fetchRaw(file.url), 'DOWNLOAD_LIMIT_REACHED');
    // Every other way of asking for the file from its first byte is a new download too.
    const spellings: Record<string, string>[] = [
      { range: `bytes=-${size}` },
      { range: `bytes=-${size + 100}` },
      { range: 'bytes=00-' },
      { range: 'bytes= 0 -' },
      { range: 'BYTES=0-' },
      { range: 'bytes=5-2' },
      { range: 'items=0-' },
      { range: 'bytes=1-', 'if-range': '"not-the-etag"' },
    ];
    for (const headers of spellings) {
      const answer = await fetchRaw(file.url, headers);
      expect({ headers, status: answer.status, code: answer.json?.code }).toEqual({ headers, status: 403, code: 'DOWNLOAD_LIMIT_REACHED' });
    }

    const colleague: Caller = { ...limited, keyId: randomUUID() };
    await expect(manifest(h, entitlement.id, colleague)).rejects.toMatchObject({ code: 'SEATS_EXCEEDED' });

    // The buyer revokes the key that took the one seat (it leaked): the seat goes to its new key.
    await publish(h, GatewayEvents.apiKeyRevoked, { keyId: limited.keyId, organizationId: limited.organizationId, revokedAt: new Date().toISOString() });
    await waitFor('the revocation applied', async () => (await withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM revoked_api_key WHERE key_id = $1`, [limited.keyId])).rowCount)) === 1);
    const rotated = (await manifest(h, entitlement.id, colleague)).versions[0].files;
    // The file's downloadLimit is the entitlement's, whatever the key: used up; another file is not.
    expectRefused(await fetchRaw(rotated.find((f) => f.path === 'README.md')!.url), 'DOWNLOAD_LIMIT_REACHED');
    expect((await fetchRaw(rotated.find((f) => f.path === 'transcripts/train.jsonl')!.url)).status).toBe(200);
    // Still one seat, now the new key's: a third key is refused.
    await waitFor('the second download recorded', async () => (await withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM download WHERE entitlement_id = $1 AND key_id = $2`, [entitlement.id, colleague.keyId])).rowCount)) === 1);
    await expect(manifest(h, entitlement.id, { ...limited, keyId: randomUUID() })).rejects.toMatchObject({ code: 'SEATS_EXCEEDED' });
  });

  it('records who downloaded which file and how many bytes were actually sent', async () => {
    const rows = await withDatabase(h.db.url, async (c) =>
      (await c.query(`SELECT organization_id, key_id, path, range_start, bytes_sent, complete FROM download WHERE entitlement_id = $1 AND path = 'transcripts/train.jsonl' AND range_start = 0`, [oneTime.id])).rows,
    );
    const size = filesV1.find((f) => f.path === 'transcripts/train.jsonl')!.bytes.length;
    expect(rows).toContainEqual({ organization_id: oneTimeBuyer.organizationId, key_id: oneTimeBuyer.keyId, path: 'transcripts/train.jsonl', range_start: '0', bytes_sent: String(size), complete: true });
  });

  it('does not cut off a download in progress when its URL expires, and refuses the same URL afterwards', async () => {
    const file = m.versions[0].files.find((f) => f.path.endsWith('.wav'))!;
    const signer = h.app.get(UrlSigner);
    const ticket = { entitlementId: oneTime.id, versionId: v1, path: file.path, caller: { organizationId: oneTimeBuyer.organizationId, keyId: oneTimeBuyer.keyId }, expires: Math.floor(Date.now() / 1000) + 2 };
    const url = downloadUrl(`http://127.0.0.1:${h.port}`, ticket, signer.sign(downloadGrant(ticket)));
    const body = await new Promise<Buffer>((resolve, reject) => {
      const { hostname, port, pathname, search } = new URL(url);
      httpGet({ host: hostname, port, path: pathname + search, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.pause();
        // Read nothing until the URL has expired, then the rest.
        const waitForExpiry = setInterval(() => {
          if (Date.now() <= ticket.expires * 1000 + 200) return;
          clearInterval(waitForExpiry);
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve(Buffer.concat(chunks)));
          res.resume();
        }, 100);
      }).on('error', reject);
    });
    expect(sha256(body)).toBe(file.sha256);
    expectRefused(await fetchRaw(url), 'URL_EXPIRED');
  });

  it('runs a renewal from the end of the term it renews: until then its manifest, diff and URLs are refused as not started, and a file comes under the term that runs', async () => {
    const renewer = newBuyer();
    const terms = { termMonths: 12 };
    const first = await pay(h, renewer, [paidLine(datasetId, [v1], 'research', { termsChange: terms })]);
    const current = await entitlementOf(renewer, first.orderId);
    // Paid now, its term starting when the first one's ends (as ordering dates a renewal).
    const renewal = await pay(h, renewer, [paidLine(datasetId, [v1], 'research', { termsChange: terms, termStartsAt: current.expiresAt! })]);
    const next = await entitlementOf(renewer, renewal.orderId);
    expect(next).toMatchObject({ status: 'active', startsAt: current.expiresAt, expiresAt: licenseEndsAt(terms, new Date(current.expiresAt!))!.toISOString() });
    expect(Date.parse(current.startsAt)).toBeLessThanOrEqual(Date.now());

    // A license that has not begun has not expired: the refusal says when it starts.
    const early = manifest(h, next.id, renewer);
    await expect(early).rejects.toMatchObject({ code: 'ENTITLEMENT_NOT_STARTED' });
    await expect(early).rejects.toThrow(`starts at ${current.expiresAt}`);
    // Nor what changed between its versions: nothing of it is the buyer's to read yet.
    const diff = ask(h, DeliverySubjects.diffVersions, { id: next.id, from: v1, to: v1 }, renewer);
    await expect(diff).rejects.toMatchObject({ code: 'ENTITLEMENT_NOT_STARTED' });
    await expect(diff).rejects.toThrow(`starts at ${current.expiresAt}`);
    // Nor a URL signed for it, however it was come by.
    const signer = h.app.get(UrlSigner);
    const path = m.versions[0].files[0].path;
    const ticket = { entitlementId: next.id, versionId: v1, path, caller: { organizationId: renewer.organizationId, keyId: renewer.keyId }, expires: Math.floor(Date.now() / 1000) + 600 };
    const unstarted = await fetchRaw(downloadUrl(`http://127.0.0.1:${h.port}`, ticket, signer.sign(downloadGrant(ticket))));
    expectRefused(unstarted, 'ENTITLEMENT_NOT_STARTED');
    expect(unstarted.json?.detail).toContain(`starts at ${current.expiresAt}`);
    // A file asked for by its path comes under the entitlement that runs now.
    const located = await ask(h, DeliverySubjects.locateFile, { datasetId, versionId: v1, path }, renewer);
    expect(located.entitlementId).toBe(current.id);
  });

  it('expires an entitlement at the end of its license term, and a subscription when billing lets it lapse', async () => {
    // Paid thirteen months ago on a twelve-month research license: the term is over.
    const lapsedBuyer = newBuyer();
    const oldOrder = { orderId: randomUUID(), buyerOrganizationId: lapsedBuyer.organizationId, lines: [paidLine(datasetId, [v1], 'research')], paidAt: new Date(Date.now() - 395 * 86_400_000).toISOString() };
    await publish(h, OrderingEvents.orderPaid, oldOrder);
    const old = await entitlementOf(lapsedBuyer, oldOrder.orderId);
    expect(old.status).toBe('expired');
    expect(Date.parse(old.expiresAt!)).toBeLessThan(Date.now());
    await expect(manifest(h, old.id, lapsedBuyer)).rejects.toMatchObject({ code: 'ENTITLEMENT_EXPIRED' });

    const subscriberUntilLapse = newBuyer();
    const line = paidLine(datasetId, [v1], 'research', { coversFutureVersions: true, pricing: { model: 'subscription', period: 'month' } });
    const order = await pay(h, subscriberUntilLapse, [line]);
    const entitlement = await entitlementOf(subscriberUntilLapse, order.orderId);
    const url = (await manifest(h, entitlement.id, subscriberUntilLapse)).versions[0].files[0].url;
    expect((await fetchRaw(url, {}, 'HEAD')).status).toBe(200);
    await publish(h, BillingEvents.subscriptionLapsed, { orderId: order.orderId, lineId: line.lineId });
    await waitFor('the lapse applied', async () => (await ask(h, DeliverySubjects.listEntitlements, { status: 'expired' }, subscriberUntilLapse)).items.length === 1);
    expectRefused(await fetchRaw(url), 'ENTITLEMENT_EXPIRED');
  });

  it('stops reading when a client goes away mid-download, and records the bytes that went out, not the size', async () => {
    // 24 MiB: more than the socket buffers of both ends hold, so the cut really stops the server.
    const v3 = randomUUID();
    await uploadVersion(h, datasetId, v3, [{ path: 'audio/zh-CN/长录音_0001.wav', bytes: randomBytes(24 * 1024 * 1024) }]);
    const buyer = newBuyer();
    const entitlement = await entitlementOf(buyer, (await pay(h, buyer, [paidLine(datasetId, [v3], 'commercial')])).orderId);
    const [file] = (await manifest(h, entitlement.id, buyer)).versions[0].files;
    await new Promise<void>((resolve, reject) => {
      const { hostname, port, pathname, search } = new URL(file.url);
      const req = httpGet({ host: hostname, port, path: pathname + search }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    });
    const row = await waitFor('the cut-off download recorded', async () =>
      withDatabase(h.db.url, async (c) => {
        const rows = (await c.query(`SELECT bytes_sent, complete FROM download WHERE entitlement_id = $1`, [entitlement.id])).rows;
        return rows[0];
      }),
    );
    expect(row.complete).toBe(false);
    expect(Number(row.bytes_sent)).toBeLessThan(file.size);
  });

  it('publishes each download of a metered offer sold per GiB for billing to meter', async () => {
    const metered = newBuyer();
    const order = await pay(h, metered, [paidLine(datasetId, [v1], 'research', { pricing: { model: 'metered', unit: 'gib', quantity: 1 } })]);
    const entitlement = await entitlementOf(metered, order.orderId);
    const file = (await manifest(h, entitlement.id, metered)).versions[0].files.find((f) => f.path === 'README.md')!;
    expect((await fetchRaw(file.url)).status).toBe(200);
    const event = await waitFor('the download event', async () =>
      withDatabase(h.db.url, async (c) => (await c.query(`SELECT payload FROM outbox WHERE subject = 'evt.delivery.download.recorded.v1' AND payload->>'entitlementId' = $1`, [entitlement.id])).rows[0]?.payload),
    );
    expect(event).toMatchObject({ orderId: order.orderId, organizationId: metered.organizationId, pricingModel: 'metered', datasetId, versionId: v1, path: 'README.md', bytes: file.size });
  });

  it("serves a download manager's split of a recording (3 connections, each asking for the rest of the file) on the GiB bought, and refuses up front the next download that the GiB left do not hold", async () => {
    const buyer = newBuyer();
    const order = await pay(h, buyer, [paidLine(datasetId, [v1], 'research', { pricing: { model: 'metered', unit: 'gib', quantity: 1 } })]);
    const entitlement = await entitlementOf(buyer, order.orderId);
    const recording = filesV1.find((f) => f.path === 'audio/zh-CN/普通话_0001.wav')!;
    const url = (await manifest(h, entitlement.id, buyer)).versions[0].files.find((f) => f.path === recording.path)!.url;
    const size = recording.bytes.length;
    // Earlier downloads, written into the audit as if made, left one and a half copies of it.
    const left = size + Math.floor(size / 2);
    await withDatabase(h.db.url, (c) =>
      c.query(
        `INSERT INTO download (id, entitlement_id, organization_id, key_id, object_key, version_id, path, range_start, bytes_sent, complete, started_at, finished_at)
         VALUES ($1, $2, $3, $4, 'earlier', $5, 'README.md', 0, $6, true, now() - interval '1 day', now() - interval '1 day')`,
        [randomUUID(), entitlement.id, buyer.organizationId, buyer.keyId, v1, 1024 ** 3 - left],
      ),
    );
    // 3 MiB: holds grow 1 MiB at a time, so 3 connections of it fit in one copy.
    const parts = await splitDownload([url], size, 3);
    expect(parts.map((p) => ({ status: p.status, whole: p.whole }))).toEqual(Array(3).fill({ status: 206, whole: true }));
    expect(Buffer.concat(parts.map((p) => p.bytes)).equals(recording.bytes)).toBe(true);
    const delivered = async (count: number) =>
      waitFor(`${count} downloads recorded`, () =>
        withDatabase(h.db.url, async (c) => {
          const rows = (await c.query(`SELECT bytes_sent::int AS n FROM download WHERE entitlement_id = $1 AND object_key <> 'earlier'`, [entitlement.id])).rows as { n: number }[];
          return rows.length === count ? rows.reduce((sum, row) => sum + row.n, 0) : undefined;
        }),
      );
    // Each connection stopped where the next one started: one copy.
    expect(await delivered(3)).toBe(size);
    // The whole file again does not fit in the GiB left: refused before a byte, rather than cut
    // off where they run out. The Range the refusal names is served whole; then nothing is left.
    const rest = left - size;
    const again = await fetchRaw(url);
    expectRefused(again, 'ALLOWANCE_EXHAUSTED');
    expect(again.json.detail).toContain(`so ${rest} are left and this request asks for ${size}`);
    const fits = await fetchUntilClosed(url, { range: `bytes=0-${rest - 1}` });
    expect({ status: fits.status, whole: fits.whole, bytes: fits.body.equals(recording.bytes.subarray(0, rest)) }).toEqual({ status: 206, whole: true, bytes: true });
    expect(await delivered(4)).toBe(left);
    expectRefused(await fetchRaw(url, { range: `bytes=${rest}-` }), 'ALLOWANCE_EXHAUSTED');
    // HEAD answers what its GET would get: no 200 for bytes the allowance has not left.
    const head = await fetchRaw(url, {}, 'HEAD');
    expect({ status: head.status, type: head.headers['content-type'] }).toEqual({ status: 403, type: expect.stringMatching(/^application\/problem\+json/) });
  });

  it('stops the same URL within a second of the refund, and lists the entitlement as revoked', async () => {
    const file = m.versions[0].files[0];
    expect((await fetchRaw(file.url, {}, 'HEAD')).status).toBe(200);
    await publish(h, OrderingEvents.orderRefunded, { orderId: oneTimeOrderId });
    const revoked = await waitFor('refund applied', async () => {
      const row = await withDatabase(h.db.url, async (c) => (await c.query(`SELECT status FROM entitlement WHERE id = $1`, [oneTime.id])).rows[0]);
      return row.status === 'revoked' ? Date.now() : undefined;
    }, 20_000, 20);
    const answer = await fetchRaw(file.url);
    expect(Date.now() - revoked).toBeLessThan(1000);
    expectRefused(answer, 'ENTITLEMENT_REVOKED');
    const [listed] = (await ask(h, DeliverySubjects.listEntitlements, {}, oneTimeBuyer)).items;
    expect(listed.status).toBe('revoked');
    await expect(manifest(h, oneTime.id, oneTimeBuyer)).rejects.toMatchObject({ code: 'ENTITLEMENT_REVOKED' });
    // Nor does it list what changed between versions any more.
    await expect(ask(h, DeliverySubjects.diffVersions, { id: oneTime.id, from: v1, to: v1 }, oneTimeBuyer)).rejects.toMatchObject({ code: 'ENTITLEMENT_REVOKED' });
  });
});
