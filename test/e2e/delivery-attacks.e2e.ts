import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { merkleRoot, sortFiles } from '../../apps/delivery/src/manifests/merkle';
import { speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { apiPost, buyerWithEntitlement, recordUtterances } from '../support/delivery-flow';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Delivery through the public API, used the way a hostile or careless client would: an upload URL
 * kept after its key was revoked, a buyer after a second copy of a file in ranges, a buyer whose
 * download manager splits a file, and a buyer of a corpus with thousands of files.
 */
describe('delivery against hostile and heavy clients, through the public API', () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  let datasetId: string;
  let versionId: string;
  let offerId: string;
  const files: Record<string, Buffer> = {
    'README.md': Buffer.from('# 粤语方言语音 / Cantonese dialect speech\n'),
    'zz/最后/metadata.jsonl': Buffer.from('{"speaker":"F031","dialect":"粤语"}\n'),
  };

  const post = (path: string, who: string | 'admin', body?: unknown) => apiPost(system, path, who, body);
  const deliveryDb = () => system.databases.get('delivery')!.url;

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn' } });
    vendor = await VendorClient.signUp(system, '广州方言数据 / Guangzhou Dialect Data');
    const { dataset, version, offer } = await vendor.listing(speechListing(), files);
    [datasetId, versionId, offerId] = [dataset.id, version.id, offer.id];
    await vendor.expect(200, `/v1/datasets/${datasetId}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${datasetId}/approve`, 'admin')).status).toBe(200);
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('refuses the upload URL of a key the vendor revoked since with 403 API_KEY_REVOKED, and catalog lists no such file', async () => {
    const created = await json(await post('/v1/api-keys', vendor.key, { name: 'uploader on a build server' }));
    const uploader = new VendorClient(system, created.key, vendor.organizationId);
    const v2 = await vendor.expect(201, `/v1/datasets/${datasetId}/versions`, 'POST', { version: '1.1.0', changelog: '新增 / more speakers' });
    const bytes = Buffer.from('RIFF 粤语 leaked');
    const signed = await uploader.expect(201, `/v1/datasets/${datasetId}/versions/${v2.id}/uploads`, 'POST', { path: 'audio/leaked.wav', size: bytes.length, sha256: sha256(bytes) });

    expect((await system.request(`/v1/api-keys/${created.id}`, { method: 'DELETE', as: { key: vendor.key } })).status).toBe(204);
    // The gateway's event reaches delivery within moments.
    await waitFor('delivery told of the revoked key', () =>
      withDatabase(deliveryDb(), async (c) => (await c.query(`SELECT 1 FROM revoked_api_key WHERE key_id = $1`, [created.id])).rowCount === 1),
    );
    const put = await fetch(signed.uploadUrl, { method: 'PUT', body: bytes });
    const problem = await json(put);
    expect({ status: put.status, type: put.headers.get('content-type'), code: problem.code }).toEqual({
      status: 403,
      type: expect.stringMatching(/^application\/problem\+json/),
      code: 'API_KEY_REVOKED',
    });
    const listed = await vendor.expect(200, `/v1/datasets/${datasetId}`);
    const version = listed.versions.find((v: { id: string }) => v.id === v2.id);
    expect(version.files ?? []).toEqual([]);
    expect(await withDatabase(deliveryDb(), async (c) => (await c.query(`SELECT key FROM stored_object WHERE version_id = $1`, [v2.id])).rows)).toEqual([]);
  });

  it('refuses, under downloadLimit 1, a second copy of a file asked for as ranges (403 DOWNLOAD_LIMIT_REACHED, how many bytes remain), after serving one copy in 8 parallel ranges', async () => {
    const audio = randomBytes(3 * 1024 * 1024 + 77);
    const listed = await vendor.listing(speechListing({ title: '潮汕话朗读语音 20 小时 / Teochew read speech, 20 hours' }), { 'audio/潮汕话/说话人_001/录音_000001.wav': audio });
    const limited = await vendor.expect(201, `/v1/datasets/${listed.dataset.id}/offers`, 'POST', {
      license: {
        template: 'commercial',
        terms: { uses: ['model_training', 'fine_tuning', 'evaluation'], termMonths: null, territories: ['CN'], seats: null, exclusive: false, downloadLimit: 1 },
      },
      pricing: { model: 'one_time', price: { amount: 3_800_000, currency: 'CNY' } },
    });
    await vendor.expect(200, `/v1/datasets/${listed.dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${listed.dataset.id}/approve`, 'admin')).status).toBe(200);
    const { buyer, entitlementId } = await buyerWithEntitlement(system, '汕头语音科技 / Shantou Speech Tech', limited.id);
    const manifest = await json(await system.request(`/v1/entitlements/${entitlementId}/manifest`, { as: { key: buyer.key } }));
    const [file] = manifest.versions[0].files;
    const size = audio.length;

    // A download manager: 8 ranges of the file at once, together one copy.
    const part = Math.ceil(size / 8);
    const parts = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const response = await fetch(file.url, { headers: { range: `bytes=${i * part}-${Math.min(size, (i + 1) * part) - 1}` } });
        return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
      }),
    );
    expect(parts.map((p) => p.status)).toEqual(Array(8).fill(206));
    expect(sha256(Buffer.concat(parts.map((p) => p.bytes)))).toBe(sha256(audio));

    // The probe-and-rest trick for a second copy: the first byte is a second download, the rest
    // of the file is more than the margin left for resumes.
    for (const range of ['bytes=1-', 'bytes=0-0', `bytes=${part}-`]) {
      const refused = await fetch(file.url, { headers: { range } });
      const problem = await json(refused);
      expect({ range, status: refused.status, type: refused.headers.get('content-type'), code: problem.code }).toEqual({
        range,
        status: 403,
        type: expect.stringMatching(/^application\/problem\+json/),
        code: 'DOWNLOAD_LIMIT_REACHED',
      });
    }
    const refused = await json(await fetch(file.url, { headers: { range: 'bytes=1-' } }));
    expect(refused.detail).toContain(`so ${Math.floor(size / 10)} bytes of the file remain`);
  });

  it("serves a download manager's split of a file under downloadLimit 1 (8 connections each asking for the rest of the file, closed where the next one started), then refuses a second copy once the margin is used", async () => {
    // A long recording: 16 MiB and more are held a sixteenth at a time, so 8 connections fit in one copy.
    const recording = randomBytes(16 * 1024 * 1024 + 77);
    const listed = await vendor.listing(speechListing({ title: '闽南语广播剧录音 / Hokkien radio drama recordings' }), { 'audio/闽南语/广播剧_001.wav': recording });
    const limited = await vendor.expect(201, `/v1/datasets/${listed.dataset.id}/offers`, 'POST', {
      license: {
        template: 'commercial',
        terms: { uses: ['model_training', 'fine_tuning', 'evaluation'], termMonths: null, territories: ['CN'], seats: null, exclusive: false, downloadLimit: 1 },
      },
      pricing: { model: 'one_time', price: { amount: 1_200_000, currency: 'CNY' } },
    });
    await vendor.expect(200, `/v1/datasets/${listed.dataset.id}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${listed.dataset.id}/approve`, 'admin')).status).toBe(200);
    const { buyer, entitlementId } = await buyerWithEntitlement(system, '厦门声学智能 / Xiamen Acoustic AI', limited.id);
    const manifest = await json(await system.request(`/v1/entitlements/${entitlementId}/manifest`, { as: { key: buyer.key } }));
    const [file] = manifest.versions[0].files;
    const size = recording.length;

    // aria2c -x8 -s8: the k-th connection asks bytes=<k x size/8>- and is closed once it has
    // reached the first byte of the next one.
    const starts = Array.from({ length: 8 }, (_, k) => Math.floor((k * size) / 8));
    const parts = await Promise.all(starts.map((start, k) => readUntil(file.url, `bytes=${start}-`, (k < 7 ? starts[k + 1] : size) - start)));
    expect(parts.map((p) => ({ status: p.status, whole: p.whole }))).toEqual(Array(8).fill({ status: 206, whole: true }));
    expect(sha256(Buffer.concat(parts.map((p) => p.bytes)))).toBe(sha256(recording));
    const delivered = await waitFor('the 8 connections recorded', () =>
      withDatabase(deliveryDb(), async (c) => {
        const rows = (await c.query(`SELECT bytes_sent::bigint AS n FROM download WHERE entitlement_id = $1`, [entitlementId])).rows as { n: string }[];
        return rows.length === 8 ? rows.reduce((sum, row) => sum + Number(row.n), 0) : undefined;
      }),
    );
    // One copy, and less than a window (a sixteenth of the file) more: each connection stopped
    // where the next one started.
    const margin = Math.min(16 * 1024 * 1024, Math.floor(size / 10));
    expect(delivered).toBeGreaterThanOrEqual(size);
    expect(delivered).toBeLessThan(size + Math.ceil(size / 16));

    // The file was downloaded once, from its first byte: a second download is refused.
    const again = await fetch(file.url);
    const problem = await json(again);
    expect({ status: again.status, type: again.headers.get('content-type'), code: problem.code }).toEqual({
      status: 403,
      type: expect.stringMatching(/^application\/problem\+json/),
      code: 'DOWNLOAD_LIMIT_REACHED',
    });
    // The rest of the file once more does not fit in what is left of the margin: refused before
    // a byte is sent, naming what is left, rather than served and cut there. A Range of what is
    // left is served whole; after it, nothing remains.
    const left = size + margin - delivered;
    const tooMuch = await fetch(file.url, { headers: { range: 'bytes=1-' } });
    const tooMuchProblem = await json(tooMuch);
    expect({ status: tooMuch.status, code: tooMuchProblem.code }).toEqual({ status: 403, code: 'DOWNLOAD_LIMIT_REACHED' });
    expect(tooMuchProblem.detail).toContain(`so ${left} bytes of the file remain and this request asks for ${size - 1}. Ask for a Range of at most ${left} bytes`);
    const rest = await readUntil(file.url, `bytes=1-${left}`, left);
    expect({ status: rest.status, whole: rest.whole, received: rest.bytes.length }).toEqual({ status: 206, whole: true, received: left });
    expect(rest.bytes.equals(recording.subarray(1, 1 + left))).toBe(true);
    const resumed = await fetch(file.url, { headers: { range: `bytes=${1 + left}-` } });
    const refused = await json(resumed);
    expect({ status: resumed.status, code: refused.code }).toEqual({ status: 403, code: 'DOWNLOAD_LIMIT_REACHED' });
    expect(refused.detail).toContain('so 0 bytes of the file remain');
  });

  it('answers the manifest of a version of 3,000 files in full, every file once, under a root that verifies, where it answered 503', async () => {
    await recordUtterances(deliveryDb(), { datasetId, versionId, vendorOrganizationId: vendor.organizationId }, 3000);
    const { buyer, entitlementId } = await buyerWithEntitlement(system, '粤语大模型实验室 / Cantonese LLM Lab', offerId);

    const response = await system.request(`/v1/entitlements/${entitlementId}/manifest`, { as: { key: buyer.key } });
    const manifest = await json(response);
    expect(response.status).toBe(200);
    expect(Object.keys(manifest).sort()).toEqual(['datasetId', 'entitlementId', 'versions']);
    const [version] = manifest.versions;
    expect({ versions: manifest.versions.length, id: version.id, files: version.files.length }).toEqual({ versions: 1, id: versionId, files: 3002 });
    expect(new Set(version.files.map((f: { path: string }) => f.path)).size).toBe(3002);
    expect(version.files.map((f: { path: string }) => f.path)).toEqual(sortFiles(version.files).map((f) => f.path));
    expect(version.root).toBe(merkleRoot(version.files));
    for (const [path, bytes] of Object.entries(files)) {
      const listed = version.files.find((f: { path: string }) => f.path === path);
      const download = await fetch(listed.url);
      expect({ path, status: download.status, sha256: sha256(Buffer.from(await download.arrayBuffer())) }).toEqual({ path, status: 200, sha256: sha256(bytes) });
    }
  });
  it('pages the diff of two releases whose differences pass a NATS reply (where it answered 503): the pages walked through the API are exactly the differences', async () => {
    // Release 2.0.0: its files recorded straight into delivery's table, as the 3,000 above.
    const v2 = await vendor.expect(201, `/v1/datasets/${datasetId}/versions`, 'POST', { version: '2.0.0', changelog: '重新转写并新增说话人 / re-transcribed, speakers added' });
    await vendor.upload(datasetId, v2.id, 'README.md', Buffer.from('# 粤语方言语音 2.0.0\n'));
    await vendor.expect(200, `/v1/datasets/${datasetId}/versions/${v2.id}/release`, 'POST');
    await withDatabase(deliveryDb(), async (c) => {
      // The recordings of 1.0.0, every 9th dropped and every 4th re-encoded, and 9,000 of new speakers.
      await c.query(
        `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at)
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, $3::uuid, path, size,
                CASE WHEN row_number() OVER (ORDER BY path) % 4 = 0 THEN encode(sha256(('2.0.0 ' || path)::bytea), 'hex') ELSE sha256 END, uploaded_by, now()
           FROM stored_object
          WHERE target = 'version-file' AND dataset_id = $1::uuid AND version_id = $2::uuid AND path LIKE 'audio/%' AND recorded_at IS NOT NULL AND hashtext(path) % 9 <> 0
         UNION ALL
         SELECT 'datasets/' || $1 || '/' || gen_random_uuid(), 'version-file', $1::uuid, $3::uuid,
                'audio/粤语/佛山市/顺德区/新增说话人_' || lpad((i % 89)::text, 3, '0') || '/自然对话录音_' || lpad(i::text, 6, '0') || '.wav',
                2000 + i, encode(sha256(('新增' || i)::bytea), 'hex'), $4, now()
           FROM generate_series(1, 9000) AS i`,
        [datasetId, versionId, v2.id, vendor.organizationId],
      );
      await c.query(`ANALYZE stored_object`);
    });
    const { buyer, entitlementId } = await buyerWithEntitlement(system, '佛山粤语智能 / Foshan Cantonese AI', offerId);
    const files = async (version: string) =>
      new Map<string, { path: string; size: number; sha256: string }>(
        (
          await withDatabase(deliveryDb(), async (c) => (await c.query(`SELECT path, size::int, sha256 FROM stored_object WHERE target = 'version-file' AND version_id = $1 AND recorded_at IS NOT NULL`, [version])).rows)
        ).map((f: { path: string; size: number; sha256: string }) => [f.path, f]),
      );
    const [before, after] = [await files(versionId), await files(v2.id)];
    const byPath = <F extends { path: string }>(list: F[]) => sortFiles(list).map((f) => f.path);
    const expected = {
      added: byPath([...after.values()].filter((f) => !before.has(f.path))),
      removed: byPath([...before.values()].filter((f) => !after.has(f.path))),
      changed: byPath([...after.values()].filter((f) => before.has(f.path) && (before.get(f.path)!.sha256 !== f.sha256 || before.get(f.path)!.size !== f.size))),
    };
    expect(expected.added.length + expected.removed.length + expected.changed.length).toBeGreaterThan(9000);

    const diffOf = (query: string) => system.request(`/v1/entitlements/${entitlementId}/diff?from=${versionId}&to=${v2.id}${query}`, { as: { key: buyer.key } });
    const walked = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
    let bytes = 0;
    let pages = 0;
    for (let cursor: string | null = null; pages === 0 || cursor; pages++) {
      const response = await diffOf(`&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      const page = await json(response);
      expect({ status: response.status, keys: Object.keys(page).sort() }).toEqual({ status: 200, keys: ['added', 'changed', 'from', 'nextCursor', 'removed', 'to'] });
      expect(page.added.length + page.removed.length + page.changed.length).toBeLessThanOrEqual(1000);
      for (const list of ['added', 'removed', 'changed'] as const) walked[list].push(...page[list].map((f: { path: string }) => f.path));
      bytes += Buffer.byteLength(JSON.stringify(page));
      cursor = page.nextCursor;
    }
    expect(walked).toEqual(expected);
    expect({ pages: pages > 2, over1MiB: bytes > 1024 * 1024 }).toEqual({ pages: true, over1MiB: true });

    // A cursor it did not give, and a page size outside 1..1000 or not in decimal digits: 400 naming the field.
    for (const [query, field] of [
      ['&cursor=AA', 'cursor'],
      ['&cursor=%E5%BD%95%E9%9F%B3', 'cursor'],
      ['&limit=1001', 'limit'],
      ['&limit=0x10', 'limit'],
    ]) {
      const response = await diffOf(query);
      const problem = await json(response);
      expect({ query, status: response.status, type: response.headers.get('content-type'), code: problem.code, fields: problem.errors?.map((e: { field: string }) => e.field) }).toEqual({
        query,
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
        code: 'VALIDATION_FAILED',
        fields: [field],
      });
    }

    // The OpenAPI a client is generated from documents the page size, the cursor and nextCursor.
    const doc = await json(await fetch(`${system.gateway.url}/docs-json`));
    const operation = doc.paths['/v1/entitlements/{id}/diff'].get;
    expect(operation.parameters.filter((p: { in: string }) => p.in === 'query').map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'from', 'limit', 'to']);
    expect(operation.parameters.find((p: { name: string }) => p.name === 'limit').schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 500 });
    const schema = doc.components.schemas[operation.responses['200'].content['application/json'].schema.$ref.split('/').pop()];
    expect({ required: schema.required.includes('nextCursor'), nextCursor: schema.properties.nextCursor }).toEqual({ required: true, nextCursor: expect.objectContaining({ type: 'string', nullable: true }) });
  });
});

/**
 * One GET with `range`, read until `wanted` bytes have arrived (the client then closes it, as a
 * download manager does) or the answer ends: `whole` false when it ended first (cut off).
 */
function readUntil(url: string, range: string, wanted: number): Promise<{ status: number; bytes: Buffer; whole: boolean }> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    let answered = false;
    let done = false;
    const req = httpRequest({ host: hostname, port, method: 'GET', path: pathname + search, headers: { range } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let received = 0;
      const finish = (whole: boolean) => {
        if (done) return;
        done = true;
        resolve({ status: res.statusCode ?? 0, bytes: Buffer.concat(chunks).subarray(0, whole ? wanted : received), whole });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        if (res.statusCode === 206 && received >= wanted) {
          req.destroy();
          finish(true);
        }
      });
      for (const event of ['end', 'error', 'close']) res.on(event, () => finish(false));
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    req.end();
  });
}
