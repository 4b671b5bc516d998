import { CatalogEvents, type SignUploadRequest } from '@trove/contracts';
import { UnitOfWork } from '@trove/messaging';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeliveryHarness, newVendor } from './delivery-harness';
import { STORAGE_DRIVERS, type TestStorage } from './storage-drivers';
import { ObjectStorage } from '../src/storage/object-storage';
import { ObjectDeletions } from '../src/uploads/object-deletions';
import { StoredObjectRepository } from '../src/uploads/stored-object.repository';
import { UnconfirmedUploadsSweeper } from '../src/uploads/unconfirmed-uploads.sweeper';
import { withDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';

// The bytes of an object no row needs (a file replaced by a newer upload) are deleted after the
// upload's answer. The key is queued by the transaction that removed the row, so a storage that
// fails the deletion, or a process that dies before it, leaves the key for the sweep rather than
// the bytes in storage for ever.
jest.setTimeout(60_000);

describe.each(STORAGE_DRIVERS)('objects no file needs, with %s', (_name, startStorage) => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const vendor = newVendor();

  beforeAll(async () => {
    storage = await startStorage();
    h = await DeliveryHarness.start(storage);
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  const readme = (): SignUploadRequest => ({ target: 'version-file', datasetId: randomUUID(), versionId: randomUUID(), path: 'README.md' });
  const queued = (): Promise<string[]> =>
    withDatabase(h.db.url, async (client) => (await client.query(`SELECT key FROM object_deletion ORDER BY key`)).rows.map((r: { key: string }) => r.key));

  it('keeps the key of a replaced object whose deletion failed, and the sweep deletes its bytes', async () => {
    const request = readme();
    expect((await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('# 粤语客服对话语料\n第一版'))).status).toBe(201);
    const [earlier] = await h.rows(request.datasetId);

    const deleteObject = jest.spyOn(h.app.get(ObjectStorage), 'delete').mockRejectedValueOnce(new Error('storage unavailable'));
    try {
      expect((await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('# 粤语客服对话语料\n第二版，补了说话人信息'))).status).toBe(201);
      await waitFor('the deletion to be tried', async () => deleteObject.mock.results.length === 1 && (await deleteObject.mock.results[0].value.catch(() => true)));
    } finally {
      deleteObject.mockRestore();
    }
    const [current] = await h.rows(request.datasetId);
    expect(current.key).not.toBe(earlier.key);
    expect(await queued()).toEqual([earlier.key]);
    expect((await storage.keysUnder(`datasets/${request.datasetId}/`)).sort()).toEqual([earlier.key, current.key].sort());

    expect(await h.app.get(ObjectDeletions).sweep(0)).toBe(1);
    expect(await queued()).toEqual([]);
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([current.key]);
  });

  it('deletes, with a file the catalog no longer lists, the older upload of its path a lost confirmation left recorded, and keeps a newer one', async () => {
    const request = readme();
    const { datasetId, versionId } = request;
    expect((await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('# 粤语客服对话语料\n第一版'))).status).toBe(201);
    const [first] = await h.rows(datasetId);
    // The second upload: the catalog recorded it, and delivery died before its confirmation (which
    // drops the first) committed. Then the vendor removed the file, and uploaded the path again,
    // recorded here before the removal's event arrives.
    const second = `datasets/${datasetId}/${randomUUID()}`;
    const third = `datasets/${datasetId}/${randomUUID()}`;
    for (const key of [second, third]) await h.app.get(ObjectStorage).put(key, Readable.from([Buffer.from(`# 粤语客服对话语料\n${key}`)]));
    await withDatabase(h.db.url, (client) =>
      client.query(
        `INSERT INTO stored_object (key, target, dataset_id, version_id, path, size, sha256, uploaded_by, recorded_at, created_at)
         VALUES ($1, 'version-file', $3, $4, 'README.md', 64, repeat('a', 64), 'vendor', NULL, now()),
                ($2, 'version-file', $3, $4, 'README.md', 64, repeat('b', 64), 'vendor', now() + interval '1 second', now() + interval '1 second')`,
        [second, third, datasetId, versionId],
      ),
    );

    await h.app.get(UnitOfWork).run((tx) => tx.publish(CatalogEvents.objectUnlisted, { target: 'version-file', datasetId, versionId, path: 'README.md', storageKey: second }));
    await waitFor('the removal to be applied', async () => !(await h.rows(datasetId)).some((row) => row.key === second));
    expect((await h.rows(datasetId)).map((row) => row.key)).toEqual([third]);
    await waitFor('the bytes to be deleted', async () => (await storage.keysUnder(`datasets/${datasetId}/`)).length === 1);
    expect(await storage.keysUnder(`datasets/${datasetId}/`)).toEqual([third]);
    expect(first.key).not.toBe(third);
  });

  it('deletes the bytes of an upload catalog refused even when its row cannot be removed', async () => {
    const request = readme();
    h.catalogAnswer = () => ({ ok: false, error: { code: 'INVALID_STATE', status: 409, message: 'Version 1.0.0 is released; its files are frozen.' } });
    const remove = jest.spyOn(h.app.get(StoredObjectRepository), 'remove').mockRejectedValueOnce(new Error('the database took no connection'));
    try {
      const answer = await h.put((await h.signUpload(request, vendor)).uploadUrl, Buffer.from('# 粤语客服对话语料\n第三版'));
      expect(answer.status).toBe(409);
    } finally {
      remove.mockRestore();
      h.resetCatalog();
    }
    // No bytes are left for nobody; the unrecorded row is the sweep's (catalog lists none of it).
    expect(await storage.keysUnder(`datasets/${request.datasetId}/`)).toEqual([]);
    expect(await h.rows(request.datasetId)).toEqual([expect.objectContaining({ recorded_at: null })]);
    expect(await h.app.get(UnconfirmedUploadsSweeper).sweep(0)).toEqual({ confirmed: 0, deleted: 1 });
    expect(await h.rows(request.datasetId)).toEqual([]);
  });

  it('deletes at start-up what a process that died left queued, and leaves alone a key queued a moment ago', async () => {
    const datasetId = randomUUID();
    const left = `datasets/${datasetId}/${randomUUID()}`;
    const recent = `datasets/${datasetId}/${randomUUID()}`;
    for (const key of [left, recent]) await h.app.get(ObjectStorage).put(key, Readable.from([Buffer.from('旧版本的标注文件')]));
    await withDatabase(h.db.url, (client) =>
      client.query(`INSERT INTO object_deletion (key, queued_at) VALUES ($1, now() - interval '10 minutes'), ($2, now())`, [left, recent]),
    );

    // A replica starting (as the process that died restarts) sweeps at once.
    await h.replica();
    await waitFor('the left-over object to be deleted', async () => !(await queued()).includes(left));
    expect(await storage.keysUnder(`datasets/${datasetId}/`)).toEqual([recent]);
    // Its own request or pass deletes a key queued a moment ago; the sweep does not race it.
    expect(await queued()).toEqual([recent]);
  });
});
