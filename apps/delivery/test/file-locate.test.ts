import { DeliverySubjects, OrderingEvents, type EntitlementView } from '@trove/contracts';
import type { Caller } from '@trove/platform';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { waitFor } from '../../../test/support/processes';
import { DeliveryHarness } from './delivery-harness';
import { ask, fetchRaw, newBuyer, paidLine, pay, publish, release, speechVersionFiles, uploadVersion } from './downloads-support';
import { fsTestStorage, type TestStorage } from './storage-drivers';

jest.setTimeout(120_000);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * A file of a version by its path (what a Croissant card's `contentUrl` leads to): a signed URL
 * for a buyer whose entitlement covers the version, nothing for anyone else.
 */
describe('locating one file of a version for a buyer', () => {
  let storage: TestStorage;
  let h: DeliveryHarness;
  const datasetId = randomUUID();
  const v1 = randomUUID();
  const v2 = randomUUID();
  const files = speechVersionFiles('locate');
  const audio = files[0];
  const buyer = newBuyer();
  let orderId: string;

  const entitlementOf = (caller: Caller, order: string) =>
    waitFor(`entitlement of order ${order}`, async () => (await ask(h, DeliverySubjects.listEntitlements, {}, caller)).items.find((item: EntitlementView) => item.orderId === order));

  beforeAll(async () => {
    storage = await fsTestStorage();
    h = await DeliveryHarness.start(storage);
    await uploadVersion(h, datasetId, v1, files);
    await release(h, datasetId, v1, '1.0.0');
    await uploadVersion(h, datasetId, v2, files.slice(1));
    await release(h, datasetId, v2, '1.1.0');
    orderId = (await pay(h, buyer, [paidLine(datasetId, [v1], 'commercial')])).orderId;
    await entitlementOf(buyer, orderId);
  });
  afterAll(async () => {
    await h?.stop();
    await storage?.stop();
  });

  it('signs a URL of the file at that path for the buyer, whose bytes are the ones listed', async () => {
    const located = await ask(h, DeliverySubjects.locateFile, { datasetId, versionId: v1, path: audio.path }, buyer);
    expect(located).toEqual({
      entitlementId: expect.any(String),
      versionId: v1,
      path: audio.path,
      size: audio.bytes.length,
      sha256: sha256(audio.bytes),
      url: expect.stringContaining('/files/entitlements/'),
      expiresAt: expect.any(String),
    });
    const answer = await fetchRaw(located.url);
    expect({ status: answer.status, sha256: sha256(answer.body) }).toEqual({ status: 200, sha256: sha256(audio.bytes) });
  });

  it('is NOT_FOUND for another buyer, a version the entitlement does not cover, another dataset and a path the version does not have', async () => {
    const cases = [
      [newBuyer(), { datasetId, versionId: v1, path: audio.path }],
      [buyer, { datasetId, versionId: v2, path: files[1].path }],
      [buyer, { datasetId: randomUUID(), versionId: v1, path: audio.path }],
      [buyer, { datasetId, versionId: v1, path: 'audio/zh-CN/普通话_0002.wav' }],
      [buyer, { datasetId, versionId: v1, path: audio.path.toUpperCase() }],
    ] as const;
    for (const [caller, request] of cases) {
      await expect(ask(h, DeliverySubjects.locateFile, request, caller)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('refuses an empty path or one holding U+0000 as bad input, not as a failure of its own', async () => {
    for (const path of ['', 'audio/zh-CN/\u0000.wav']) {
      await expect(ask(h, DeliverySubjects.locateFile, { datasetId, versionId: v1, path }, buyer)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });

  it('refuses with the entitlement’s own reason once the order is refunded', async () => {
    await publish(h, OrderingEvents.orderRefunded, { orderId });
    await waitFor('the refund applied', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, buyer)).items[0]?.status === 'revoked');
    await expect(ask(h, DeliverySubjects.locateFile, { datasetId, versionId: v1, path: audio.path }, buyer)).rejects.toMatchObject({ code: 'ENTITLEMENT_REVOKED' });
    // Bought again: the new entitlement signs, the revoked one is passed over.
    const again = (await pay(h, buyer, [paidLine(datasetId, [v1], 'commercial')])).orderId;
    const renewed = await entitlementOf(buyer, again);
    expect(await ask(h, DeliverySubjects.locateFile, { datasetId, versionId: v1, path: audio.path }, buyer)).toMatchObject({ entitlementId: renewed.id });
  });
  it('signs under an entitlement whose allowance can hold the file, not a newer one whose share bought cannot, and under the spent one only when no other covers it', async () => {
    const lab = newBuyer();
    const whole = (await pay(h, lab, [paidLine(datasetId, [v1], 'commercial')])).orderId;
    const unlimited = await entitlementOf(lab, whole);
    // One document of the 1,000 the listing declares, bought later: a thousandth of the corpus's bytes.
    const metered = { model: 'metered' as const, unit: 'document', quantity: 1, of: 1000, price: { amount: 1_200, currency: 'CNY' as const } };
    const sliver = (await pay(h, lab, [paidLine(datasetId, [v1], 'commercial', { pricing: metered })])).orderId;
    const share = await entitlementOf(lab, sliver);
    expect(share.allowance!.remainingBytes).toBeLessThan(audio.bytes.length);

    const located = await ask(h, DeliverySubjects.locateFile, { datasetId, versionId: v1, path: audio.path }, lab);
    expect(located.entitlementId).toBe(unlimited.id);
    const answer = await fetchRaw(located.url);
    expect({ status: answer.status, sha256: sha256(answer.body) }).toEqual({ status: 200, sha256: sha256(audio.bytes) });

    // With the whole one refunded, the share is all that covers the file: its URL, and the download says what is left.
    await publish(h, OrderingEvents.orderRefunded, { orderId: whole });
    await waitFor('the refund applied', async () => (await ask(h, DeliverySubjects.listEntitlements, {}, lab)).items.some((item: EntitlementView) => item.id === unlimited.id && item.status === 'revoked'));
    const spent = await ask(h, DeliverySubjects.locateFile, { datasetId, versionId: v1, path: audio.path }, lab);
    expect(spent.entitlementId).toBe(share.id);
    const refused = await fetchRaw(spent.url);
    expect({ status: refused.status, code: JSON.parse(refused.body.toString()).code }).toEqual({ status: 403, code: 'ALLOWANCE_EXHAUSTED' });
  });
  it('allows a share bought its share of the corpus as its versions hold it: a file once by its path and once by its contents across versions', async () => {
    const lab = newBuyer();
    const half = { model: 'metered' as const, unit: 'hour', quantity: 1, of: 2, price: { amount: 90_000, currency: 'CNY' as const } };
    const bytes = (list: { bytes: Buffer }[]) => list.reduce((sum, file) => sum + file.bytes.length, 0);
    const share = async (dataset: string, versions: string[]) => (await entitlementOf(lab, (await pay(h, lab, [paidLine(dataset, versions, 'commercial', { pricing: half })])).orderId)).allowance!.bytes;
    const released = async (dataset: string, version: string, label: string, list: { path: string; bytes: Buffer }[]) => {
      await uploadVersion(h, dataset, version, list);
      await release(h, dataset, version, label);
    };

    // v2 repeats two files of v1 as they were: the corpus is v1's files, once.
    expect(await share(datasetId, [v1, v2])).toBe(Math.ceil(bytes(files) / 2));

    // A second release of new files only: the corpus is both releases.
    const [delta, first, added] = [randomUUID(), randomUUID(), randomUUID()];
    const firstFiles = speechVersionFiles('delta-1');
    const addedFiles = speechVersionFiles('delta-2').map((file) => ({ ...file, path: `more/${file.path}` }));
    await released(delta, first, '1.0.0', firstFiles);
    await released(delta, added, '1.1.0', addedFiles);
    expect(await share(delta, [first, added])).toBe(Math.ceil((bytes(firstFiles) + bytes(addedFiles)) / 2));

    // A new edition whose every file changed (re-encoded): still one corpus, at the new sizes,
    // not two (half of it used to be a whole edition).
    const [edition, old, reencoded] = [randomUUID(), randomUUID(), randomUUID()];
    const oldFiles = speechVersionFiles('edition-1');
    const newFiles = speechVersionFiles('edition-2').map((file) => ({ ...file, bytes: Buffer.concat([file.bytes, Buffer.from('\n')]) }));
    await released(edition, old, '1.0.0', oldFiles);
    await released(edition, reencoded, '2.0.0', newFiles);
    expect(await share(edition, [old, reencoded])).toBe(Math.ceil(bytes(newFiles) / 2));

    // The same files moved to a new layout: one corpus, not two.
    const [moved, before, after] = [randomUUID(), randomUUID(), randomUUID()];
    const laidOut = speechVersionFiles('layout');
    await released(moved, before, '1.0.0', laidOut);
    await released(moved, after, '2.0.0', laidOut.map((file) => ({ ...file, path: `data/${file.path}` })));
    expect(await share(moved, [before, after])).toBe(Math.ceil(bytes(laidOut) / 2));

    // A file changed in one release and moved in the next: only its last form counts.
    const [chain, v10, v11, v20] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [draft, fixed] = [randomBytes(3000), randomBytes(5000)];
    await released(chain, v10, '1.0.0', [{ path: 'corpus/part-0001.jsonl', bytes: draft }]);
    await released(chain, v11, '1.1.0', [{ path: 'corpus/part-0001.jsonl', bytes: fixed }]);
    await released(chain, v20, '2.0.0', [{ path: 'data/zh-CN/part-0001.jsonl', bytes: fixed }]);
    expect(await share(chain, [v10, v11, v20])).toBe(2500);

    // The newest is the last the line lists (the catalog's release order), whether or not
    // delivery has heard of the releases yet: none is announced here.
    const [unheard, early, late] = [randomUUID(), randomUUID(), randomUUID()];
    await uploadVersion(h, unheard, early, [{ path: 'corpus.jsonl', bytes: randomBytes(100) }]);
    await uploadVersion(h, unheard, late, [{ path: 'corpus.jsonl', bytes: randomBytes(900) }]);
    expect(await share(unheard, [early, late])).toBe(450);
    expect(await share(unheard, [late, early])).toBe(50);

    // Two files of one version with the same contents are two files to download.
    const [twins, only] = [randomUUID(), randomUUID()];
    const same = randomBytes(4096);
    await released(twins, only, '1.0.0', [
      { path: 'shard-0001.bin', bytes: same },
      { path: 'shard-0002.bin', bytes: same },
    ]);
    expect(await share(twins, [only])).toBe(4096);
  });
});
