import type { DatasetDetail, VersionSummaryView } from '@trove/contracts';
import { exampleMetadata } from '@trove/dataset';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createTestDatabase, withDatabase } from '../../../test/support/postgres';
import { entities, migrations } from '../src/database';
import { DatasetsService } from '../src/datasets/datasets.service';
import { VersionsService } from '../src/versions/versions.service';
import { startCatalogModule, type CatalogModule } from './catalog-module';

/**
 * A version's `fileCount` and `totalBytes` are stored with the version and kept by the database
 * in the transaction of every change to its files, so that a listing's page reads them instead of
 * counting 500,000 files a version on every view. Whatever writes the files, one at a time, two at
 * once or many in one statement, the page, the versions page and the release answer what the
 * version holds.
 */
jest.setTimeout(120_000);

const owner: Caller = { organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() };
const sha256 = 'e'.repeat(64);

describe("a version's file count and bytes", () => {
  let catalog: CatalogModule;
  let moduleRef: TestingModule;
  const versions = () => moduleRef.get(VersionsService);
  const read = <T>(work: () => Promise<T>) => moduleRef.get(UnitOfWork).read(work);
  const sql = <T>(work: (client: Client) => Promise<T>) => withDatabase(catalog.db.url, work);

  beforeAll(async () => {
    catalog = await startCatalogModule('version_file_count');
    moduleRef = catalog.moduleRef;
    // Delivery is not running here.
    jest.spyOn(moduleRef.get(RpcClient), 'send').mockResolvedValue({} as never);
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await catalog?.stop();
  });

  async function openVersion(): Promise<{ datasetId: string; versionId: string }> {
    const datasetId = (await moduleRef.get(DatasetsService).create(owner, { ...exampleMetadata('speech'), title: '普通话朗读语音 1,000 小时', description: '普通话朗读录音，含转写。' } as never)).id;
    const created = await versions().create(owner, datasetId, '1.0.0', undefined);
    expect(created).toMatchObject({ fileCount: 0, totalBytes: 0, files: [] });
    return { datasetId, versionId: created.id };
  }

  const record = (datasetId: string, versionId: string, path: string, size: number) =>
    versions().addFile(owner, { datasetId, versionId, path, size, sha256, storageKey: `objects/${randomUUID()}` });

  /** What the vendor's page and versions page show of the version, and what its files add up to. */
  async function shown(datasetId: string, versionId: string) {
    const detail: DatasetDetail = await read(() => moduleRef.get(DatasetsService).detail(owner, datasetId));
    const onPage = detail.versions.find((v) => v.id === versionId)!;
    const listed: VersionSummaryView = (await read(() => versions().list(owner, datasetId, undefined))).items.find((v) => v.id === versionId)!;
    const [files] = await sql(async (c) => (await c.query(`SELECT count(*)::int AS "fileCount", coalesce(sum(size), 0)::bigint::float8 AS "totalBytes" FROM version_file WHERE version_id = $1`, [versionId])).rows);
    return { page: { fileCount: onPage.fileCount, totalBytes: onPage.totalBytes }, versions: { fileCount: listed.fileCount, totalBytes: listed.totalBytes }, files };
  }

  const agreeing = (fileCount: number, totalBytes: number) => ({ page: { fileCount, totalBytes }, versions: { fileCount, totalBytes }, files: { fileCount, totalBytes } });

  it('follows files recorded, replaced, recorded two at once and removed, and the release answers what was frozen', async () => {
    const { datasetId, versionId } = await openVersion();
    expect(await shown(datasetId, versionId)).toEqual(agreeing(0, 0));

    await record(datasetId, versionId, 'audio/utt_0001.wav', 1_000);
    await record(datasetId, versionId, 'audio/utt_0002.wav', 2_000);
    expect(await shown(datasetId, versionId)).toEqual(agreeing(2, 3_000));

    // The same path uploaded again replaces the file: one file still, of the new size.
    await record(datasetId, versionId, 'audio/utt_0001.wav', 1_500);
    expect(await shown(datasetId, versionId)).toEqual(agreeing(2, 3_500));

    // Delivery records two uploads at once, and again eight, one of them a replacement.
    await Promise.all([record(datasetId, versionId, 'audio/utt_0003.wav', 3_000), record(datasetId, versionId, 'audio/utt_0004.wav', 4_000)]);
    expect(await shown(datasetId, versionId)).toEqual(agreeing(4, 10_500));
    await Promise.all([
      ...Array.from({ length: 7 }, (_, n) => record(datasetId, versionId, `labels/part_${n}.csv`, 100)),
      record(datasetId, versionId, 'audio/utt_0002.wav', 2_500),
    ]);
    expect(await shown(datasetId, versionId)).toEqual(agreeing(11, 11_700));

    // The catalog has no route that removes a file; an operator removing some by hand is counted too.
    await sql((c) => c.query(`DELETE FROM version_file WHERE version_id = $1 AND path LIKE 'labels/%' AND path <> 'labels/part_0.csv'`, [versionId]));
    expect(await shown(datasetId, versionId)).toEqual(agreeing(5, 11_100));

    const released = await versions().release(owner, datasetId, versionId);
    expect(released).toMatchObject({ status: 'released', fileCount: 5, totalBytes: 11_100 });
    expect(released.files).toHaveLength(5);
    expect(await shown(datasetId, versionId)).toEqual(agreeing(5, 11_100));
    // Frozen: a file recorded after the release is refused and changes nothing.
    await expect(record(datasetId, versionId, 'audio/utt_0005.wav', 5_000)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(await shown(datasetId, versionId)).toEqual(agreeing(5, 11_100));
  });

  it('counts files written by two transactions at once, and many in one statement, exactly', async () => {
    const { datasetId, versionId } = await openVersion();
    const insert = (c: Client, path: string, size: number) =>
      c.query(`INSERT INTO version_file (version_id, path, size, sha256, storage_key) VALUES ($1, $2, $3, $4, $5)`, [versionId, path, size, sha256, `objects/${randomUUID()}`]);
    // Two writers that do not lock the listing as the upload record does: the second one's count
    // waits for the first one's commit and adds to it.
    const first = new Client({ connectionString: catalog.db.url });
    const second = new Client({ connectionString: catalog.db.url });
    await Promise.all([first.connect(), second.connect()]);
    try {
      const [{ pid }] = (await second.query(`SELECT pg_backend_pid() AS pid`)).rows as { pid: number }[];
      await first.query('BEGIN');
      await second.query('BEGIN');
      await insert(first, 'a.wav', 10);
      const secondInsert = insert(second, 'b.wav', 20).then(() => second.query('COMMIT'));
      // The first commits only once the second is waiting for it, its file already written.
      while ((await sql((c) => c.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]))).rows[0]?.wait_event_type !== 'Lock') {
        await new Promise((resolve) => setImmediate(resolve));
      }
      await first.query('COMMIT');
      await secondInsert;
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
    expect(await shown(datasetId, versionId)).toEqual(agreeing(2, 30));

    // 12,000 files in one statement, as a bulk import would write them.
    await sql((c) =>
      c.query(
        `INSERT INTO version_file (version_id, path, size, sha256, storage_key)
         SELECT $1, 'audio/utt_' || lpad(n::text, 6, '0') || '.wav', 96000 + n, $2, 'objects/' || n FROM generate_series(1, 12000) AS n`,
        [versionId, sha256],
      ),
    );
    const bulkBytes = 12_000 * 96_000 + (12_000 * 12_001) / 2;
    expect(await shown(datasetId, versionId)).toEqual(agreeing(12_002, 30 + bulkBytes));
    expect(await versions().release(owner, datasetId, versionId)).toMatchObject({ fileCount: 12_002, totalBytes: 30 + bulkBytes });
  });

  it('fills in the count and bytes of the versions that had files before the counts were kept', async () => {
    const database = await createTestDatabase('version_file_count_backfill');
    const migrate = async (upTo: typeof migrations) => {
      const dataSource = new DataSource({ type: 'postgres', url: database.url, entities, migrations: upTo, synchronize: false, migrationsTableName: 'migrations' });
      await dataSource.initialize();
      try {
        await dataSource.runMigrations({ transaction: 'each' });
      } finally {
        await dataSource.destroy();
      }
    };
    try {
      const tally = migrations.findIndex((m) => m.name === 'VersionFileTally1764500008000');
      expect(tally).toBeGreaterThan(0);
      await migrate(migrations.slice(0, tally));
      const datasetId = randomUUID();
      const [full, empty] = [randomUUID(), randomUUID()];
      await withDatabase(database.url, async (c) => {
        await c.query(`INSERT INTO dataset (id, vendor_organization_id, title, status, metadata) VALUES ($1, $2, '中文新闻语料', 'draft', '{}')`, [datasetId, owner.organizationId]);
        await c.query(`INSERT INTO dataset_version (id, dataset_id, version, status) VALUES ($1, $3, '1.0.0', 'released'), ($2, $3, '1.1.0', 'open')`, [full, empty, datasetId]);
        await c.query(`INSERT INTO version_file (version_id, path, size, sha256, storage_key) SELECT $1, 'part_' || n || '.jsonl', n * 1000, $2, 'objects/' || n FROM generate_series(1, 300) AS n`, [full, sha256]);
      });
      await migrate(migrations);
      const rows = await withDatabase(database.url, async (c) => (await c.query(`SELECT version, file_count, total_bytes::float8 AS total_bytes FROM dataset_version ORDER BY version`)).rows);
      expect(rows).toEqual([
        { version: '1.0.0', file_count: 300, total_bytes: (1000 * 300 * 301) / 2 },
        { version: '1.1.0', file_count: 0, total_bytes: 0 },
      ]);
    } finally {
      await database.drop();
    }
  });
});
