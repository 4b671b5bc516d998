import { randomUUID } from 'node:crypto';
import { commercialOffer, sha256Hex, speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

interface Version {
  id: string;
  version: string;
  status: 'open' | 'released';
  fileCount: number;
  totalBytes: number;
  files?: unknown[];
}

/**
 * A listing that grows for years, as a vendor's daily crawl does: its page, release answer and
 * Croissant card travel in one NATS message (1 MiB at most), so none of them may grow with the
 * number of versions, offers or samples, through the public API with the gateway, catalog and
 * delivery running as their own processes.
 */
describe('a listing with many versions, offers and samples', () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  let other: VendorClient;
  const anonymous = { as: 'anonymous' as const };

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'delivery'] });
    vendor = await VendorClient.signUp(system, '数据堂 Datatang');
    other = await VendorClient.signUp(system, '标贝科技 DataBaker');
  });

  afterAll(async () => {
    await system?.stop();
  });

  const catalogDb = <T>(work: Parameters<typeof withDatabase<T>>[1]) => withDatabase(system.databases.get('catalog')!.url, work);

  async function publish(id: string): Promise<void> {
    await vendor.expect(200, `/v1/datasets/${id}/submit`, 'POST');
    expect((await system.request(`/v1/admin/datasets/${id}/approve`, { method: 'POST' })).status).toBe(200);
  }

  /** Every version of the listing through `GET .../versions`, `limit` at a time, as `as` sees them. */
  async function allVersions(id: string, limit: number, as: VendorClient | 'anonymous'): Promise<Version[]> {
    const seen: Version[] = [];
    let cursor: string | null = null;
    do {
      const url = `/v1/datasets/${id}/versions?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const answer: Response = as === 'anonymous' ? await system.request(url, anonymous) : await as.call(url);
      expect(answer.status).toBe(200);
      const page = await json(answer);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  }

  describe('a daily crawl released for five months', () => {
    const DAYS = 150;
    const dayVersion = (n: number) => `2025.${Math.floor(n / 100)}.${n % 100}`;
    // 100 files of 1 MiB + 1 to 1 MiB + 100 bytes, as the crawl's rows below are written.
    const DAY_BYTES = 100 * 1_048_576 + 5_050;
    const firstRelease = Buffer.byteLength('{"id":"utt_000001","text":"今天天气很好"}\n');
    const tomorrowsCrawl = Buffer.from('{"url":"https://news.example.cn/1"}\n');

    it("answers its page with the newest versions and versionCount, its Croissant card with the newest release, and every version page by page", async () => {
      const { dataset, version: first } = await vendor.listing(speechListing({ title: '中文新闻网页每日抓取语料' }));
      const path = `/v1/datasets/${dataset.id}`;
      await publish(dataset.id);
      // The other 149 daily releases, with 100 files each, as releasing them one by one would
      // leave them: uploading 14,900 files through delivery would take many minutes, and what the
      // catalog answers depends only on its rows.
      await catalogDb(async (c) => {
        await c.query(`UPDATE dataset_version SET created_at = now() - interval '200 days', released_at = now() - interval '200 days' WHERE id = $1`, [first.id]);
        await c.query(
          `INSERT INTO dataset_version (id, dataset_id, version, changelog, status, created_at, released_at)
           SELECT gen_random_uuid(), $1, '2025.' || (n / 100) || '.' || (n % 100), '第 ' || n || ' 天的增量抓取 / crawl of day ' || n, 'released',
                  now() - ($2 - n) * interval '1 day', now() - ($2 - n) * interval '1 day' + interval '1 hour'
           FROM generate_series(1, $2 - 1) AS n`,
          [dataset.id, DAYS],
        );
        await c.query(
          `INSERT INTO version_file (version_id, path, size, sha256, storage_key)
           SELECT v.id, 'crawl/' || v.version || '/part-' || lpad(f::text, 5, '0') || '.jsonl.gz', 1048576 + f, repeat('cd', 32), 'objects/' || v.id || '/' || f
           FROM dataset_version v, generate_series(1, 100) AS f
           WHERE v.dataset_id = $1 AND v.id <> $2`,
          [dataset.id, first.id],
        );
      });
      // Tomorrow's crawl, still open: its vendor's and the operators' alone.
      const tomorrow = await vendor.expect(201, `${path}/versions`, 'POST', { version: '2026.0.0' });
      await vendor.upload(dataset.id, tomorrow.id, 'crawl/2026.0.0/part-00001.jsonl.gz', tomorrowsCrawl);

      // The page held every version with 100 files each: about 2 MB, larger than a NATS message,
      // so it was a 503 for everyone after the timeout, the listing's buyers and vendor included.
      const page = await system.request(path, anonymous);
      expect(page.status).toBe(200);
      const detail = await json(page);
      expect(detail.versionCount).toBe(DAYS);
      const newest = Array.from({ length: 20 }, (_, i) => dayVersion(DAYS - 20 + i));
      expect(detail.versions.map((v: Version) => v.version)).toEqual(newest);
      expect(detail.versions.every((v: Version) => v.status === 'released' && v.fileCount === 100 && v.totalBytes === DAY_BYTES && v.files?.length === 100)).toBe(true);
      expect(detail.offers).toHaveLength(1);

      const own = await vendor.expect(200, path);
      expect(own.versionCount).toBe(DAYS + 1);
      expect(own.versions.map((v: Version) => v.version)).toEqual([...newest, '2026.0.0']);
      expect(own.versions.at(-1)).toMatchObject({ status: 'open', fileCount: 1, totalBytes: tomorrowsCrawl.length });

      const card = await system.request(`${path}/croissant`, anonymous);
      expect(card.status).toBe(200);
      const croissant = await json(card);
      expect(croissant.version).toBe(dayVersion(DAYS - 1));
      const fileObjects = croissant.distribution.filter((d: { '@type': string }) => d['@type'] === 'cr:FileObject');
      expect(fileObjects).toHaveLength(100);
      expect(fileObjects[0].name).toBe(`crawl/${dayVersion(DAYS - 1)}/part-00001.jsonl.gz`);

      // Every version, newest first, each with its fileCount and no files, released only.
      const listed = await allVersions(dataset.id, 40, 'anonymous');
      expect(listed.map((v) => v.version)).toEqual([...Array.from({ length: DAYS - 1 }, (_, i) => dayVersion(DAYS - 1 - i)), '1.0.0']);
      expect(listed.every((v) => v.status === 'released' && v.files === undefined)).toBe(true);
      expect(listed.map((v) => v.fileCount)).toEqual([...Array(DAYS - 1).fill(100), 1]);
      expect(listed.map((v) => v.totalBytes)).toEqual([...Array(DAYS - 1).fill(DAY_BYTES), firstRelease]);
      expect((await allVersions(dataset.id, 100, other)).map((v) => v.id)).toEqual(listed.map((v) => v.id));
      const vendorListed = await allVersions(dataset.id, 7, vendor);
      expect(vendorListed.map((v) => v.id)).toEqual([tomorrow.id, ...listed.map((v) => v.id)]);
      expect(vendorListed[0]).toMatchObject({ status: 'open', fileCount: 1, totalBytes: tomorrowsCrawl.length });
      const admin = await json(await system.request(`${path}/versions?limit=1`));
      expect(admin.items.map((v: Version) => v.id)).toEqual([tomorrow.id]);

      // The release answers the version as the page shows it.
      const released = await vendor.expect(200, `${path}/versions/${tomorrow.id}/release`, 'POST');
      expect(released).toMatchObject({ version: '2026.0.0', status: 'released', fileCount: 1, totalBytes: tomorrowsCrawl.length });
      const after = await json(await system.request(path, anonymous));
      expect([after.versionCount, after.versions.length, after.versions.at(-1).version]).toEqual([DAYS + 1, 20, '2026.0.0']);

      // A cursor not handed out, a page too large, an unknown listing: refused, not guessed at.
      for (const cursor of ['bm90LWEtY3Vyc29y', Buffer.from(`2025-01-01T00:00:00.000Z|${randomUUID()}x`).toString('base64url'), 'a'.repeat(300)]) {
        const forged = await system.request(`${path}/versions?cursor=${cursor}`, anonymous);
        expect([forged.status, (await json(forged)).code]).toEqual([400, 'VALIDATION_FAILED']);
      }
      expect((await system.request(`${path}/versions?limit=101`, anonymous)).status).toBe(400);
      expect((await system.request(`${path}/versions?limit=0`, anonymous)).status).toBe(400);
      expect((await system.request(`/v1/datasets/${randomUUID()}/versions`, anonymous)).status).toBe(404);
    });

    it('shows fewer versions, not a 503, when their changelogs and paths are as long as they may be', async () => {
      const VERSIONS = 30;
      const { dataset } = await vendor.listing(speechListing({ title: '多语种网页语料 长更新日志' }));
      const path = `/v1/datasets/${dataset.id}`;
      await publish(dataset.id);
      // 10,000 characters is the longest changelog; each of these is 40 KB of UTF-8. A file path
      // may take 512 bytes. 100 files of 336-byte paths and such a changelog make a version of
      // about 90 KB on the page: 20 of them were twice what a NATS message holds.
      await catalogDb(async (c) => {
        await c.query(`UPDATE dataset_version SET created_at = now() - interval '100 days' WHERE dataset_id = $1`, [dataset.id]);
        await c.query(
          `INSERT INTO dataset_version (id, dataset_id, version, changelog, status, created_at, released_at)
           SELECT gen_random_uuid(), $1, '3.' || n || '.0', repeat('😀', 10000), 'released', now() - ($2 - n) * interval '1 day', now() - ($2 - n) * interval '1 day'
           FROM generate_series(1, $2) AS n`,
          [dataset.id, VERSIONS],
        );
        await c.query(
          `INSERT INTO version_file (version_id, path, size, sha256, storage_key)
           SELECT v.id, repeat('深层目录/', 25) || lpad(f::text, 5, '0') || '.jsonl', 1000, repeat('cd', 32), 'objects/' || v.id || '/' || f
           FROM dataset_version v, generate_series(1, 100) AS f
           WHERE v.dataset_id = $1 AND v.version LIKE '3.%'`,
          [dataset.id],
        );
      });

      const page = await system.request(path, anonymous);
      expect(page.status).toBe(200);
      expect((await page.clone().arrayBuffer()).byteLength).toBeLessThan(1024 * 1024);
      const detail = await json(page);
      expect(detail.versionCount).toBe(VERSIONS + 1);
      // The newest ones, as many as fit, and never none.
      const shown = detail.versions.map((v: Version) => v.version);
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.length).toBeLessThan(20);
      expect(shown).toEqual(Array.from({ length: shown.length }, (_, i) => `3.${VERSIONS - shown.length + 1 + i}.0`));
      expect(detail.versions.every((v: Version) => v.files?.length === 100)).toBe(true);

      // A page of 100 asked for holds what fits; the cursor goes on from there, and every version is reached once.
      const first = await json(await system.request(`${path}/versions?limit=100`, anonymous));
      expect(first.items.length).toBeLessThan(VERSIONS + 1);
      expect(first.nextCursor).toEqual(expect.any(String));
      const listed = await allVersions(dataset.id, 100, 'anonymous');
      expect(listed.map((v) => v.version)).toEqual([...Array.from({ length: VERSIONS }, (_, i) => `3.${VERSIONS - i}.0`), '1.0.0']);
    });

    it("lists a draft's versions to its vendor and operators only, and an open version to nobody else", async () => {
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing());
      const path = `/v1/datasets/${dataset.id}`;
      const open = await vendor.expect(201, `${path}/versions`, 'POST', { version: '0.1.0' });
      for (const stranger of [() => system.request(`${path}/versions`, anonymous), () => other.call(`${path}/versions`)]) {
        const answer = await stranger();
        expect([answer.status, (await json(answer)).code]).toEqual([404, 'NOT_FOUND']);
      }
      expect((await vendor.expect(200, `${path}/versions`)).items).toEqual([expect.objectContaining({ id: open.id, status: 'open', fileCount: 0, totalBytes: 0 })]);
      expect((await json(await system.request(`${path}/versions`))).items).toHaveLength(1);
      expect(await vendor.expect(200, path)).toMatchObject({ versionCount: 1, versions: [expect.objectContaining({ id: open.id })] });
    });
  });

  describe('offers', () => {
    it('holds at most 50 live offers: one more is 409 naming the limit and changes nothing, a withdrawn one frees its place', async () => {
      const { dataset } = await vendor.listing();
      const path = `/v1/datasets/${dataset.id}`;
      await publish(dataset.id);
      const offers: { id: string }[] = [];
      for (let i = 1; i < 50; i++) offers.push(await vendor.expect(201, `${path}/offers`, 'POST', commercialOffer(1_000_000 + i)));
      const before = await vendor.expect(200, path);
      expect(before.offers).toHaveLength(50);

      const refused = await json(await vendor.call(`${path}/offers`, 'POST', commercialOffer(9_900_000)));
      expect(refused).toMatchObject({ status: 409, code: 'CONFLICT', detail: expect.stringContaining('50 live offers') });
      expect(await vendor.expect(200, path)).toEqual(before);

      // Withdrawn ones free their places; the vendor sees the newest 20 of them beside the live ones.
      for (const offer of offers.slice(0, 30)) await vendor.expect(200, `${path}/offers/${offer.id}/withdraw`, 'POST');
      for (let i = 0; i < 30; i++) await vendor.expect(201, `${path}/offers`, 'POST', commercialOffer(2_000_000 + i));
      expect((await json(await vendor.call(`${path}/offers`, 'POST', commercialOffer(9_900_000)))).status).toBe(409);
      const own = await vendor.expect(200, path);
      const withdrawn = own.offers.filter((o: { status: string }) => o.status === 'withdrawn');
      expect([own.offers.length - withdrawn.length, withdrawn.length]).toEqual([50, 20]);
      expect(withdrawn.map((o: { id: string }) => o.id).sort()).toEqual(offers.slice(10, 30).map((o) => o.id).sort());
      const shown = await json(await system.request(path, anonymous));
      expect(shown.offers).toHaveLength(50);
      expect(shown.offers.every((o: { status: string }) => o.status === 'active')).toBe(true);
    });
  });

  describe('samples', () => {
    it('holds at most 20 samples: one more is 409 naming the limit, when asked for a URL and when its bytes arrive, and changes nothing', async () => {
      const dataset = await vendor.expect(201, '/v1/datasets', 'POST', speechListing());
      const path = `/v1/datasets/${dataset.id}`;
      const bytes = Buffer.from('RIFF....WAVEfmt 样本');
      const upload = async (samplePath: string) => {
        const signed = await vendor.expect(201, `${path}/samples`, 'POST', { path: samplePath, size: bytes.length, sha256: sha256Hex(bytes) });
        return fetch(signed.uploadUrl, { method: 'PUT', body: bytes, headers: { 'content-type': 'audio/wav' } });
      };
      expect((await upload('samples/utt_000001.wav')).status).toBe(201);
      // 18 more as delivery records them.
      await catalogDb((c) =>
        c.query(
          `INSERT INTO sample (id, dataset_id, path, size, sha256, storage_key, content_type)
           SELECT gen_random_uuid(), $1, 'samples/utt_' || lpad(n::text, 6, '0') || '.wav', 16000, repeat('ef', 32), 'objects/' || n, 'audio/wav'
           FROM generate_series(2, 19) AS n`,
          [dataset.id],
        ),
      );
      // The 20th URL is handed out; a 21st sample recorded meanwhile takes the last place.
      const late = await vendor.expect(201, `${path}/samples`, 'POST', { path: 'samples/late.wav', size: bytes.length, sha256: sha256Hex(bytes) });
      expect((await upload('samples/utt_000020.wav')).status).toBe(201);
      const before = await vendor.expect(200, path);
      expect(before.samples).toHaveLength(20);

      const refused = await json(await vendor.call(`${path}/samples`, 'POST', { path: 'samples/utt_000021.wav', size: bytes.length }));
      expect(refused).toMatchObject({ status: 409, code: 'CONFLICT', detail: expect.stringContaining('20 samples') });
      const put = await fetch(late.uploadUrl, { method: 'PUT', body: bytes, headers: { 'content-type': 'audio/wav' } });
      expect({ status: put.status, code: (await json(put)).code }).toEqual({ status: 409, code: 'CONFLICT' });
      expect(await vendor.expect(200, path)).toEqual(before);

      // Replacing a sample takes no new place.
      expect((await upload('samples/utt_000001.wav')).status).toBe(201);
      expect((await vendor.expect(200, path)).samples).toHaveLength(20);
    });
  });
});
