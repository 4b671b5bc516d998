import { createHash, createPublicKey, randomUUID, verify } from 'node:crypto';
import { merkleRoot, rootStatement, sortFiles } from '../../apps/delivery/src/manifests/merkle';
import { speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { apiPost, buyerWithEntitlement, recordUtterances } from '../support/delivery-flow';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** A speech corpus of about 100 hours: a file per utterance. */
const UTTERANCES = 50_000;

interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  url: string;
  expiresAt: string;
}

/**
 * The manifest of a large corpus through the public API: the gateway writes it as delivery's pages
 * arrive, in the same JSON as before, and delivery reads the root it kept instead of every file.
 */
describe('manifests of large corpora, through the public API', () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  let datasetId: string;
  let versionId: string;
  let offerId: string;
  const files: Record<string, Buffer> = {
    'README.md': Buffer.from('# 粤语方言语音 / Cantonese dialect speech, 100 h\n'),
    'zz/最后/metadata.jsonl': Buffer.from('{"speaker":"F031","dialect":"粤语"}\n'),
  };

  const post = (path: string, who: string | 'admin', body?: unknown) => apiPost(system, path, who, body);
  const deliveryDb = () => system.databases.get('delivery')!.url;
  const buy = async (name: string) => buyerWithEntitlement(system, name, offerId);

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'ordering', 'billing', 'delivery'], env: { LOG_LEVEL: 'warn' } });
    vendor = await VendorClient.signUp(system, '广州方言数据 / Guangzhou Dialect Data');
    const { dataset, version, offer } = await vendor.listing(speechListing(), files);
    [datasetId, versionId, offerId] = [dataset.id, version.id, offer.id];
    await vendor.expect(200, `/v1/datasets/${datasetId}/submit`, 'POST');
    expect((await post(`/v1/admin/datasets/${datasetId}/approve`, 'admin')).status).toBe(200);
    await recordUtterances(deliveryDb(), { datasetId, versionId, vendorOrganizationId: vendor.organizationId }, UTTERANCES);
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('answers the manifest of a version of 50,000 files with 200 and every file once, in the JSON it always had, under a root that verifies', async () => {
    const { buyer, entitlementId } = await buy('粤语大模型实验室 / Cantonese LLM Lab');
    const correlationId = `manifest-${randomUUID()}`;
    const response = await system.request(`/v1/entitlements/${entitlementId}/manifest`, { as: { key: buyer.key }, headers: { 'x-correlation-id': correlationId } });
    const text = await response.text();
    expect({ status: response.status, type: response.headers.get('content-type'), correlationId: response.headers.get('x-correlation-id'), nosniff: response.headers.get('x-content-type-options') }).toEqual({
      status: 200,
      type: 'application/json; charset=utf-8',
      correlationId,
      nosniff: 'nosniff',
    });
    const manifest = JSON.parse(text);
    // The same bytes JSON.stringify gives the whole manifest, fields in the order of the contract.
    expect(text).toBe(JSON.stringify(manifest));
    expect(Object.keys(manifest)).toEqual(['datasetId', 'entitlementId', 'versions']);
    expect({ datasetId: manifest.datasetId, entitlementId: manifest.entitlementId, versions: manifest.versions.length }).toEqual({ datasetId, entitlementId, versions: 1 });
    const [version] = manifest.versions;
    expect(Object.keys(version)).toEqual(['id', 'version', 'files', 'root', 'rootSignature']);
    const listed: ManifestFile[] = version.files;
    expect({ id: version.id, files: listed.length, distinct: new Set(listed.map((f) => f.path)).size }).toEqual({ id: versionId, files: UTTERANCES + 2, distinct: UTTERANCES + 2 });
    expect(Object.keys(listed[0])).toEqual(['path', 'size', 'sha256', 'url', 'expiresAt']);
    expect(listed.map((f) => f.path)).toEqual(sortFiles(listed).map((f) => f.path));

    // What a buyer checks with the manifest alone: the root of the files listed, and its signature.
    expect(version.root).toBe(merkleRoot(listed));
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(version.rootSignature.publicKey, 'base64')]);
    expect(verify(null, Buffer.from(rootStatement(datasetId, versionId, version.root)), createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(version.rootSignature.sig, 'base64'))).toBe(true);
    // Delivery kept the root of the released version, and answers it to the next manifest.
    expect(await withDatabase(deliveryDb(), async (c) => (await c.query(`SELECT root, file_count FROM version_root WHERE version_id = $1`, [versionId])).rows)).toEqual([
      { root: version.root, file_count: UTTERANCES + 2 },
    ]);
    const again = await json(await system.request(`/v1/entitlements/${entitlementId}/manifest`, { as: { key: buyer.key } }));
    expect({ root: again.versions[0].root, files: again.versions[0].files.length }).toEqual({ root: version.root, files: UTTERANCES + 2 });

    for (const [path, bytes] of Object.entries(files)) {
      const file = listed.find((f) => f.path === path)!;
      const download = await fetch(file.url);
      expect({ path, status: download.status, sha256: sha256(Buffer.from(await download.arrayBuffer())) }).toEqual({ path, status: 200, sha256: sha256(bytes) });
    }
  });

  it("answers another buyer's request for that manifest with 404 problem+json, before any file", async () => {
    const { entitlementId } = await buy('深圳语音科技 / Shenzhen Speech Tech');
    const rival = { key: (await json(await system.request('/v1/organizations', { method: 'POST', as: 'anonymous', body: JSON.stringify({ name: '竞争对手 / Rival Lab', kind: 'buyer', contactEmail: 'data@example.cn' }) }))).apiKey as string };
    const response = await system.request(`/v1/entitlements/${entitlementId}/manifest`, { as: { key: rival.key } });
    const problem = await json(response);
    expect({ status: response.status, type: response.headers.get('content-type'), code: problem.code, correlationId: typeof response.headers.get('x-correlation-id') }).toEqual({
      status: 404,
      type: expect.stringMatching(/^application\/problem\+json/),
      code: 'NOT_FOUND',
      correlationId: 'string',
    });
    expect(JSON.stringify(problem)).not.toContain('files');
  });

  // Last: it stops delivery.
  it('cuts the answer off, never ends it as if it were whole, when a page fails after the first bytes went out', async () => {
    const { buyer, entitlementId } = await buy('北京语料公司 / Beijing Corpus Co');
    const response = await system.request(`/v1/entitlements/${entitlementId}/manifest`, { as: { key: buyer.key } });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString('utf8')).toMatch(/^\{"datasetId":/);
    // Most of the 30 MB are still to come, and delivery is gone: the next page the gateway asks for is 503.
    await system.app('delivery').stop();
    const rest = async () => {
      for (;;) if ((await reader.read()).done) return 'ended as if whole';
    };
    await expect(rest()).rejects.toThrow();
  });
});
