import { CatalogErrorCode, DeliverySubjects, type CreateUploadRequest } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DatasetsService } from '../src/datasets/datasets.service';
import { SamplesService } from '../src/samples/samples.service';
import { UploadsService } from '../src/uploads/uploads.service';
import { VersionRepository } from '../src/versions/version.repository';
import { VersionsService } from '../src/versions/versions.service';
import { withDatabase } from '../../../test/support/postgres';
import { startCatalogModule, type CatalogModule } from './catalog-module';

/**
 * A vendor that signed up is pending until an operator approves it; until then its listings may
 * hold PENDING_VENDOR_STORAGE_BYTES, afterwards VENDOR_STORAGE_BYTES. The limits here are tiny
 * (10,000 and 50,000 bytes) so that files of a few kilobytes reach them.
 */
jest.setTimeout(60_000);

const PENDING = 10_000;
const APPROVED = 50_000;

describe("a vendor's storage", () => {
  let catalog: CatalogModule;
  let moduleRef: TestingModule;
  let signed: { maxBytes?: number }[];
  const versions = () => moduleRef.get(VersionsService);

  beforeAll(async () => {
    catalog = await startCatalogModule('storage_quota', { PENDING_VENDOR_STORAGE_BYTES: String(PENDING), VENDOR_STORAGE_BYTES: String(APPROVED) });
    moduleRef = catalog.moduleRef;
    // Delivery is not running here: the catalog's request for a URL is recorded and answered.
    jest.spyOn(moduleRef.get(RpcClient), 'send').mockImplementation((async (rpc: { subject: string }, request: { maxBytes?: number }) => {
      if (rpc.subject !== DeliverySubjects.signUpload.subject) throw new Error(`unexpected ${rpc.subject}`);
      signed.push(request);
      return { uploadUrl: 'http://delivery.invalid/upload', expiresAt: new Date(Date.now() + 900_000).toISOString() };
    }) as never);
  });
  beforeEach(() => (signed = []));
  afterAll(async () => {
    jest.restoreAllMocks();
    await catalog?.stop();
  });

  const newVendor = (): Caller => ({ organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() });
  const file = (path: string, size: number) => ({ path, size, sha256: 'a'.repeat(64), storageKey: `objects/${randomUUID()}` });

  async function openVersion(vendor: Caller): Promise<{ datasetId: string; versionId: string }> {
    const datasetId = (await moduleRef.get(DatasetsService).create(vendor, { ...exampleMetadata('speech'), title: '闽南语电话客服录音 120 小时', description: '闽南语客服电话录音，含转写。' } as never)).id;
    const versionId = (await versions().create(vendor, datasetId, '1.0.0', undefined)).id;
    return { datasetId, versionId };
  }

  const outcome = (work: Promise<unknown>) =>
    work.then(
      () => 'ok',
      (error: { status?: number; code?: string }) => `${error.status} ${error.code}`,
    );
  const askUpload = (vendor: Caller, request: Omit<CreateUploadRequest, 'target'> & { target?: CreateUploadRequest['target'] }) =>
    moduleRef.get(UnitOfWork).read(() => moduleRef.get(UploadsService).create(vendor, { target: 'version-file', ...request } as CreateUploadRequest));
  const paths = (versionId: string) => moduleRef.get(UnitOfWork).read(async () => (await moduleRef.get(VersionRepository).files(versionId, 100)).map((f) => `${f.path} ${f.size}`));
  const approve = (vendor: Caller) =>
    withDatabase(catalog.db.url, (client) => client.query(`INSERT INTO organization_standing (organization_id, status, changed_at) VALUES ($1, 'active', now())`, [vendor.organizationId]));

  it('caps a pending vendor: the URL holds what is left, a file past it is 413 when asked for and when recorded, and replacing a file counts only the difference', async () => {
    const vendor = newVendor();
    const { datasetId, versionId } = await openVersion(vendor);
    await versions().addFile(vendor, { datasetId, versionId, ...file('audio/0001.wav', 6_000) });

    expect(await outcome(askUpload(vendor, { datasetId, versionId, path: 'audio/0002.wav' }))).toBe('ok');
    expect(signed.map((r) => r.maxBytes)).toEqual([PENDING - 6_000]);
    expect(await outcome(askUpload(vendor, { datasetId, versionId, path: 'audio/0002.wav', size: 4_001 }))).toBe(`413 ${CatalogErrorCode.STORAGE_QUOTA_EXCEEDED}`);
    // A URL signed before the vendor used its room: recording the file refuses it.
    expect(await outcome(versions().addFile(vendor, { datasetId, versionId, ...file('audio/0002.wav', 4_001) }))).toBe(`413 ${CatalogErrorCode.STORAGE_QUOTA_EXCEEDED}`);
    expect(await paths(versionId)).toEqual(['audio/0001.wav 6000']);

    // The same path again, 9,000 bytes in place of 6,000: it fits, and a URL for it may hold 10,000.
    expect(await outcome(askUpload(vendor, { datasetId, versionId, path: 'audio/0001.wav', size: 10_000 }))).toBe('ok');
    expect(await outcome(versions().addFile(vendor, { datasetId, versionId, ...file('audio/0001.wav', 9_000) }))).toBe('ok');
    // Samples count too.
    expect(await outcome(moduleRef.get(SamplesService).add(vendor, { datasetId, ...file('preview/样例.wav', 2_000) }))).toBe(`413 ${CatalogErrorCode.STORAGE_QUOTA_EXCEEDED}`);
    expect(await outcome(askUpload(vendor, { target: 'sample', datasetId, path: 'preview/样例.wav', size: 2_000 }))).toBe(`413 ${CatalogErrorCode.STORAGE_QUOTA_EXCEEDED}`);

    // Once approved, the larger limit applies.
    await approve(vendor);
    expect(await outcome(moduleRef.get(SamplesService).add(vendor, { datasetId, ...file('preview/样例.wav', 2_000) }))).toBe('ok');
    expect(await outcome(askUpload(vendor, { datasetId, versionId, path: 'audio/0003.wav' }))).toBe('ok');
    expect(signed.at(-1)?.maxBytes).toBe(APPROVED - 9_000 - 2_000);
  });

  it('says how much the vendor holds and may hold', async () => {
    const vendor = newVendor();
    const { datasetId, versionId } = await openVersion(vendor);
    await versions().addFile(vendor, { datasetId, versionId, ...file('transcripts.jsonl', PENDING) });
    const refused = await askUpload(vendor, { datasetId, versionId, path: 'README.md' }).catch((error: Error) => error);
    expect(refused).toMatchObject({ status: 413, code: CatalogErrorCode.STORAGE_QUOTA_EXCEEDED, message: expect.stringContaining(`hold ${PENDING} bytes`) });
  });

  it('lets only what fits through when files of several listings of one vendor are recorded at once', async () => {
    const vendor = newVendor();
    const listings = [];
    for (let i = 0; i < 8; i++) listings.push(await openVersion(vendor));
    await versions().addFile(vendor, { ...listings[0], ...file('audio/0001.wav', 6_000) });
    // 4,000 bytes left; eight files of 1,000 each, one per listing (each under its own row lock).
    const outcomes = await Promise.all(listings.map((listing) => outcome(versions().addFile(vendor, { ...listing, ...file('audio/0002.wav', 1_000) }))));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(4);
    expect(outcomes.filter((o) => o !== 'ok')).toEqual(Array(4).fill(`413 ${CatalogErrorCode.STORAGE_QUOTA_EXCEEDED}`));
  });

  it('lets a vendor at or over its limit replace a file with one no larger, and add an empty file', async () => {
    const vendor = newVendor();
    const { datasetId, versionId } = await openVersion(vendor);
    await versions().addFile(vendor, { datasetId, versionId, ...file('audio/0001.wav', PENDING) });
    expect(await outcome(askUpload(vendor, { datasetId, versionId, path: 'audio/0002.wav' }))).toBe(`413 ${CatalogErrorCode.STORAGE_QUOTA_EXCEEDED}`);
    expect(await outcome(askUpload(vendor, { datasetId, versionId, path: '.keep', size: 0 }))).toBe('ok');
    expect(await outcome(versions().addFile(vendor, { datasetId, versionId, ...file('.keep', 0) }))).toBe('ok');
    expect(await outcome(askUpload(vendor, { datasetId, versionId, path: 'audio/0001.wav', size: 9_000 }))).toBe('ok');
    expect(signed.at(-1)?.maxBytes).toBe(PENDING);
    expect(await outcome(versions().addFile(vendor, { datasetId, versionId, ...file('audio/0001.wav', 9_000) }))).toBe('ok');
    expect(await outcome(versions().addFile(vendor, { datasetId, versionId, ...file('audio/0001.wav', 9_500) }))).toBe('ok');
    expect(await outcome(versions().addFile(vendor, { datasetId, versionId, ...file('audio/0001.wav', 10_001) }))).toBe(`413 ${CatalogErrorCode.STORAGE_QUOTA_EXCEEDED}`);
    expect(await paths(versionId)).toEqual(['.keep 0', 'audio/0001.wav 9500']);
  });

  it('another vendor is not counted', async () => {
    const [full, other] = [newVendor(), newVendor()];
    const listing = await openVersion(full);
    await versions().addFile(full, { ...listing, ...file('audio/0001.wav', PENDING) });
    const theirs = await openVersion(other);
    expect(await outcome(askUpload(other, { ...theirs, path: 'audio/0001.wav', size: PENDING }))).toBe('ok');
  });
});
