import { createHash, randomBytes } from 'node:crypto';
import { STORAGE_DRIVERS, type TestStorage } from '../../apps/delivery/test/storage-drivers';
import { commercialOffer, sha256Hex, speechListing, VendorClient } from '../support/catalog';
import { withDatabase } from '../support/postgres';
import { waitFor } from '../support/processes';
import { json, TroveSystem } from '../support/system';

jest.setTimeout(300_000);

interface Version {
  id: string;
  status: string;
  fileCount: number;
  totalBytes: number;
}

/** A path as the route takes it: each segment percent-encoded. */
const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/**
 * A vendor takes back what it uploaded by mistake: a stray file of an open version, a sample it
 * no longer wants to show. Through the public API with the gateway, catalog and delivery running
 * as their own processes, on each storage driver: the catalog stops listing it, the counts and
 * the vendor's storage drop, and delivery deletes the bytes, while nothing frozen can be removed.
 */
describe.each(STORAGE_DRIVERS)('a vendor removes a file of an open version and a sample, %s', (_name, startStorage) => {
  let storage: TestStorage;
  let system: TroveSystem;
  let vendor: VendorClient;
  let other: VendorClient;
  let datasetId: string;
  let versionId: string;
  const files: Record<string, Buffer> = {
    'audio/普通话/utt_000001.wav': randomBytes(4_096),
    'audio/普通话/utt_000002.wav': randomBytes(4_096),
    'audio/.DS_Store': randomBytes(612),
    'transcripts.jsonl': Buffer.from('{"id":"utt_000001","text":"请帮我查一下本月的话费"}\n{"id":"utt_000002","text":"明天上海天气怎么样"}\n'),
  };

  const catalogKeys = (sql: string, params: unknown[]) =>
    withDatabase(system.databases.get('catalog')!.url, async (client) => (await client.query<{ storage_key: string }>(sql, params)).rows.map((row) => row.storage_key));
  const storedKeys = () => storage.keysUnder(`datasets/${datasetId}/`);
  const version = async (): Promise<Version> => (await vendor.expect(200, `/v1/datasets/${datasetId}/versions?limit=10`)).items.find((v: Version) => v.id === versionId);
  const listedPaths = async (): Promise<string[]> => (await vendor.expect(200, `/v1/datasets/${datasetId}/versions/${versionId}/files?limit=100`)).items.map((f: { path: string }) => f.path);
  const removeFile = (path: string, as: VendorClient = vendor) => as.call(`/v1/datasets/${datasetId}/versions/${versionId}/files/${encodePath(path)}`, 'DELETE');
  const problem = async (response: Response) => ({ status: response.status, code: (await json(response))?.code });

  beforeAll(async () => {
    storage = await startStorage();
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'delivery'], env: { LOG_LEVEL: 'warn', ...storage.env } });
    vendor = await VendorClient.signUp(system, '海天瑞声 SpeechOcean');
    other = await VendorClient.signUp(system, '标贝科技 DataBaker');
    datasetId = (await vendor.expect(201, '/v1/datasets', 'POST', speechListing())).id;
    versionId = (await vendor.expect(201, `/v1/datasets/${datasetId}/versions`, 'POST', { version: '1.0.0', changelog: '首批 2 条普通话语音 / First two Mandarin utterances' })).id;
    for (const [path, bytes] of Object.entries(files)) await vendor.upload(datasetId, versionId, path, bytes);
  });

  afterAll(async () => {
    await system?.stop();
    await storage?.stop();
  });

  it('takes a stray file out of the open version: the list, fileCount and totalBytes drop, and delivery deletes its bytes', async () => {
    const [strayKey] = await catalogKeys(`SELECT storage_key FROM version_file WHERE version_id = $1 AND path = $2`, [versionId, 'audio/.DS_Store']);
    expect(await storedKeys()).toContain(strayKey);
    const before = await version();
    expect(before).toMatchObject({ status: 'open', fileCount: 4 });

    expect((await removeFile('audio/.DS_Store')).status).toBe(204);

    expect(await listedPaths()).toEqual(['audio/普通话/utt_000001.wav', 'audio/普通话/utt_000002.wav', 'transcripts.jsonl']);
    expect(await version()).toMatchObject({ fileCount: 3, totalBytes: before.totalBytes - files['audio/.DS_Store'].length });
    await waitFor('the removed file’s bytes to be deleted', async () => !(await storedKeys()).includes(strayKey));
    // The other files' bytes stay.
    expect(await storedKeys()).toHaveLength(3);
    const rows = await withDatabase(system.databases.get('delivery')!.url, async (client) => (await client.query(`SELECT 1 FROM stored_object WHERE key = $1`, [strayKey])).rowCount);
    expect(rows).toBe(0);
    // The audit names who did it to which listing: catalog writes the record with the removal,
    // and the gateway files it from catalog's outbox.
    const audit = await waitFor('the removal’s audit record', async () => {
      const page = await json(await system.request(`/v1/admin/audit?action=dataset.version.file.remove&actor=${vendor.organizationId}`));
      return page.items.length > 0 && page.items;
    });
    expect(audit).toEqual([expect.objectContaining({ outcome: 'success', status: 204, target: { type: 'dataset', id: datasetId } })]);
  });

  it('finds a file by its Chinese path percent-encoded, and takes a new upload under the removed path', async () => {
    expect((await removeFile('audio/普通话/utt_000002.wav')).status).toBe(204);
    expect(await listedPaths()).toEqual(['audio/普通话/utt_000001.wav', 'transcripts.jsonl']);
    const again = randomBytes(2_048);
    expect(await vendor.upload(datasetId, versionId, 'audio/普通话/utt_000002.wav', again)).toEqual({ path: 'audio/普通话/utt_000002.wav', size: again.length, sha256: sha256Hex(again) });
    expect(await listedPaths()).toEqual(['audio/普通话/utt_000001.wav', 'audio/普通话/utt_000002.wav', 'transcripts.jsonl']);
  });

  it('refuses what it cannot remove and changes nothing: a path not listed, another vendor, a path that is no path', async () => {
    const listed = await listedPaths();
    const count = (await storedKeys()).length;
    expect(await problem(await removeFile('audio/.DS_Store'))).toEqual({ status: 404, code: 'NOT_FOUND' });
    // Paths are exact: another case, or a folder, is not the file.
    expect(await problem(await removeFile('Transcripts.jsonl'))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await problem(await removeFile('audio/普通话'))).toEqual({ status: 404, code: 'NOT_FOUND' });
    // Another vendor learns nothing of the listing.
    expect(await problem(await removeFile('transcripts.jsonl', other))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await problem(await vendor.call(`/v1/datasets/${datasetId}/versions/${versionId}/files/bad%00path`, 'DELETE'))).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(await listedPaths()).toEqual(listed);
    expect(await storedKeys()).toHaveLength(count);
  });

  it('removes a sample: its page stops showing it, its URL stops serving, and its bytes go', async () => {
    const preview = randomBytes(8_000);
    const signed = await vendor.expect(201, `/v1/datasets/${datasetId}/samples`, 'POST', { path: 'samples/utt_000001.wav', size: preview.length, sha256: sha256Hex(preview) });
    expect((await fetch(signed.uploadUrl, { method: 'PUT', body: preview, headers: { 'content-type': 'audio/wav' } })).status).toBe(201);
    const [sample] = (await vendor.expect(200, `/v1/datasets/${datasetId}`)).samples;
    const { url } = await vendor.expect(200, `/v1/datasets/${datasetId}/samples/${sample.id}`);
    const served = await fetch(url);
    expect(createHash('sha256').update(Buffer.from(await served.arrayBuffer())).digest('hex')).toBe(sha256Hex(preview));
    const [sampleKey] = await catalogKeys(`SELECT storage_key FROM sample WHERE id = $1`, [sample.id]);

    expect(await problem(await other.call(`/v1/datasets/${datasetId}/samples/${sample.id}`, 'DELETE'))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect((await vendor.call(`/v1/datasets/${datasetId}/samples/${sample.id}`, 'DELETE')).status).toBe(204);

    expect((await vendor.expect(200, `/v1/datasets/${datasetId}`)).samples).toEqual([]);
    expect(await problem(await vendor.call(`/v1/datasets/${datasetId}/samples/${sample.id}`))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await problem(await vendor.call(`/v1/datasets/${datasetId}/samples/${sample.id}`, 'DELETE'))).toEqual({ status: 404, code: 'NOT_FOUND' });
    await waitFor('the removed sample’s bytes to be deleted', async () => !(await storedKeys()).includes(sampleKey));
    expect((await fetch(url)).status).toBe(404);
  });

  it('removes nothing from a released version or a listing in review: 409, and the file stays', async () => {
    const released = await vendor.expect(201, `/v1/datasets/${datasetId}/versions`, 'POST', { version: '1.1.0', changelog: '补充 1 条 / One more utterance' });
    await vendor.upload(datasetId, released.id, 'audio/普通话/utt_000003.wav', randomBytes(1_024));
    await vendor.expect(200, `/v1/datasets/${datasetId}/versions/${released.id}/release`, 'POST');
    const frozen = await vendor.call(`/v1/datasets/${datasetId}/versions/${released.id}/files/${encodePath('audio/普通话/utt_000003.wav')}`, 'DELETE');
    expect(await problem(frozen)).toEqual({ status: 409, code: 'INVALID_STATE' });
    expect((await vendor.expect(200, `/v1/datasets/${datasetId}/versions/${released.id}/files`)).items).toHaveLength(1);

    const preview = randomBytes(1_000);
    const signed = await vendor.expect(201, `/v1/datasets/${datasetId}/samples`, 'POST', { path: 'samples/utt_000003.wav', size: preview.length, sha256: sha256Hex(preview) });
    expect((await fetch(signed.uploadUrl, { method: 'PUT', body: preview })).status).toBe(201);
    const [sample] = (await vendor.expect(200, `/v1/datasets/${datasetId}`)).samples;
    await vendor.expect(201, `/v1/datasets/${datasetId}/offers`, 'POST', commercialOffer());
    await vendor.expect(200, `/v1/datasets/${datasetId}/submit`, 'POST');
    expect(await problem(await removeFile('transcripts.jsonl'))).toEqual({ status: 409, code: 'INVALID_STATE' });
    expect(await problem(await vendor.call(`/v1/datasets/${datasetId}/samples/${sample.id}`, 'DELETE'))).toEqual({ status: 409, code: 'INVALID_STATE' });
    expect(await listedPaths()).toContain('transcripts.jsonl');
    expect((await vendor.expect(200, `/v1/datasets/${datasetId}`)).samples).toHaveLength(1);
  });
});
