import { DeliverySubjects, type EntitlementView } from '@trove/contracts';
import { UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { DownloadRepository, GIB, type DownloadTarget } from '../src/downloads/download.repository';
import { DownloadsService, holdWindow, type DownloadHold, type DownloadUse } from '../src/downloads/downloads.service';
import { FsObjectStorage } from '../src/storage/fs-object-storage';
import { DeliveryHarness } from './delivery-harness';
import { ask, fetchRaw, fetchUntilClosed, manifest, newBuyer, paidLine, pay, release, splitDownload, uploadVersion } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

/**
 * The allowance of an entitlement sold per GiB, with two delivery replicas (two apps, each with
 * its own connection pool and memory) on one database, as behind a load balancer.
 */
describe('the allowance of an entitlement sold per GiB, across delivery replicas', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  let replica: { app: NestFastifyApplication; port: number };
  const datasetId = randomUUID();
  const versionId = randomUUID();
  const small = { path: 'corpus/web-zh/part-0001.jsonl', bytes: randomBytes(64 * 1024) };
  const large = { path: 'corpus/web-zh/part-0002.jsonl', bytes: randomBytes(16 * 1024 * 1024) };
  // A shard whose hold grows 4 MiB (a sixteenth) at a time: a download manager's eighth of it
  // is two windows, more than the kernel's socket buffers take from a connection not yet read,
  // so no connection is sent past where the next one starts before that one is admitted.
  const shard = { path: 'corpus/web-zh/part-0003.jsonl', bytes: randomBytes(64 * 1024 * 1024) };

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    replica = await h.replica();
    await uploadVersion(h, datasetId, versionId, [small, large, shard]);
    await release(h, datasetId, versionId, '1.0.0');
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  /** An entitlement to 1 GiB of the version, of which only `left` bytes are not yet delivered. */
  async function gibBought(left: number): Promise<{ buyer: Caller; entitlement: EntitlementView; urls: Record<string, string> }> {
    const buyer = newBuyer();
    const order = await pay(h, buyer, [paidLine(datasetId, [versionId], 'research', { pricing: { model: 'metered', unit: 'gib', quantity: 1 } })]);
    const entitlement = await waitFor('the entitlement', async () =>
      (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId),
    );
    // Earlier downloads, written into the audit as if made, used the rest of the GiB.
    await withDatabase(h.db.url, (c) =>
      c.query(
        `INSERT INTO download (id, entitlement_id, organization_id, key_id, object_key, version_id, path, range_start, bytes_sent, complete, started_at, finished_at)
         VALUES ($1, $2, $3, $4, 'earlier', $5, $6, 0, $7, true, now(), now())`,
        [randomUUID(), entitlement.id, buyer.organizationId, buyer.keyId, versionId, small.path, GIB - left],
      ),
    );
    const files = (await manifest(h, entitlement.id, buyer)).versions[0].files;
    return { buyer, entitlement, urls: Object.fromEntries(files.map((f) => [f.path, f.url])) };
  }

  const targetIn = (app: NestFastifyApplication, entitlementId: string, path = small.path): Promise<DownloadTarget> =>
    app.get(UnitOfWork).read(async () => (await app.get(DownloadRepository).target(entitlementId, versionId, path, 'f'.repeat(32)))!);

  const holds = (entitlementId: string): Promise<{ bytes: string; expired: boolean }[]> =>
    withDatabase(
      h.db.url,
      async (c) => (await c.query(`SELECT bytes::text, expires_at <= now() AS expired FROM download_hold WHERE entitlement_id = $1 ORDER BY bytes`, [entitlementId])).rows,
    );

  /** Who a hold let go of was for, should it leave an audit row (DownloadsService.release). */
  const AUDIT = { organizationId: randomUUID(), versionId, path: large.path };

  /** A request of `bytes` from the middle of a file (no new download) by one API key. */
  const asking = (bytes: number): DownloadUse => ({ keyId: 'c'.repeat(32), startsNew: false, start: 1024, bytes });

  /** The same signed URL, sent to the replica instead. */
  const viaReplica = (url: string) => url.replace(`127.0.0.1:${h.port}/`, `127.0.0.1:${replica.port}/`);

  it('admits exactly as many parallel requests as fit, whichever replica each reaches, and refuses the rest with ALLOWANCE_EXHAUSTED', async () => {
    const { buyer, entitlement } = await gibBought(300);
    const services = [h.app.get(DownloadsService), replica.app.get(DownloadsService)];
    const targets = [await targetIn(h.app, entitlement.id), await targetIn(replica.app, entitlement.id)];
    // Eight requests of 100 bytes at once, four to each replica: 300 bytes are left, so three fit.
    // Each replica alone sees only its own four and would admit three of them if it counted the
    // running downloads in its own memory (six in all, 600 bytes of 300).
    const answers = await Promise.allSettled([...Array(8).keys()].map((i) => services[i % 2].reserve(targets[i % 2], asking(100))));
    const admitted = answers.flatMap((a, i) => (a.status === 'fulfilled' && a.value ? [{ hold: a.value, service: services[i % 2] }] : []));
    const refused = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason as { code: string; message: string }] : []));
    expect({ admitted: admitted.length, refused: refused.map((r) => r.code) }).toEqual({ admitted: 3, refused: Array(5).fill('ALLOWANCE_EXHAUSTED') });
    expect(refused[0].message).toContain(`${GIB - 300} bytes are delivered and 300 are being downloaded, so 0 are left and this request asks for 100`);
    expect(await holds(entitlement.id)).toEqual(Array(3).fill({ bytes: '100', expired: false }));

    // Downloads that never started let go of their bytes, in the other replica's view too.
    await admitted[0].service.release(admitted[0].hold, targets[0], AUDIT);
    const freed = await services[1].reserve(targets[1], asking(100));
    await expect(services[0].reserve(targets[0], asking(1))).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });

    // One download cut off after 40 of its 100 bytes: its audit row counts the 40, the other 60
    // are free at once; the bytes are never counted twice nor not at all.
    const [cut, ...running] = [...admitted.slice(1), { hold: freed!, service: services[1] }];
    await cut.service.record(
      targets[0],
      {
        id: randomUUID(),
        entitlementId: entitlement.id,
        organizationId: targets[0].buyerOrganizationId,
        keyId: 'c'.repeat(32),
        objectKey: targets[0].key,
        versionId,
        path: small.path,
        rangeStart: 0,
        bytesAsked: 100,
        bytesSent: 40,
        complete: false,
        startedAt: new Date(),
        finishedAt: new Date(),
      },
      cut.hold,
    );
    expect(await holds(entitlement.id)).toEqual(Array(2).fill({ bytes: '100', expired: false }));
    await expect(services[1].reserve(targets[1], asking(61))).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });
    const last = await services[0].reserve(targets[0], asking(60));

    // The buyer's allowance counts what was delivered, not the 260 bytes held by running downloads.
    const [listed] = (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items;
    expect(listed.allowance).toMatchObject({ deliveredBytes: GIB - 300 + 40, remainingBytes: 260 });
    for (const { hold, service } of [...running, { hold: last!, service: services[0] }]) await service.release(hold, targets[0], AUDIT);
    expect(await holds(entitlement.id)).toEqual([]);
  });

  it('serves parallel downloads sent to both replicas only while they fit, and writes the audit row of each in place of its hold', async () => {
    const size = small.bytes.length;
    const { entitlement, urls } = await gibBought(2 * size + size / 2);
    const url = urls[small.path];
    const answers = await Promise.all([url, viaReplica(url), url, viaReplica(url)].map((u) => fetchRaw(u)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 403, 403]);
    expect(answers.filter((a) => a.status === 403).map((a) => a.json?.code)).toEqual(['ALLOWANCE_EXHAUSTED', 'ALLOWANCE_EXHAUSTED']);
    const delivered = await waitFor('both downloads recorded', () =>
      withDatabase(h.db.url, async (c) => {
        const rows = (await c.query(`SELECT bytes_sent::int AS n FROM download WHERE entitlement_id = $1 AND object_key <> 'earlier'`, [entitlement.id])).rows as { n: number }[];
        return rows.length === 2 ? rows.map((r) => r.n) : undefined;
      }),
    );
    expect(delivered).toEqual([size, size]);
    expect(await holds(entitlement.id)).toEqual([]);
    // A range of what is left is served by either replica.
    expect((await fetchRaw(viaReplica(url), { range: `bytes=0-${size / 2 - 1}` })).status).toBe(206);
  });

  it('holds the bytes a download has sent and a window more, not all it asked for, and lets them go with its audit row when the client goes away', async () => {
    const size = large.bytes.length;
    const window = holdWindow(size);
    const { entitlement, urls } = await gibBought(size + small.bytes.length);
    let response: IncomingMessage | undefined;
    const request = httpGet(viaReplica(urls[large.path]), { agent: false }, (res) => {
      response = res;
      res.pause();
    });
    request.on('error', () => undefined);
    // The response started and reads nothing: 16 MiB do not fit in the sockets' buffers.
    await waitFor('the download to start', async () => response);
    expect(response!.statusCode).toBe(200);
    const [held] = await holds(entitlement.id);
    expect({ windows: Number(held.bytes) % window, some: Number(held.bytes) >= window, all: Number(held.bytes) >= size, expired: held.expired }).toEqual({
      windows: 0,
      some: true,
      all: false,
      expired: false,
    });
    // Meanwhile, on the other replica, the bytes it may not send are there for other files.
    expect((await fetchRaw(urls[small.path])).status).toBe(200);

    request.destroy();
    const sent = await waitFor('the cut-off download recorded', () =>
      withDatabase(
        h.db.url,
        async (c) =>
          (await c.query(`SELECT bytes_sent::int AS n FROM download WHERE entitlement_id = $1 AND path = $2`, [entitlement.id, large.path])).rows[0]?.n as number | undefined,
      ),
    );
    expect(sent).toBeLessThan(size);
    expect(await holds(entitlement.id)).toEqual([]);
  });

  it('refuses up front a download whose whole length does not fit in the GiB left, spending nothing, and serves the Range the refusal names', async () => {
    const size = large.bytes.length;
    const left = 5 * 1024 * 1024 + 123;
    const { buyer, entitlement, urls } = await gibBought(left);
    // A plain GET of the whole file: refused before a byte, not a 200 cut off where the GiB run out.
    const refused = await fetchUntilClosed(viaReplica(urls[large.path]));
    expect({ status: refused.status, type: refused.headers['content-type'], code: refused.json?.code }).toEqual({
      status: 403,
      type: expect.stringContaining('application/problem+json'),
      code: 'ALLOWANCE_EXHAUSTED',
    });
    expect(refused.json.detail).toContain(`so ${left} are left and this request asks for ${size}`);
    expect(refused.json.detail).toContain(`ask for a Range of at most ${left} bytes`);
    // Nothing was held, sent or counted.
    expect(await holds(entitlement.id)).toEqual([]);
    const [before] = (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items;
    expect(before.allowance).toMatchObject({ deliveredBytes: GIB - left, remainingBytes: left });
    // Several ranges that the GiB left would hold are the whole file (the Range is ignored): refused the same way.
    const several = await fetchRaw(urls[large.path], { range: 'bytes=0-1,3-4' });
    expect({ status: several.status, code: several.json?.code }).toEqual({ status: 403, code: 'ALLOWANCE_EXHAUSTED' });
    expect(several.json.detail).toContain(`this request asks for ${size}`);
    expect(await holds(entitlement.id)).toEqual([]);
    // A Range that asks for one byte more than is left is refused the same way.
    const over = await fetchRaw(urls[large.path], { range: `bytes=0-${left}` });
    expect({ status: over.status, code: over.json?.code }).toEqual({ status: 403, code: 'ALLOWANCE_EXHAUSTED' });
    // The Range the refusal names is served whole, and then nothing is left.
    const fits = await fetchUntilClosed(urls[large.path], { range: `bytes=0-${left - 1}` });
    expect({ status: fits.status, whole: fits.whole, bytes: fits.body.equals(large.bytes.subarray(0, left)) }).toEqual({ status: 206, whole: true, bytes: true });
    const row = await waitFor('the download recorded', () =>
      withDatabase(
        h.db.url,
        async (c) => (await c.query(`SELECT bytes_sent::int AS sent, complete FROM download WHERE entitlement_id = $1 AND path = $2`, [entitlement.id, large.path])).rows[0],
      ),
    );
    expect(row).toEqual({ sent: left, complete: true });
    const [after] = (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items;
    expect(after.allowance).toMatchObject({ deliveredBytes: GIB, remainingBytes: 0 });
    const resumed = await fetchRaw(urls[large.path], { range: `bytes=${left}-` });
    expect({ status: resumed.status, code: resumed.json?.code }).toEqual({ status: 403, code: 'ALLOWANCE_EXHAUSTED' });
    expect(resumed.json.detail).toContain(`so 0 are left and this request asks for ${size - left}`);
  });

  it("serves a download manager's split of a file (8 connections each asking for the rest of it, each closed where the next one started) on a GiB bought that holds exactly that file and another, across both replicas", async () => {
    const size = shard.bytes.length;
    const { buyer, entitlement, urls } = await gibBought(size + small.bytes.length);
    const url = urls[shard.path];
    const parts = await splitDownload([url, viaReplica(url)], size);
    expect(parts.map((p) => ({ status: p.status, whole: p.whole }))).toEqual(Array(8).fill({ status: 206, whole: true }));
    expect(Buffer.concat(parts.map((p) => p.bytes)).equals(shard.bytes)).toBe(true);
    await waitFor('the 8 connections recorded', () =>
      withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM download WHERE entitlement_id = $1 AND path = $2`, [entitlement.id, shard.path])).rowCount === 8),
    );
    // One copy was counted, so the other file still fits, and then nothing does.
    const [listed] = (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items;
    expect(listed.allowance).toMatchObject({ deliveredBytes: GIB - small.bytes.length, remainingBytes: small.bytes.length });
    const other = await fetchRaw(viaReplica(urls[small.path]));
    expect({ status: other.status, bytes: other.body.equals(small.bytes) }).toEqual({ status: 200, bytes: true });
    await waitFor('every hold let go', async () => (await holds(entitlement.id)).length === 0);
  });

  it('admits a download beside running ones only when all they were admitted to send fits too, so each grows to its end, on both replicas, never past the GiB bought', async () => {
    const window = holdWindow(large.bytes.length);
    // A download of two windows runs on one replica, holding its first window so far. Three
    // windows and 100 bytes were left: one window and 100 bytes are not spoken for.
    const { entitlement } = await gibBought(3 * window + 100);
    const services = [h.app.get(DownloadsService), replica.app.get(DownloadsService)];
    const targets = [await targetIn(h.app, entitlement.id, large.path), await targetIn(replica.app, entitlement.id, large.path)];
    const first = (await services[0].reserve(targets[0], asking(2 * window)))!;
    expect(first.bytes).toBe(window);
    // Another of two windows, on the other replica, would fit beside the window the first holds,
    // but not beside the two it may send: refused before a byte, not admitted and cut later.
    await expect(services[1].reserve(targets[1], asking(2 * window))).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });
    await expect(services[1].reserve(targets[1], asking(window + 101))).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });
    const second = (await services[1].reserve(targets[1], asking(window + 100)))!;

    // Both ask for their next window at once, three times: each grows to all it asked for.
    for (let round = 0; round < 3; round++) await Promise.all([services[0].extend(targets[0], first), services[1].extend(targets[1], second)]);
    expect([first.bytes, second.bytes]).toEqual([2 * window, window + 100]);
    expect((await holds(entitlement.id)).map((hold) => hold.bytes)).toEqual([String(window + 100), String(2 * window)]);
    await expect(services[0].reserve(targets[0], asking(1))).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });
    for (const [i, hold] of [first, second].entries()) await services[i].release(hold, targets[i], AUDIT);
  });

  it('gives back the bytes a connection took from the one before it when it goes away: a copy admitted after it is refused, and the first grows to its end', async () => {
    const size = large.bytes.length;
    const window = holdWindow(size);
    // Room for the file and a window more: a download manager's second connection fits beside
    // the first, a second copy does not.
    const { entitlement } = await gibBought(size + window + 100);
    const service = h.app.get(DownloadsService);
    const target = await targetIn(h.app, entitlement.id, large.path);
    const key = 'd'.repeat(32);
    const first = (await service.reserve(target, { keyId: key, startsNew: true, start: 0, bytes: size }))!;
    // The next connection of the same key starts at byte 1: the first now stops there, so the
    // two claim the file once (and the window the first holds twice).
    const next = (await service.reserve(target, { keyId: key, startsNew: false, start: 1, bytes: size - 1 }))!;
    // Its client hangs up before the answer starts: its hold is let go.
    await service.release(next, target, AUDIT);
    // The first claims the whole file again: another copy does not fit beside it.
    await expect(service.reserve(target, { keyId: key, startsNew: true, start: 0, bytes: size })).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });
    // And the first grows to its end, a window at a time.
    while (await service.extend(target, first));
    expect(first.bytes).toBe(size);
    expect((await holds(entitlement.id)).map((hold) => hold.bytes)).toEqual([String(size)]);
    await service.release(first, target, AUDIT);
  });

  it('counts a download admitted beside a later connection of its key whole again once that connection goes away', async () => {
    const size = large.bytes.length;
    const half = size / 2;
    // Room for the file and half of it again.
    const { entitlement } = await gibBought(size + half + 100);
    const service = h.app.get(DownloadsService);
    const target = await targetIn(h.app, entitlement.id, large.path);
    const key = 'e'.repeat(32);
    // A connection for the second half comes first; the whole-file GET of the same key, admitted
    // beside it, counts only up to where it starts.
    const later = (await service.reserve(target, { keyId: key, startsNew: false, start: half, bytes: size - half }))!;
    const whole = (await service.reserve(target, { keyId: key, startsNew: true, start: 0, bytes: size }))!;
    // The later one's client hangs up before its answer: the whole-file GET no longer stops at
    // `half`, so it counts all of the file, and another key's copy does not fit beside it.
    await service.release(later, target, AUDIT);
    await expect(service.reserve(target, { keyId: 'f'.repeat(32), startsNew: true, start: 0, bytes: size })).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });
    while (await service.extend(target, whole));
    expect(whole.bytes).toBe(size);
    await service.release(whole, target, AUDIT);
  });

  it("counts a download manager's connection only up to where it stops once the next one has ended, so the one before it still grows to its end", async () => {
    const size = large.bytes.length;
    const thirds = [0, Math.floor(size / 3), Math.floor((2 * size) / 3)];
    // One copy and 100 bytes: no room to count any part of the file twice.
    const { buyer, entitlement } = await gibBought(size + 100);
    const service = h.app.get(DownloadsService);
    const target = await targetIn(h.app, entitlement.id, large.path);
    const key = 'a'.repeat(32);
    // Three connections of one key, each asking for the rest of the file, arrive last first.
    const admitted: DownloadHold[] = [];
    for (const start of [...thirds].reverse()) admitted.unshift((await service.reserve(target, { keyId: key, startsNew: start === 0, start, bytes: size - start }))!);
    const [first, second, third] = admitted;
    // The last third is delivered and its row written: the second connection still stops there.
    while (await service.extend(target, third));
    const ended = { id: randomUUID(), entitlementId: entitlement.id, organizationId: buyer.organizationId, keyId: key, objectKey: target.key, versionId, path: large.path };
    await service.record(target, { ...ended, rangeStart: thirds[2], bytesAsked: size - thirds[2], bytesSent: size - thirds[2], complete: true, startedAt: new Date(), finishedAt: new Date() }, third);
    // Both the others grow to where the next one started, no further and not less.
    while (await service.extend(target, second));
    while (await service.extend(target, first));
    expect([first.bytes, second.bytes]).toEqual([thirds[1], thirds[2] - thirds[1]]);
    for (const hold of [first, second]) await service.release(hold, target, AUDIT);
  });

  it('lets a running download grow to its end beside a range inside it that its key reads (one sample of a shard, by its index), running or ended', async () => {
    const size = large.bytes.length;
    // One copy and the sample read: nothing of the file can count twice.
    const { buyer, entitlement } = await gibBought(size + 4096);
    const service = h.app.get(DownloadsService);
    const target = await targetIn(h.app, entitlement.id, large.path);
    const key = 'b'.repeat(32);
    const whole = (await service.reserve(target, { keyId: key, startsNew: true, start: 0, bytes: size }))!;
    // A loader of the same key reads 4 KiB from the middle while the GET runs, and is served.
    const sample = (await service.reserve(target, { keyId: key, startsNew: false, start: size / 2, bytes: 4096 }))!;
    expect(await service.extend(target, whole)).toBe(true);
    const read = { id: randomUUID(), entitlementId: entitlement.id, organizationId: buyer.organizationId, keyId: key, objectKey: target.key, versionId, path: large.path };
    await service.record(target, { ...read, rangeStart: size / 2, bytesAsked: 4096, bytesSent: 4096, complete: true, startedAt: new Date(), finishedAt: new Date() }, sample);
    // The GET is not cut off where the sample starts: it grows to its end, and the GiB bought holds it.
    while (await service.extend(target, whole));
    expect(whole.bytes).toBe(size);
    await service.release(whole, target, AUDIT);
  });

  it('keeps counting a running download whole beside a short range of its key, so that range going away before its answer frees no room it never took', async () => {
    const size = large.bytes.length;
    const window = holdWindow(size);
    const { entitlement } = await gibBought(size + window + 100);
    const service = h.app.get(DownloadsService);
    const target = await targetIn(h.app, entitlement.id, large.path);
    const key = 'c'.repeat(32);
    const whole = (await service.reserve(target, { keyId: key, startsNew: true, start: 0, bytes: size }))!;
    // 100 bytes from byte 1 of the same key: they do not close the GET at byte 1.
    const probe = (await service.reserve(target, { keyId: key, startsNew: false, start: 1, bytes: 100 }))!;
    // So a copy for another key does not fit beside the two ...
    await expect(service.reserve(target, { keyId: 'd'.repeat(32), startsNew: true, start: 0, bytes: size })).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });
    // ... and when the short range's client hangs up before its answer, the GET still grows to its end.
    await service.release(probe, target, AUDIT);
    while (await service.extend(target, whole));
    expect(whole.bytes).toBe(size);
    await service.release(whole, target, AUDIT);
  });

  it('keeps a connection that stopped two earlier ones of one range stopping them when it goes away, rather than let the limit cut a download admitted in the room it made', async () => {
    const size = large.bytes.length;
    const half = size / 2;
    // Two copies of the file from byte 100, and 1,000 bytes more.
    const { entitlement } = await gibBought(2 * (size - 100) + 1000);
    const service = h.app.get(DownloadsService);
    const target = await targetIn(h.app, entitlement.id, large.path);
    const [key, colleague] = ['a'.repeat(32), 'b'.repeat(32)];
    // A download manager opens the same range twice (a stalled connection opened again) ...
    const twins = [
      (await service.reserve(target, { keyId: key, startsNew: false, start: 100, bytes: size - 100 }))!,
      (await service.reserve(target, { keyId: key, startsNew: false, start: 100, bytes: size - 100 }))!,
    ];
    const colleagues = { keyId: colleague, startsNew: false, start: 1, bytes: half };
    await expect(service.reserve(target, colleagues)).rejects.toMatchObject({ code: 'ALLOWANCE_EXHAUSTED' });
    // ... and its next connection, for the second half, stops both where it starts.
    const next = (await service.reserve(target, { keyId: key, startsNew: false, start: half, bytes: size - half }))!;
    // A colleague's half fits in the room that made, and is admitted.
    const admitted = (await service.reserve(target, colleagues))!;
    // The next connection's client goes away before its answer.
    await service.release(next, target, AUDIT);
    // The colleague's download still grows to its end: the twins stop where the next one started.
    while (await service.extend(target, admitted));
    expect(admitted.bytes).toBe(half);
    for (const twin of twins) {
      while (await service.extend(target, twin));
      expect(twin.bytes).toBeLessThanOrEqual(half - 100);
    }
    // The connection that never answered stays as an audit row of no bytes, asked from the half.
    const [row] = await withDatabase(h.db.url, async (c) => (await c.query(`SELECT range_start::int, bytes_asked::int, bytes_sent::int FROM download WHERE entitlement_id = $1 AND key_id = $2`, [entitlement.id, key])).rows);
    expect(row).toEqual({ range_start: half, bytes_asked: size - half, bytes_sent: 0 });
    for (const hold of [...twins, admitted]) await service.release(hold, target, AUDIT);
  });

  it('refuses a second file before a byte while a first one runs that the GiB left holds only alone, and serves the first whole', async () => {
    const size = large.bytes.length;
    // What is left holds the large file, or the small one, not both.
    const { buyer, entitlement, urls } = await gibBought(size + 100);
    const chunks: Buffer[] = [];
    let response: IncomingMessage | undefined;
    const request = httpGet(urls[large.path], { agent: false }, (res) => {
      response = res;
      res.pause();
    });
    request.on('error', () => undefined);
    await waitFor('the first download to start', async () => response);
    expect(response!.statusCode).toBe(200);

    const second = await fetchRaw(viaReplica(urls[small.path]));
    expect({ status: second.status, code: second.json?.code }).toEqual({ status: 403, code: 'ALLOWANCE_EXHAUSTED' });
    expect(second.json.detail).toContain(`so 100 are left and this request asks for ${small.bytes.length}`);

    const whole = await new Promise<Buffer>((resolve) => {
      response!.on('data', (chunk: Buffer) => chunks.push(chunk));
      response!.on('end', () => resolve(Buffer.concat(chunks)));
      response!.resume();
    });
    expect(whole.equals(large.bytes)).toBe(true);
    await waitFor('every hold let go', async () => (await holds(entitlement.id)).length === 0);
    const [listed] = (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items;
    expect(listed.allowance).toMatchObject({ remainingBytes: 100 });
  });

  it("stops growing a download's hold at the first byte another download of its key and file was served from, running or ended since, not one that ended before", async () => {
    const window = holdWindow(large.bytes.length);
    const { buyer, entitlement } = await gibBought(GIB / 2);
    const service = replica.app.get(DownloadsService);
    const target = await targetIn(replica.app, entitlement.id, large.path);
    const key = 'c'.repeat(32);
    const ended = (start: number, finishedAt: string) =>
      withDatabase(h.db.url, (c) =>
        c.query(
          `INSERT INTO download (id, entitlement_id, organization_id, key_id, object_key, version_id, path, range_start, bytes_sent, complete, started_at, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1024, false, now() - interval '1 hour', now() + $9::interval)`,
          [randomUUID(), entitlement.id, buyer.organizationId, key, target.key, versionId, large.path, start, finishedAt],
        ),
      );
    // Yesterday's connection from byte 3 windows + 10 ended before: it stops nothing.
    await ended(3 * window + 10, '-1 day');
    // A download manager's connections: from byte 0 and from 1.5 windows on, both running.
    const first = (await service.reserve(target, { keyId: key, startsNew: true, start: 0, bytes: large.bytes.length }))!;
    const next = (await service.reserve(target, { keyId: key, startsNew: false, start: 1.5 * window, bytes: large.bytes.length - 1.5 * window }))!;
    // The first grows up to where the next one started, and no further; the next one grows past
    // the byte yesterday's connection started from.
    expect(await service.extend(target, first)).toBe(true);
    expect(first.bytes).toBe(1.5 * window);
    expect(await service.extend(target, first)).toBe(false);
    // Another API key's download from the same byte stops no one of this key.
    const colleague = (await service.reserve(target, { keyId: 'd'.repeat(32), startsNew: false, start: 1.5 * window + 1, bytes: window * 4 }))!;
    expect(await service.extend(target, next)).toBe(true);
    expect(next.bytes).toBe(2 * window);
    // A connection of this key from 3.5 windows + 20 that has ended meanwhile stops the next one there.
    await ended(3.5 * window + 20, '1 second');
    expect(await service.extend(target, next)).toBe(true);
    expect(next.bytes).toBe(2 * window + 20);
    expect(await service.extend(target, next)).toBe(false);
    for (const hold of [first, next, colleague]) await service.release(hold, target, AUDIT);
  });

  it('lets go of the hold of a download whose file cannot be opened', async () => {
    const { buyer, entitlement } = await gibBought(GIB);
    const lost = { path: 'corpus/web-zh/part-0003.jsonl', bytes: randomBytes(1024) };
    await uploadVersion(h, datasetId, versionId, [lost]);
    const [row] = await h.rows(datasetId).then((rows) => rows.filter((r) => r.path === lost.path));
    await rm((storage.storage as FsObjectStorage).pathOf(row.key));
    const url = (await manifest(h, entitlement.id, buyer)).versions[0].files.find((f) => f.path === lost.path)!.url;
    const answer = await fetchRaw(viaReplica(url));
    expect({ status: answer.status, code: answer.json?.code }).toEqual({ status: 503, code: 'FILE_UNAVAILABLE' });
    expect(await holds(entitlement.id)).toEqual([]);
  });

  it('does not count the hold of a process that died mid-download once it has expired, and counts one still renewed', async () => {
    const { entitlement } = await gibBought(1000);
    const service = replica.app.get(DownloadsService);
    const target = await targetIn(replica.app, entitlement.id);
    const held = (bytes: number, expiresIn: string) =>
      withDatabase(h.db.url, (c) =>
        c.query(`INSERT INTO download_hold (id, entitlement_id, bytes, expires_at) VALUES ($1, $2, $3, now() + $4::interval)`, [randomUUID(), entitlement.id, bytes, expiresIn]),
      );

    // A process died with 1000 bytes held, never recorded nor let go; its hold expired.
    await held(1000, '-1 second');
    const after = await service.reserve(target, asking(1000));
    // The expired hold is gone: deleted by the admission that passed it.
    expect(await holds(entitlement.id)).toEqual([{ bytes: '1000', expired: false }]);
    await service.release(after!, target, AUDIT);

    // Another process's download, still running (its hold renewed a minute from now), does count.
    await held(600, '1 minute');
    await expect(service.reserve(target, asking(401))).rejects.toMatchObject({
      code: 'ALLOWANCE_EXHAUSTED',
      message: expect.stringContaining(`${GIB - 1000} bytes are delivered and 600 are being downloaded, so 400 are left`),
    });
    const fits = await service.reserve(target, asking(400));

    // A renewal pushes a hold's expiry forward: one about to lapse counts for HOLD_SECONDS again.
    await withDatabase(h.db.url, (c) => c.query(`UPDATE download_hold SET expires_at = now() + interval '1 second' WHERE id = $1`, [fits!.id]));
    await (service as unknown as { renew(hold: DownloadHold): Promise<void> }).renew(fits!);
    const [renewed] = await withDatabase(
      h.db.url,
      async (c) => (await c.query(`SELECT expires_at > now() + interval '1 minute' AS later FROM download_hold WHERE id = $1`, [fits!.id])).rows,
    );
    expect(renewed).toEqual({ later: true });
    await service.release(fits!, target, AUDIT);
  });
});
