import type { CreateUploadRequest, DatasetDetail } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DatasetsService } from '../src/datasets/datasets.service';
import { OffersService } from '../src/offers/offers.service';
import { SamplesService } from '../src/samples/samples.service';
import { UploadsService } from '../src/uploads/uploads.service';
import { VersionsService } from '../src/versions/versions.service';
import { withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { startCatalogModule, type CatalogModule } from './catalog-module';

/**
 * Moderation through the catalog's own services: an operator decides on what the vendor
 * submitted, so a listing in review refuses every change its vendor could make to it, as the
 * metadata edit always did, whichever way the change arrives (the vendor's request, or delivery
 * recording an upload signed before the submit). After the decision the same changes work again.
 */
jest.setTimeout(120_000);

const owner: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() };

/** What a listing was submitted with, named for the changes that touch it. */
interface Parts {
  datasetId: string;
  offerId: string;
  /** Open, holding one file: it could be released. */
  openVersionId: string;
}

describe('a listing in review holds still until the operator decides', () => {
  let catalog: CatalogModule;
  let db: TestDatabase;
  let moduleRef: TestingModule;
  /** What the catalog asked delivery to sign: nothing while a listing is in review. */
  let signed: unknown[];

  const datasets = () => moduleRef.get(DatasetsService);
  const offers = () => moduleRef.get(OffersService);
  const versions = () => moduleRef.get(VersionsService);
  const detail = (id: string): Promise<DatasetDetail> => moduleRef.get(UnitOfWork).read(() => datasets().detail(owner, id));
  const expensive = (datasetId: string) =>
    ({ datasetId, license: { template: 'commercial' }, pricing: { model: 'one_time', price: { amount: 999_999_999, currency: 'CNY' } } }) as never;
  const file = (path: string) => ({ path, size: 4096, sha256: 'c'.repeat(64), storageKey: `objects/${randomUUID()}` });

  /** A draft ready to submit: 1.0.0 released, 1.1.0 open with a file, an offer, a sample. */
  async function ready(title: string): Promise<Parts> {
    const datasetId = (await datasets().create(owner, { ...exampleMetadata('speech'), title, description: `${title}: 电话客服录音与转写` } as never)).id;
    const released = await versions().create(owner, datasetId, '1.0.0', '首个版本 / First release');
    await versions().addFile(owner, { datasetId, versionId: released.id, ...file('data/part-0001.jsonl') });
    await versions().release(owner, datasetId, released.id);
    const open = await versions().create(owner, datasetId, '1.1.0', undefined);
    await versions().addFile(owner, { datasetId, versionId: open.id, ...file('data/part-0002.jsonl') });
    const offerId = (
      await offers().create(owner, { datasetId, license: { template: 'commercial' }, pricing: { model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } } } as never)
    ).id;
    await moduleRef.get(SamplesService).add(owner, { datasetId, ...file('samples/utt_000001.wav') });
    return { datasetId, offerId, openVersionId: open.id };
  }

  /** Every change a vendor can make to what is under review, one call each. */
  function changes({ datasetId, offerId, openVersionId }: Parts): [string, () => Promise<unknown>][] {
    const samples = moduleRef.get(SamplesService);
    // As its handler runs it: on a read of its own, outside any transaction.
    const upload = (request: CreateUploadRequest) => moduleRef.get(UnitOfWork).read(() => moduleRef.get(UploadsService).create(owner, request));
    return [
      ['edit the metadata', () => datasets().update(owner, datasetId, { tags: ['改价'] })],
      ['create an offer', () => offers().create(owner, expensive(datasetId))],
      ['withdraw the reviewed offer', () => offers().withdraw(owner, datasetId, offerId)],
      ['open a version', () => versions().create(owner, datasetId, '2.0.0', '换了文件 / other files')],
      ['ask for a version-file upload URL', () => upload({ target: 'version-file', datasetId, versionId: openVersionId, path: 'data/part-0003.jsonl' })],
      ['record a version file as the vendor', () => versions().addFile(owner, { datasetId, versionId: openVersionId, ...file('data/part-0004.jsonl') })],
      ['record a version file without a caller', () => versions().addFile(undefined, { datasetId, versionId: openVersionId, ...file('data/part-0005.jsonl') })],
      ['release a version', () => versions().release(owner, datasetId, openVersionId)],
      ['ask for a sample upload URL', () => upload({ target: 'sample', datasetId, path: 'samples/other.wav' })],
      ['record a sample as the vendor', () => samples.add(owner, { datasetId, ...file('samples/other.wav') })],
      ['record a sample without a caller', () => samples.add(undefined, { datasetId, ...file('samples/third.wav') })],
    ];
  }

  /** Each change's outcome: `ok`, or the error's status and code. */
  async function attempt(parts: Parts): Promise<Record<string, string>> {
    const outcomes: Record<string, string> = {};
    for (const [name, change] of changes(parts)) {
      outcomes[name] = await change().then(
        () => 'ok',
        (error: { status?: number; code?: string }) => `${error.status} ${error.code}`,
      );
    }
    return outcomes;
  }

  const all = (parts: Parts, outcome: string) => Object.fromEntries(changes(parts).map(([name]) => [name, outcome]));

  beforeAll(async () => {
    catalog = await startCatalogModule('moderation');
    ({ moduleRef, db } = catalog);
  });

  beforeEach(() => {
    signed = [];
    // Delivery is not running here: its signing answers a URL, and says what it was asked.
    jest.spyOn(moduleRef.get(RpcClient), 'send').mockImplementation((async (_rpc: unknown, request: unknown) => {
      signed.push(request);
      return { uploadUrl: 'http://delivery.invalid/upload', expiresAt: new Date(Date.now() + 900_000).toISOString() };
    }) as never);
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(() => catalog?.stop());

  it('refuses every change while in review as PATCH does (409 INVALID_STATE), and changes nothing', async () => {
    const parts = await ready('普通话电话客服语音 600 小时');
    await datasets().submit(owner, parts.datasetId, 'active');
    const before = await detail(parts.datasetId);

    expect(await attempt(parts)).toEqual(all(parts, '409 INVALID_STATE'));
    await expect(datasets().update(owner, parts.datasetId, { tags: ['改价'] })).rejects.toThrow('The dataset is in review; it can be edited again once an operator has approved or rejected it.');
    await expect(offers().create(owner, expensive(parts.datasetId))).rejects.toThrow(/^The dataset is in review; .* once an operator has approved or rejected it\.$/);

    // The operator sees exactly what was submitted: same versions and files, offers, samples.
    expect(await detail(parts.datasetId)).toEqual(before);
    expect(before.offers).toEqual([expect.objectContaining({ id: parts.offerId, status: 'active', pricing: { model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } } })]);
    expect(before.versions.map((v) => [v.version, v.status, v.files.map((f) => f.path)])).toEqual([
      ['1.0.0', 'released', ['data/part-0001.jsonl']],
      ['1.1.0', 'open', ['data/part-0002.jsonl']],
    ]);
    expect(before.samples.map((s) => s.path)).toEqual(['samples/utt_000001.wav']);
    expect(signed).toEqual([]);

    // Approved, it is published with what was reviewed.
    const published = await datasets().approve(parts.datasetId);
    expect(published.status).toBe('published');
    const after = await detail(parts.datasetId);
    expect({ versions: after.versions, offers: after.offers, samples: after.samples }).toEqual({ versions: before.versions, offers: before.offers, samples: before.samples });
  });

  it('takes every change again once the listing is rejected', async () => {
    const parts = await ready('四川话车载语音 300 小时');
    await datasets().submit(owner, parts.datasetId, 'active');
    await datasets().reject(parts.datasetId, '缺少说话人同意书 / Speaker consent records missing');

    expect(await attempt(parts)).toEqual(all(parts, 'ok'));
    const fixed = await detail(parts.datasetId);
    expect(fixed.metadata.tags).toEqual(['改价']);
    expect(fixed.offers.map((o) => [o.status, o.pricing.price?.amount])).toEqual([
      ['withdrawn', 12_800_000],
      ['active', 999_999_999],
    ]);
    expect(fixed.versions.map((v) => [v.version, v.status, v.files.map((f) => f.path)])).toEqual([
      ['1.0.0', 'released', ['data/part-0001.jsonl']],
      ['1.1.0', 'released', ['data/part-0002.jsonl', 'data/part-0004.jsonl', 'data/part-0005.jsonl']],
      ['2.0.0', 'open', []],
    ]);
    expect(fixed.samples.map((s) => s.path)).toEqual(['samples/other.wav', 'samples/third.wav', 'samples/utt_000001.wav']);
    expect(signed).toEqual([
      expect.objectContaining({ target: 'version-file', datasetId: parts.datasetId, versionId: parts.openVersionId, path: 'data/part-0003.jsonl' }),
      expect.objectContaining({ target: 'sample', datasetId: parts.datasetId, path: 'samples/other.wav' }),
    ]);
    // Fixed, it goes back to review, where it holds still again.
    await datasets().submit(owner, parts.datasetId, 'active');
    await expect(offers().create(owner, expensive(parts.datasetId))).rejects.toMatchObject({ status: 409, code: 'INVALID_STATE' });
  });

  it('takes every change again once the listing is approved; a suspended one still takes no new offer', async () => {
    const parts = await ready('粤语新闻朗读 80 小时');
    await datasets().submit(owner, parts.datasetId, 'active');
    await datasets().approve(parts.datasetId);
    expect(await attempt(parts)).toEqual(all(parts, 'ok'));
    expect((await detail(parts.datasetId)).status).toBe('published');

    const suspended = await ready('吴语上海话对话 120 小时');
    await datasets().submit(owner, suspended.datasetId, 'active');
    await datasets().approve(suspended.datasetId);
    await datasets().suspend(suspended.datasetId);
    expect(await attempt(suspended)).toEqual({ ...all(suspended, 'ok'), 'create an offer': '409 INVALID_STATE' });
  });

  it('publishes a listing in review only while it still has a released version and a live offer', async () => {
    const parts = await ready('儿童普通话朗读 50 小时');
    await datasets().submit(owner, parts.datasetId, 'active');
    // The offer expires while the listing waits in the queue.
    await withDatabase(db.url, (c) => c.query(`UPDATE offer SET expires_at = now() - interval '1 minute' WHERE id = $1`, [parts.offerId]));
    const refused = datasets().approve(parts.datasetId);
    await expect(refused).rejects.toMatchObject({ status: 409, code: 'INVALID_STATE' });
    await expect(refused).rejects.toThrow(/needs a live offer before it can be published/);
    expect((await detail(parts.datasetId)).status).toBe('in_review');

    // Nor without a released version (the listing holds still, so only a write around the
    // catalog could take it away: the check holds anyway).
    await withDatabase(db.url, (c) => c.query(`UPDATE dataset_version SET status = 'open', released_at = NULL WHERE dataset_id = $1`, [parts.datasetId]));
    await expect(datasets().approve(parts.datasetId)).rejects.toThrow(/needs a released version and a live offer before it can be published/);

    // The operator rejects it; the vendor fixes it and submits again; now it is published.
    await datasets().reject(parts.datasetId, '报价已过期 / The offer has expired');
    await versions().release(owner, parts.datasetId, parts.openVersionId);
    await offers().create(owner, expensive(parts.datasetId));
    await datasets().submit(owner, parts.datasetId, 'active');
    expect((await datasets().approve(parts.datasetId)).status).toBe('published');
  });

  it('reinstates a suspended listing without checking again what it sells', async () => {
    const parts = await ready('闽南语广播语音 120 小时');
    await datasets().submit(owner, parts.datasetId, 'active');
    await datasets().approve(parts.datasetId);
    await datasets().suspend(parts.datasetId);
    // Suspended, it may withdraw its offers (it takes no new ones); reinstating still works.
    await offers().withdraw(owner, parts.datasetId, parts.offerId);
    expect((await datasets().approve(parts.datasetId)).status).toBe('published');
  });
});
