import type { CreateUploadRequest } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DatasetsService } from '../src/datasets/datasets.service';
import { SamplesService } from '../src/samples/samples.service';
import { UploadsHandler } from '../src/uploads/uploads.handler';
import { UploadsService } from '../src/uploads/uploads.service';
import { VersionRepository } from '../src/versions/version.repository';
import { VersionsService } from '../src/versions/versions.service';
import { startCatalogModule, type CatalogModule } from './catalog-module';

/**
 * A version's files land side by side in a buyer's download folder, so no two of them may clash
 * there: names that differ only in letter case are one file on Windows and macOS disks, and a
 * file cannot share its name with a folder. The catalog refuses such a path when the upload URL
 * is asked for, and again when delivery records the bytes (an upload signed earlier).
 */
jest.setTimeout(120_000);

const owner: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() };
const file = (path: string) => ({ path, size: 4096, sha256: 'd'.repeat(64), storageKey: `objects/${randomUUID()}` });

describe('the files of one version', () => {
  let catalog: CatalogModule;
  let moduleRef: TestingModule;
  const versions = () => moduleRef.get(VersionsService);

  beforeAll(async () => {
    catalog = await startCatalogModule('version_files');
    moduleRef = catalog.moduleRef;
    // Delivery is not running here: its signing answers a URL.
    jest.spyOn(moduleRef.get(RpcClient), 'send').mockResolvedValue({ uploadUrl: 'http://delivery.invalid/upload', expiresAt: new Date(Date.now() + 900_000).toISOString() } as never);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await catalog?.stop();
  });

  /** An open version of a new draft, holding these files. */
  async function openVersion(paths: string[]): Promise<{ datasetId: string; versionId: string }> {
    const datasetId = (await moduleRef.get(DatasetsService).create(owner, { ...exampleMetadata('speech'), title: '四川话车载语音指令 300 小时', description: '四川话车载语音指令录音，含转写与说话人信息。' } as never)).id;
    const versionId = (await versions().create(owner, datasetId, '1.0.0', undefined)).id;
    for (const path of paths) await versions().addFile(owner, { datasetId, versionId, ...file(path) });
    return { datasetId, versionId };
  }

  const outcome = (work: Promise<unknown>) =>
    work.then(
      () => 'ok',
      (error: { status?: number; code?: string; errors?: { field: string }[] }) => `${error.status} ${error.code} ${error.errors?.map((e) => e.field).join(',') ?? ''}`.trim(),
    );

  it('refuses a path that differs from another only in case, or that is a folder of another or inside one, when recorded and when asked for', async () => {
    const { datasetId, versionId } = await openVersion(['audio/Speaker_01/utt_0001.wav', 'transcripts.jsonl', 'README.md']);
    const upload = (path: string) =>
      moduleRef.get(UnitOfWork).read(() => moduleRef.get(UploadsService).create(owner, { target: 'version-file', datasetId, versionId, path } as CreateUploadRequest));
    for (const path of ['audio/speaker_01/utt_0001.wav', 'TRANSCRIPTS.JSONL', 'readme.md', 'audio/Speaker_01', 'audio', 'transcripts.jsonl/part-0001.jsonl', 'README.md/x']) {
      expect({ path, recorded: await outcome(versions().addFile(owner, { datasetId, versionId, ...file(path) })) }).toEqual({ path, recorded: '409 CONFLICT path' });
      expect({ path, asked: await outcome(upload(path)) }).toEqual({ path, asked: '409 CONFLICT path' });
    }
    const manifest = await moduleRef.get(UnitOfWork).read(() => moduleRef.get(VersionRepository).files(versionId, 100));
    expect(manifest.map((f) => f.path).sort()).toEqual(['README.md', 'audio/Speaker_01/utt_0001.wav', 'transcripts.jsonl']);
  });

  it('takes the same path again (the file is replaced), and paths that only look alike', async () => {
    const { datasetId, versionId } = await openVersion(['audio/utt_0001.wav', 'labels/train.csv']);
    for (const path of ['audio/utt_0001.wav', 'audio/utt_00010.wav', 'audio_extra/utt_0001.wav', 'labels/train.csv.bak', 'labels-v2/train.csv']) {
      expect({ path, recorded: await outcome(versions().addFile(owner, { datasetId, versionId, ...file(path) })) }).toEqual({ path, recorded: 'ok' });
    }
  });

  it('pages through a version with the cursors it hands out, and refuses any other cursor (400 naming cursor)', async () => {
    const paths = ['README.md', 'audio/spk_0001/utt_0001.wav', 'audio/spk_0001/utt_0002.wav', 'audio/spk_0002/utt_0001.wav', 'transcripts.jsonl'];
    const { datasetId, versionId } = await openVersion(paths);
    const page = (cursor: string | undefined, version = versionId) => moduleRef.get(UnitOfWork).read(() => versions().files(owner, datasetId, version, cursor, 2));
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const answer = await page(cursor);
      listed.push(...answer.items.map((f) => f.path));
      cursor = answer.nextCursor ?? undefined;
    } while (cursor);
    expect(listed).toEqual(paths);

    // A second version of the same listing holds the same paths: its cursors are its own.
    const other = (await versions().create(owner, datasetId, '1.1.0', '补充四川话说话人 / more Sichuanese speakers')).id;
    for (const path of paths) await versions().addFile(owner, { datasetId, versionId: other, ...file(path) });
    const othersCursor = (await page(undefined, other)).nextCursor!;
    expect(othersCursor).toEqual(expect.any(String));
    const ownCursor = (await page(undefined)).nextCursor!;

    const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    const forged = {
      'three letters': 'abc',
      'a path alone (the cursor of old)': base64url('audio/spk_0001/utt_0002.wav'),
      "another version's cursor": othersCursor,
      'a cursor with a byte added': `${ownCursor}A`,
      'an empty path': base64url(`${versionId}|`),
      'U+0000 in the path': base64url(`${versionId}|audio\u0000x`),
      'a path longer than any': base64url(`${versionId}|${'音'.repeat(200)}`),
      'not UTF-8': Buffer.concat([Buffer.from(`${versionId}|audio/`), Buffer.from([0xff, 0xfe])]).toString('base64url'),
    };
    for (const [what, bad] of Object.entries(forged)) {
      expect({ what, answer: await outcome(page(bad)) }).toEqual({ what, answer: '400 VALIDATION_FAILED cursor' });
    }
    // The other version's cursor pages that version.
    expect((await page(othersCursor, other)).items.map((f) => f.path)).toEqual(paths.slice(2, 4));
  });

  it("answers delivery's sweep with the objects it lists as the file or sample at their path, and no others", async () => {
    const { datasetId, versionId } = await openVersion([]);
    const key = () => `datasets/${datasetId}/${randomUUID()}`;
    const [replaced, current, sample, stray] = [key(), key(), key(), key()];
    const transcripts = 'transcripts/四川话/train.jsonl';
    await versions().addFile(owner, { datasetId, versionId, ...file(transcripts), storageKey: replaced });
    await versions().addFile(owner, { datasetId, versionId, ...file(transcripts), storageKey: current });
    await moduleRef.get(SamplesService).add(owner, { datasetId, path: 'preview/样例.jsonl', size: 512, sha256: 'e'.repeat(64), storageKey: sample });

    const asVersionFile = (storageKey: string, over: object = {}) => ({ target: 'version-file' as const, datasetId, versionId, path: transcripts, storageKey, ...over });
    const asSample = (storageKey: string, over: object = {}) => ({ target: 'sample' as const, datasetId, versionId: null, path: 'preview/样例.jsonl', storageKey, ...over });
    const objects = [
      asVersionFile(replaced),
      asVersionFile(current),
      asVersionFile(stray),
      asVersionFile(current, { path: 'transcripts/四川话/dev.jsonl' }),
      asVersionFile(current, { versionId: randomUUID() }),
      asVersionFile(current, { datasetId: randomUUID() }),
      asVersionFile(sample, { path: 'preview/样例.jsonl' }),
      asSample(sample),
      asSample(sample, { datasetId: randomUUID() }),
      asSample(current, { path: transcripts }),
    ];
    const answer = await moduleRef.get(UnitOfWork).read(() => moduleRef.get(UploadsHandler).listed({ objects }));
    expect(answer.listed.sort()).toEqual([current, sample].sort());
  });
});
