import type { CreateUploadRequest } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { DatasetsService } from '../src/datasets/datasets.service';
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
});
