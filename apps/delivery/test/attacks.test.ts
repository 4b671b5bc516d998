import { addManifestPage, DeliverySubjects, GatewayEvents, manifestOfFirstPage, type EntitlementView, type ManifestPage } from '@trove/contracts';
import type { Caller } from '@trove/platform';
import { createHash, randomUUID } from 'node:crypto';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { EntitlementsService } from '../src/entitlements/entitlements.service';
import { merkleRoot, sortFiles } from '../src/manifests/merkle';
import { DeliveryHarness, type PutAnswer } from './delivery-harness';
import { ask, fetchRaw, manifest, newBuyer, paidLine, pay, publish, release, uploadVersion } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

/**
 * Signed upload and download URLs used by someone who should no longer, or never could, use
 * them the way they try: each case is what a hostile or careless client sent, and what it got.
 */
describe('signed URLs against hostile clients', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });
  beforeEach(() => h.resetCatalog());

  const applied = (eventId: string) =>
    waitFor(`event ${eventId} applied`, () => withDatabase(h.db.url, async (c) => (await c.query(`SELECT 1 FROM inbox WHERE event_id = $1`, [eventId])).rowCount === 1));

  function expectProblem(answer: PutAnswer, status: number, code: string): void {
    expect({ status: answer.status, code: answer.body?.code, type: answer.headers['content-type'] }).toEqual({
      status,
      code,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
  }

  async function expectNothingKept(datasetId: string): Promise<void> {
    expect(await storage.keysUnder(`datasets/${datasetId}/`)).toEqual([]);
    expect(await h.rows(datasetId)).toEqual([]);
    expect(h.catalogCalls).toEqual([]);
  }

  describe('an upload URL signed before its key was revoked or its organization suspended', () => {
    const bytes = Buffer.from('{"text":"请帮我查询一下本月的话费余额。"}\n');
    const vendorOrganization = randomUUID();
    const leakedKey: Caller = { organizationId: vendorOrganization, role: 'vendor', keyId: randomUUID() };
    const otherKey: Caller = { organizationId: vendorOrganization, role: 'vendor', keyId: randomUUID() };
    const sign = (caller: Caller, datasetId = randomUUID()) =>
      h.signUpload({ target: 'version-file', datasetId, versionId: randomUUID(), path: 'transcripts/train.jsonl' }, caller).then((s) => ({ ...s, datasetId }));

    it('is refused with 403 API_KEY_REVOKED once the key is revoked, and nothing is kept; the organization’s other keys still upload', async () => {
      const leaked = await sign(leakedKey);
      const other = await sign(otherKey);
      await applied(await publish(h, GatewayEvents.apiKeyRevoked, { keyId: leakedKey.keyId, organizationId: vendorOrganization, revokedAt: new Date().toISOString() }));

      expectProblem(await h.put(leaked.uploadUrl, bytes), 403, 'API_KEY_REVOKED');
      await expectNothingKept(leaked.datasetId);
      const sample = await h.signUpload({ target: 'sample', datasetId: leaked.datasetId, path: 'samples/preview.jsonl' }, leakedKey);
      expectProblem(await h.put(sample.uploadUrl, bytes), 403, 'API_KEY_REVOKED');
      await expectNothingKept(leaked.datasetId);

      expect((await h.put(other.uploadUrl, bytes)).status).toBe(201);
    });

    it('is refused with 403 ORGANIZATION_SUSPENDED while the organization is suspended, and uploads again once it is reinstated', async () => {
      const url = await sign(otherKey);
      const suspendedAt = new Date();
      await applied(await publish(h, GatewayEvents.organizationStatusChanged, { organizationId: vendorOrganization, status: 'suspended', changedAt: suspendedAt.toISOString() }));

      expectProblem(await h.put(url.uploadUrl, bytes), 403, 'ORGANIZATION_SUSPENDED');
      await expectNothingKept(url.datasetId);

      const reinstatedAt = new Date(suspendedAt.getTime() + 1000);
      await applied(await publish(h, GatewayEvents.organizationStatusChanged, { organizationId: vendorOrganization, status: 'active', changedAt: reinstatedAt.toISOString() }));
      const answer = await h.put(url.uploadUrl, bytes);
      expect({ status: answer.status, size: answer.body?.size }).toEqual({ status: 201, size: bytes.length });
      expect(h.catalogCalls).toHaveLength(1);
    });
  });

  describe('the manifest of a version with thousands of files', () => {
    const datasetId = randomUUID();
    const [v1, v2] = [randomUUID(), randomUUID()];
    const buyer = newBuyer();
    const real = [
      { path: 'zz/最后/metadata.jsonl', bytes: Buffer.from('{"speaker":"F031","dialect":"粤语"}\n') },
      { path: 'README.md', bytes: Buffer.from('# 方言语音 / Chinese dialect speech\n') },
    ];
    let entitlementId: string;

    beforeAll(async () => {
      for (const versionId of [v1, v2]) await uploadVersion(h, datasetId, versionId, real);
      // What a vendor of a speech corpus uploads: a file per utterance, with long Chinese paths
      // (about 1 KB of URL each once percent-encoded). Written straight into the table, as
      // thousands of uploads would record them.
      await withDatabase(h.db.url, (c) =>
        c.query(
          `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at)
           SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, v.id, 'audio/粤语/广州市/说话人_' || lpad((i % 97)::text, 3, '0') || '/录音_' || lpad(i::text, 5, '0') || '.wav',
                  1000 + i, encode(sha256(i::text::bytea), 'hex'), 'vendor', now()
             FROM generate_series(1, $2::int) AS i, (VALUES ($3::uuid), ($4::uuid)) AS v(id)`,
          [datasetId, 3000, v1, v2],
        ),
      );
      await release(h, datasetId, v1, '1.0.0');
      await release(h, datasetId, v2, '2.0.0');
      const order = await pay(h, buyer, [paidLine(datasetId, [v1, v2], 'commercial')]);
      entitlementId = (
        await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId))
      ).id;
    });

    it('is answered a page at a time, each page a NATS message can carry, and the pages put together list every file once, in order, under its signed root', async () => {
      const pages: ManifestPage[] = [];
      for (let cursor: string | undefined; pages.length === 0 || cursor; ) {
        const page: ManifestPage = await ask(h, DeliverySubjects.getManifest, { id: entitlementId, ...(cursor ? { cursor } : {}) }, buyer);
        pages.push(page);
        cursor = page.nextCursor ?? undefined;
      }
      expect(pages.length).toBeGreaterThan(2);
      for (const page of pages) expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(1024 * 1024 - 64 * 1024);

      const whole = await manifest(h, entitlementId, buyer);
      // Versions granted together are listed in the order of their ids.
      expect(whole.versions.map((v) => [v.id, v.version, v.files.length]).sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
        [v1, '1.0.0', 3002],
        [v2, '2.0.0', 3002],
      ]);
      for (const version of whole.versions) {
        expect(version.files.map((f) => f.path)).toEqual(sortFiles(version.files).map((f) => f.path));
        expect(new Set(version.files.map((f) => f.path)).size).toBe(version.files.length);
        expect(version.root).toBe(merkleRoot(version.files));
        // The real files, last and first in path order, download with the bytes uploaded.
        for (const file of real) {
          const listed = version.files.find((f) => f.path === file.path)!;
          const answer = await fetchRaw(listed.url);
          expect({ status: answer.status, sha256: createHash('sha256').update(answer.body).digest('hex') }).toEqual({ status: 200, sha256: listed.sha256 });
        }
      }
    });

    it('puts the same manifest together from pages of one file each, across the end of a version and the start of the next', async () => {
      const service = h.app.get(EntitlementsService);
      const small = randomUUID();
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      const paths = ['README.md', 'audio/粤语/0001.wav', 'audio/粤语/0002.wav'];
      for (const versionId of [a, b, c]) {
        await uploadVersion(h, small, versionId, (versionId === b ? paths.slice(0, 1) : paths).map((path) => ({ path, bytes: Buffer.from(`${versionId} ${path}`) })));
      }
      const order = await pay(h, buyer, [paidLine(small, [a, b, c], 'commercial')]);
      const id = (await waitFor('the entitlement', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId))).id;
      const now = Date.now();
      const whole = await service.manifestFor(id, buyer, { now });
      expect(whole.nextCursor).toBeNull();
      const pages: ManifestPage[] = [await service.manifestFor(id, buyer, { now, pageBytes: 1 })];
      while (pages[pages.length - 1].nextCursor) pages.push(await service.manifestFor(id, buyer, { now, pageBytes: 1, cursor: pages[pages.length - 1].nextCursor! }));
      expect(pages.map((page) => page.versions.reduce((n, v) => n + v.files.length, 0))).toEqual([1, 1, 1, 1, 1, 1, 1]);
      const together = manifestOfFirstPage(pages[0]);
      for (const page of pages.slice(1)) addManifestPage(together, page);
      expect(together).toEqual({ ...whole, nextCursor: undefined, versions: whole.versions });
    });

    it('refuses a cursor it never gave with VALIDATION_FAILED', async () => {
      for (const cursor of ['not-a-cursor', Buffer.from('[99,null]').toString('base64url'), Buffer.from('[0,""]').toString('base64url')]) {
        await expect(ask(h, DeliverySubjects.getManifest, { id: entitlementId, cursor }, buyer)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
      }
    });
  });

  describe('downloads of files whose names need care', () => {
    const datasetId = randomUUID();
    const versionId = randomUUID();
    const buyer = newBuyer();
    // Legal names that a careless encoder turns into something else (`?` and `*` are not legal:
    // Windows cannot write them).
    const names = ["it's (1) [final].wav", '100%.txt', '%41%42/x.txt', 'query=1&hash#tag;x+y.txt'];
    let files: { path: string; url: string; sha256: string }[];

    beforeAll(async () => {
      await uploadVersion(h, datasetId, versionId, names.map((path) => ({ path, bytes: Buffer.from(`bytes of ${path}`) })));
      await release(h, datasetId, versionId, '1.0.0');
      const order = await pay(h, buyer, [paidLine(datasetId, [versionId], 'commercial')]);
      const entitlement = await waitFor('the entitlement', async () =>
        (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items.find((e: EntitlementView) => e.orderId === order.orderId),
      );
      files = (await manifest(h, entitlement.id, buyer)).versions[0].files;
    });

    it('serves each name by its own URL, with its bytes and nothing else', async () => {
      for (const file of files) {
        const answer = await fetchRaw(file.url);
        expect({ path: file.path, status: answer.status, body: answer.body.toString('utf8') }).toEqual({ path: file.path, status: 200, body: `bytes of ${file.path}` });
      }
    });

    it('names the file in Content-Disposition with only the characters RFC 8187 allows in filename*, so a browser saves it under its own name', async () => {
      const dispositions: Record<string, string> = {};
      for (const file of files) dispositions[file.path] = String((await fetchRaw(file.url, {}, 'HEAD')).headers['content-disposition']);
      expect(dispositions).toEqual({
        "it's (1) [final].wav": "attachment; filename*=UTF-8''it%27s%20%281%29%20%5Bfinal%5D.wav",
        '100%.txt': "attachment; filename*=UTF-8''100%25.txt",
        '%41%42/x.txt': "attachment; filename*=UTF-8''x.txt",
        'query=1&hash#tag;x+y.txt': "attachment; filename*=UTF-8''query%3D1%26hash%23tag%3Bx%2By.txt",
      });
      for (const value of Object.values(dispositions)) {
        // RFC 8187 ext-value: charset '' then attr-char or %XX only.
        expect(value).toMatch(/^attachment; filename\*=UTF-8''(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})+$/);
        expect(decodeURIComponent(value.split("''")[1])).not.toContain('/');
      }
    });
  });
});
