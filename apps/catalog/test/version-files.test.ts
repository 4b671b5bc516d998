import type { CreateUploadRequest } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { EntityManager } from 'typeorm';
import { withDatabase } from '../../../test/support/postgres';
import { createDataSource } from '../src/data-source';
import { DatasetsService } from '../src/datasets/datasets.service';
import { SamplesService } from '../src/samples/samples.service';
import { UploadsHandler } from '../src/uploads/uploads.handler';
import { UploadsService } from '../src/uploads/uploads.service';
import { VersionFilePathCaseFold1765300002000 } from '../src/migrations/1765300002000-VersionFilePathCaseFold';
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

  it('refuses a path that differs from another only in letters lower() keeps apart and a case-insensitive disk does not (final sigma, long s, micro sign, dotless i), when recorded and when asked for', async () => {
    const upload = (datasetId: string, versionId: string, path: string) =>
      moduleRef.get(UnitOfWork).read(() => moduleRef.get(UploadsService).create(owner, { target: 'version-file', datasetId, versionId, path } as CreateUploadRequest));
    // Each pair is one name on a disk that ignores case: their capitals are the same.
    const pairs = [
      ['ασ.txt', 'ας.txt'],
      ['ΟΔΟΣ.txt', 'οδος.txt'],
      ['ſ.txt', 's.txt'],
      ['µ.txt', 'μ.txt'],
      ['ı.txt', 'I.txt'],
      ['ı.txt', 'i.txt'],
      ['ϐ.txt', 'β.txt'],
      // A file beside a folder of its name in another case.
      ['p5/ς/x.txt', 'p5/Σ'],
      ['p5/Σ', 'p5/ς/x.txt'],
      ['σ', 'ς/x.txt'],
      // The capital İ lowers to i: one name, as before.
      ['İ.txt', 'i.txt'],
    ];
    const outcomes = [];
    for (const [first, second] of [...pairs, ...pairs.map(([a, b]) => [b, a])]) {
      const { datasetId, versionId } = await openVersion([first]);
      const recorded = await outcome(versions().addFile(owner, { datasetId, versionId, ...file(second) }));
      const asked = await outcome(upload(datasetId, versionId, second));
      const manifest = await moduleRef.get(UnitOfWork).read(() => moduleRef.get(VersionRepository).files(versionId, 100));
      outcomes.push({ first, second, recorded, asked, listed: manifest.map((f) => f.path) });
    }
    expect(outcomes).toEqual(outcomes.map(({ first, second }) => ({ first, second, recorded: '409 CONFLICT path', asked: '409 CONFLICT path', listed: [first] })));
    // Letters that only look alike, or that fold to other letters, stay apart.
    const { datasetId, versionId } = await openVersion(['σ.txt', 'μ.txt', 'ı.txt', 'Σ/a.txt']);
    for (const path of ['s.txt', 'u.txt', 'l.txt', 'S/a.txt', 'σ0/a.txt', 'σ-a.txt']) {
      expect({ path, recorded: await outcome(versions().addFile(owner, { datasetId, versionId, ...file(path) })) }).toEqual({ path, recorded: 'ok' });
    }
  });

  it('serves the clash check from ranges of version_file_path_fold_idx, folded as the check folds, as soon as the migration has run', async () => {
    const { versionId } = await openVersion(['README.md']);
    await withDatabase(catalog.db.url, async (c) => {
      await c.query(
        `INSERT INTO version_file (version_id, path, size, sha256, storage_key)
         SELECT $1, 'audio/spk_' || (n % 50) || '/utt_' || n || '.wav', 1, $2, 'objects/' || n FROM generate_series(1, 20000) AS n`,
        [versionId, 'd'.repeat(64)],
      );
      await c.query('ANALYZE version_file');
    });
    // The statement the check sends for a new file (no clash, the common case), as it sends it.
    const query = jest.spyOn(EntityManager.prototype, 'query');
    let sent: [string, unknown[]];
    try {
      expect(await moduleRef.get(UnitOfWork).read(() => moduleRef.get(VersionRepository).collidingPath(versionId, 'audio/spk_7/utt_0007.wav'))).toBeNull();
      sent = query.mock.calls.find(([text]) => text.includes('asked')) as [string, unknown[]];
    } finally {
      query.mockRestore();
    }
    const [sql, params] = sent;
    const plan = () =>
      withDatabase(catalog.db.url, async (c: Client) => {
        await c.query('BEGIN');
        await c.query('SET LOCAL enable_seqscan = off');
        const rows = (await c.query(`EXPLAIN (COSTS OFF) ${sql}`, params)).rows as { 'QUERY PLAN': string }[];
        await c.query('ROLLBACK');
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    // Each of the three lookups is a range of the index, folded as the check folds.
    const served = /Bitmap Index Scan on version_file_path_fold_idx\s+Index Cond: \(\(version_id = [^)]*\) AND \(\(lower\(upper\(path\)\)\)::text = 'audio\/spk_7\/utt_0007\.wav'/;
    expect(await plan()).toMatch(served);

    // The migration's down folds with lower() alone again; its up folds as the check does, and
    // analyzes the table, so the planner takes the index at once.
    const dataSource = createDataSource(catalog.db.url);
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    const definition = async () => ((await runner.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'version_file_path_fold_idx'`)) as { indexdef: string }[]).map((r) => r.indexdef);
    try {
      await new VersionFilePathCaseFold1765300002000().down(runner);
      expect(await definition()).toEqual([expect.stringContaining('(version_id, lower(path) COLLATE "C")')]);
      await new VersionFilePathCaseFold1765300002000().up(runner);
      expect(await definition()).toEqual([expect.stringContaining('(version_id, lower(upper(path)) COLLATE "C")')]);
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
    expect(await plan()).toMatch(served);
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
