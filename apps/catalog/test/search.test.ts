import { SearchDatasetsRequest, type DatasetSearchPage } from '@trove/contracts';
import { exampleMetadata, type Modality } from '@trove/dataset';
import { MetricsService, validateMessage, type Caller } from '@trove/platform';
import { Test, type TestingModule } from '@nestjs/testing';
import { type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import type { MigrationInterface } from 'typeorm';
import { createDataSource } from '../src/data-source';
import { SearchTokensForUnspacedScripts1764500011000 } from '../src/migrations/1764500011000-SearchTokensForUnspacedScripts';
import { SearchTraditionalChinese1765100000000 } from '../src/migrations/1765100000000-SearchTraditionalChinese';
import { RewriteSearchDocuments1765700000000 } from '../src/migrations/1765700000000-RewriteSearchDocuments';
import { SpokenLanguageNames1765800000000 } from '../src/migrations/1765800000000-SpokenLanguageNames';
import { SearchWithoutAccents1766100000000 } from '../src/migrations/1766100000000-SearchWithoutAccents';
import { SearchPluralEndings1766200000000 } from '../src/migrations/1766200000000-SearchPluralEndings';
import { tsqueryText } from '../src/search/search-tokens';
import { DatasetsService } from '../src/datasets/datasets.service';
import { OffersService } from '../src/offers/offers.service';
import { SearchService } from '../src/search/search.service';
import { SearchRepository } from '../src/search/search.repository';
import { SearchIndexer } from '../src/search/search-indexer';
import { CatalogConfig } from '../src/catalog.config';
import { UnitOfWork } from '@trove/messaging';
import { searchPage, searchStatement, type SearchRow } from '../src/search/search-query';
import { VersionsService } from '../src/versions/versions.service';
import { SERVER_URL } from '../../../test/support/postgres';
import { deleteStream, NATS_URL, newNamespace } from '../../../test/support/nats';
import { withEnv } from '../../../test/support/env';
import { exclusiveOffer, SEARCH_TALLIES } from '../../../test/support/catalog';
import { spawnTracked } from '../../../test/support/processes';

/**
 * Catalog search on both PostgreSQL servers Trove meets: the system one (CI's PostgreSQL 15,
 * libc locale) and the embedded PostgreSQL 18 that `npm start` falls back to (builtin provider,
 * LC_CTYPE=C, where pg_trgm drops every CJK character). Datasets go through the catalog's own
 * services (create, version, file, release, offer, submit, approve), so the projection is kept
 * by the indexer hook exactly as in production.
 */
jest.setTimeout(120_000);

/** The embedded PostgreSQL 18, started by a helper process of its own (the package is ESM-only). */
async function startEmbeddedPostgres(): Promise<{ url: string; process: ChildProcess }> {
  const child = spawnTracked('the embedded PostgreSQL', process.execPath, [join(__dirname, 'search-embedded-postgres.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the embedded PostgreSQL helper exited with ${code}: ${errors}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, process: child };
}

async function stopEmbeddedPostgres(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function databaseOn(server: string, name: string): string {
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onServer(server: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const vendor = (): Caller => ({ organizationId: randomUUID(), role: 'vendor', keyId: randomUUID() });

interface Listing {
  title: string;
  titleEn?: string;
  description: string;
  modality: Modality;
  languages?: string[];
  domain?: string;
  annotationTypes?: string[];
  tags?: string[];
  compliance?: Record<string, unknown>;
}

interface OfferSpec {
  template?: string;
  amount?: number;
  expiresAt?: string;
}

class Catalog {
  moduleRef!: TestingModule;
  readonly namespace = newNamespace();
  readonly database = `trove_test_search_${randomBytes(4).toString('hex')}`;
  readonly url: string;

  constructor(readonly server: string) {
    this.url = databaseOn(server, this.database);
  }

  async start(): Promise<void> {
    await onServer(this.server, `CREATE DATABASE ${this.database}`);
    const dataSource = createDataSource(this.url);
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.destroy();
    this.moduleRef = await withEnv({ DATABASE_URL: this.url, TROVE_NAMESPACE: this.namespace, NATS_URL, LOG_LEVEL: 'silent' }, async () =>
      (
        await Test.createTestingModule({ imports: [AppModule] })
          .setLogger({ log() {}, warn() {}, error: (...args: unknown[]) => process.env.TROVE_TEST_VERBOSE && console.error(...args) })
          .compile()
      ).init(),
    );
  }

  /** Runs one migration's `up` again on this catalog's database, as a deploy that adds it would. */
  async runMigration(migration: MigrationInterface): Promise<void> {
    const dataSource = createDataSource(this.url);
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    try {
      await migration.up(runner);
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
  }

  async stop(): Promise<void> {
    await this.moduleRef?.close();
    await deleteStream(this.namespace);
    await onServer(this.server, `DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`);
  }

  get datasets(): DatasetsService {
    return this.moduleRef.get(DatasetsService);
  }

  get search(): SearchService {
    return this.moduleRef.get(SearchService);
  }

  /** A draft listing: the modality's example metadata with these words. */
  async draft(caller: Caller, listing: Listing): Promise<string> {
    const metadata = { ...exampleMetadata(listing.modality), ...listing };
    return (await this.datasets.create(caller, metadata)).id;
  }

  /** Version, file, release and offers: ready to submit. */
  async ready(caller: Caller, id: string, offers: OfferSpec[] = [{}]): Promise<string[]> {
    const versions = this.moduleRef.get(VersionsService);
    const version = await versions.create(caller, id, '1.0.0', '首个版本 / First release');
    await versions.addFile(undefined, { datasetId: id, versionId: version.id, path: 'data/part-0001.jsonl', size: 2048, sha256: 'a'.repeat(64), storageKey: `datasets/${id}/part-0001.jsonl` });
    await versions.release(caller, id, version.id);
    const offerIds: string[] = [];
    for (const offer of offers) {
      const template = offer.template ?? 'commercial';
      const open = template === 'cc-by-4.0' || template === 'cdla-permissive-2.0';
      const created = await this.moduleRef.get(OffersService).create(caller, {
        datasetId: id,
        license: { template },
        pricing: open ? { model: 'free', price: null } : { model: 'one_time', price: { amount: offer.amount ?? 12_800_000, currency: 'CNY' } },
        ...(offer.expiresAt ? { expiresAt: offer.expiresAt } : {}),
      } as never);
      offerIds.push(created.id);
    }
    return offerIds;
  }

  /** The whole vendor flow up to an operator's approval. */
  async publish(listing: Listing, offers?: OfferSpec[], caller = vendor()): Promise<string> {
    const id = await this.draft(caller, listing);
    await this.ready(caller, id, offers);
    await this.datasets.submit(caller, id, 'active');
    await this.datasets.approve(id);
    return id;
  }

  /** A search as the gateway sends it: validated against the contract first. */
  find(query: Record<string, unknown> = {}): Promise<DatasetSearchPage> {
    return this.search.search(validateMessage(SearchDatasetsRequest, query));
  }

  async titles(query: Record<string, unknown>): Promise<string[]> {
    return (await this.find(query)).items.map((item) => item.title);
  }

  /** The cache's counters in /metrics: how many searches were answered each way so far. */
  async cacheOutcomes(): Promise<Record<'hit' | 'shared' | 'miss', number>> {
    const metric = this.moduleRef.get(MetricsService).registry.getSingleMetric('trove_search_cache_total');
    const values = (await metric!.get()).values;
    const count = (outcome: string) => values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    return { hit: count('hit'), shared: count('shared'), miss: count('miss') };
  }

  /** The page a search statement answers, run straight on the database: `tally: false` reads every match. */
  async statementAnswer(query: Record<string, unknown>, options: { tally: boolean; indexOrderShare?: number }): Promise<{ tallied: boolean; page: DatasetSearchPage }> {
    const statement = searchStatement(validateMessage(SearchDatasetsRequest, query), options);
    const [row] = await this.query<SearchRow>(statement.sql, statement.params);
    return { tallied: statement.sql.includes('search_facet_tally'), page: searchPage(row, statement) };
  }

  /** The plan, with scans of whole tables (and, with `sort: false`, sorts) priced out: what the indexes can serve. */
  async explain(sql: string, params: unknown[] = [], { sort = true }: { sort?: boolean } = {}): Promise<string> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      if (!sort) await client.query('SET LOCAL enable_sort = off');
      const rows = (await client.query(`EXPLAIN ${sql}`, params)).rows as { 'QUERY PLAN': string }[];
      await client.query('ROLLBACK');
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.end();
    }
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }
}

const READ_SPEECH = '普通话朗读语音数据集 1,000 小时';
const DIALECT_CALLS = '粤语及四川话客服电话录音 800 小时';
const DRIVING_VIDEO = '城市道路行车视频 拉框与目标跟踪';
const FINANCE_SFT = 'Chinese financial QA SFT corpus';
const ENGLISH_SPEECH = 'English Conversational Speech, 200 hours';
const LIDAR = '激光雷达点云 3D 框标注数据';

describe.each([
  ['the system PostgreSQL', async () => ({ url: SERVER_URL, process: undefined as ChildProcess | undefined })],
  ['the embedded PostgreSQL 18 (builtin locale, LC_CTYPE=C)', startEmbeddedPostgres],
])('catalog search on %s', (_name, startServer) => {
  let server: { url: string; process?: ChildProcess };
  let catalog: Catalog;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServer();
    catalog = new Catalog(server.url);
    await catalog.start();
    ids.readSpeech = await catalog.publish(
      {
        title: READ_SPEECH,
        titleEn: 'Mandarin read speech, 1,000 hours',
        description: '2,000 名说话人朗读新闻与小说文本，覆盖七大方言区口音，句准确率不低于 98%。',
        modality: 'speech',
        languages: ['zh-CN'],
        domain: 'education',
        annotationTypes: ['transcription'],
        tags: ['普通话', 'ASR', '朗读'],
      },
      [{ template: 'commercial', amount: 12_800_000 }, { template: 'research', amount: 3_000_000 }],
    );
    ids.dialectCalls = await catalog.publish(
      {
        title: DIALECT_CALLS,
        description: '真实客服通话，粤语与四川话方言为主，含说话人分离与逐句转写，用于语音识别训练。',
        modality: 'speech',
        languages: ['yue', 'zh-CN'],
        domain: 'telecom',
        annotationTypes: ['transcription', 'speaker_diarization'],
        tags: ['方言', '客服', 'ASR'],
      },
      [{ template: 'commercial', amount: 26_000_000 }],
    );
    ids.drivingVideo = await catalog.publish(
      { title: DRIVING_VIDEO, description: '上海与广州城市道路 1080p 行车记录视频，车辆与行人拉框、跨帧跟踪。', modality: 'video', domain: 'automotive', annotationTypes: ['bounding_box', 'tracking'], tags: ['自动驾驶', 'ADAS'] },
      [{ template: 'commercial', amount: 50_000_000 }],
    );
    ids.financeSft = await catalog.publish(
      {
        title: FINANCE_SFT,
        titleEn: 'Chinese financial QA SFT corpus',
        description: '500,000 expert-written instruction and answer pairs about funds, insurance and bank products. 金融问答指令数据。',
        modality: 'text',
        languages: ['zh-CN', 'en'],
        domain: 'finance',
        annotationTypes: ['question_answer'],
        tags: ['SFT', 'instruction tuning'],
      },
      [{ template: 'evaluation', amount: 800_000 }],
    );
    ids.englishSpeech = await catalog.publish(
      { title: ENGLISH_SPEECH, description: 'Telephone conversations between US English speakers, transcribed; 普通话 accent subset not included.', modality: 'speech', languages: ['en-US'], domain: 'customer_service', annotationTypes: ['transcription'], tags: ['ASR', 'telephony'] },
      [{ template: 'commercial', amount: 9_000_000 }],
    );
    ids.lidar = await catalog.publish(
      {
        title: LIDAR,
        description: '128 线激光雷达，北京城区，3D 框与跟踪标注。',
        modality: 'point_cloud',
        domain: 'automotive',
        annotationTypes: ['cuboid_3d', 'tracking'],
        tags: ['LiDAR'],
        // Offered under CC BY 4.0, so declared free to leave China (the example's is restricted).
        compliance: { personalInformation: ['none'], legalBasis: 'not_applicable', deidentification: ['none'], crossBorderTransfer: 'allowed' },
      },
      [{ template: 'cc-by-4.0' }],
    );
  });

  afterAll(async () => {
    await catalog?.stop();
    await stopEmbeddedPostgres(server?.process);
  });

  describe('full text in Chinese and English', () => {
    it('finds 普通话朗读语音数据集 by 普通话', async () => {
      expect(await catalog.titles({ q: '普通话' })).toContain(READ_SPEECH);
    });

    it('answers two-character queries: 语音 finds every speech dataset, also one whose title lacks the word; 方言 the dialect calls', async () => {
      const speech = await catalog.titles({ q: '语音' });
      expect(speech).toEqual(expect.arrayContaining([READ_SPEECH, DIALECT_CALLS, ENGLISH_SPEECH]));
      expect(speech).not.toContain(DRIVING_VIDEO);
      expect(await catalog.titles({ q: '方言' })).toContain(DIALECT_CALLS);
    });

    it('answers a one-character query', async () => {
      expect(await catalog.titles({ q: '粤' })).toContain(DIALECT_CALLS);
    });

    it('finds "Speech" by speech, SPEECH and full-width ｓｐｅｅｃｈ alike', async () => {
      for (const q of ['speech', 'SPEECH', 'ｓｐｅｅｃｈ']) expect(await catalog.titles({ q })).toContain(ENGLISH_SPEECH);
    });

    it('finds a dataset by its language name and a plural by its singular', async () => {
      expect(await catalog.titles({ q: '粤语' })).toContain(DIALECT_CALLS);
      expect(await catalog.titles({ q: 'Cantonese' })).toContain(DIALECT_CALLS);
      expect(await catalog.titles({ q: 'conversation' })).toContain(ENGLISH_SPEECH);
    });

    it('finds a listing by a query typed without spaces as by the same words with spaces: each word anywhere, not the pairs across them', async () => {
      for (const [unspaced, spaced] of [['粤语客服', '粤语 客服'], ['客服录音', '客服 录音'], ['行车视频跟踪', '行车视频 跟踪']]) {
        const found = await catalog.titles({ q: unspaced });
        expect(found).toEqual(await catalog.titles({ q: spaced }));
        expect(found.length).toBeGreaterThan(0);
      }
      expect(await catalog.titles({ q: '粤语客服' })).toContain(DIALECT_CALLS);
      expect(await catalog.titles({ q: '行车视频跟踪' })).toEqual([DRIVING_VIDEO]);
      expect(await catalog.titles({ q: '粤语激光雷达' })).toEqual([]);
    });

    it('needs every word of the query: a mixed query narrows', async () => {
      expect(await catalog.titles({ q: '客服 四川话' })).toEqual([DIALECT_CALLS]);
      expect(await catalog.titles({ q: '激光雷达 语音' })).toEqual([]);
    });

    it('ranks a title match above a description match', async () => {
      // 普通话 is in READ_SPEECH's title and only in ENGLISH_SPEECH's description.
      const titles = await catalog.titles({ q: '普通话' });
      expect(titles.indexOf(READ_SPEECH)).toBeLessThan(titles.indexOf(ENGLISH_SPEECH));
      expect(titles.indexOf(ENGLISH_SPEECH)).toBeGreaterThan(-1);
    });

    it('finds nothing for punctuation alone, and says so with empty facets', async () => {
      const page = await catalog.find({ q: '？！——' });
      expect(page).toEqual({ items: [], nextCursor: null, total: 0, facets: { modality: [], language: [], domain: [], license: [] } });
    });

    it('serves 语音 from the GIN index', async () => {
      // A handful of rows is cheaper to scan whole, so the planner is told not to: the index must then serve.
      const plan = await catalog.explain(`SELECT dataset_id FROM dataset_search WHERE document @@ $$'语音'$$::tsquery`);
      expect(plan).toMatch(/Bitmap Index Scan on dataset_search_document_idx/);
    });

    it('keeps each modality in a partition of its own, so a modality filter reads that one only', async () => {
      const plan = await catalog.explain(`SELECT dataset_id FROM dataset_search WHERE modality = 'speech' AND document @@ $$'语音'$$::tsquery`);
      expect(plan).toMatch(/on dataset_search_speech\b/);
      expect(plan).not.toMatch(/dataset_search_(image|video|text|dialogue|point_cloud|multimodal|other)\b/);
    });

    it('tells the planner what matching a document costs, so a broad word reads the index instead of every row', async () => {
      const [{ procost }] = await catalog.query<{ procost: number }>(`SELECT procost FROM pg_proc WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure`);
      expect(procost).toBe(100);
    });
  });

  describe('filters, facets, sorting and pages', () => {
    it('filters by modality, language (a bare language matches its regions), domain, annotation, license and price', async () => {
      expect(await catalog.titles({ modality: 'point_cloud' })).toEqual([LIDAR]);
      expect(await catalog.titles({ language: 'yue' })).toEqual([DIALECT_CALLS]);
      expect(await catalog.titles({ language: 'en' })).toEqual(expect.arrayContaining([ENGLISH_SPEECH, FINANCE_SFT]));
      expect(await catalog.titles({ language: 'en-US' })).toEqual([ENGLISH_SPEECH]);
      expect(await catalog.titles({ domain: 'finance' })).toEqual([FINANCE_SFT]);
      expect(await catalog.titles({ annotation: 'speaker_diarization' })).toEqual([DIALECT_CALLS]);
      expect(await catalog.titles({ license: 'research' })).toEqual([READ_SPEECH]);
      expect((await catalog.titles({ maxPrice: 3_000_000 })).sort()).toEqual([FINANCE_SFT, LIDAR, READ_SPEECH].sort());
      expect(await catalog.titles({ q: '语音', modality: 'speech', maxPrice: 10_000_000, sort: 'price' })).toEqual([READ_SPEECH, ENGLISH_SPEECH]);
    });

    it('counts each language as its filter finds it: a bare language once per listing over its regional tags', async () => {
      for (const query of [{}, { q: '语音' }, { modality: 'speech' as const }]) {
        const { facets } = await catalog.find({ ...query, limit: 1 });
        // zh for zh-CN, en for en-US: a value a client can click whatever tags the listings use.
        expect(facets.language.map((f) => f.value)).toEqual(expect.arrayContaining(['zh', 'zh-CN', 'en', 'en-US']));
        for (const { value, count } of facets.language) {
          expect({ value, total: (await catalog.find({ ...query, language: value, limit: 1 })).total }).toEqual({ value, total: count });
        }
      }
    });

    it('counts facets over the whole filtered set', async () => {
      const page = await catalog.find({ q: '语音', limit: 1 });
      expect(page.items).toHaveLength(1);
      expect(page.total).toBe(3);
      expect(page.facets.modality).toEqual([{ value: 'speech', count: 3 }]);
      expect(page.facets.language).toEqual(expect.arrayContaining([{ value: 'zh-CN', count: 2 }, { value: 'yue', count: 1 }, { value: 'en-US', count: 1 }]));
      expect(page.facets.domain).toEqual(expect.arrayContaining([{ value: 'education', count: 1 }, { value: 'telecom', count: 1 }, { value: 'customer_service', count: 1 }]));
      expect(page.facets.license).toEqual([
        { value: 'commercial', count: 3 },
        { value: 'research', count: 1 },
      ]);
    });

    it('keeps in facet_key exactly the text the migration computes for rows written before it', async () => {
      const rows = await catalog.query<{ same: boolean; facet_key: string }>(
        `SELECT facet_key, facet_key = modality || '|' || domain || '|' || array_to_string(languages, ',') || '|' || array_to_string(licenses, ',') AS same FROM dataset_search`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(6);
      expect(rows.filter((row) => !row.same)).toEqual([]);
      expect(rows.map((row) => row.facet_key)).toContain('speech|education|zh-CN|commercial,research');
    });

    it('answers a search without words or annotation from the tallies, exactly as from its matches', async () => {
      const searches: Record<string, unknown>[] = [
        {},
        { sort: 'price' },
        { sort: 'relevance' },
        { modality: 'speech' },
        { modality: 'speech', sort: 'price', limit: 1 },
        { language: 'zh' },
        { language: 'zh-CN', sort: 'price' },
        { language: 'en' },
        { domain: 'automotive', sort: 'newest' },
        { license: 'commercial' },
        { license: 'cc-by-4.0', sort: 'price' },
        { modality: 'speech', language: 'en', license: 'commercial' },
        { modality: 'image' },
        { sort: 'price', currency: 'USD' },
        // Price caps in yuan, on either side of the listings' prices (0, 800,000, 3,000,000,
        // 9,000,000, 26,000,000, 50,000,000 fen) and of the tally's price bands (1,000,000-1,999,999, ...).
        { maxPrice: 0 },
        { maxPrice: 9 },
        { maxPrice: 800_000, sort: 'price' },
        { maxPrice: 2_999_999 },
        { maxPrice: 3_000_000 },
        { maxPrice: 9_999_999, sort: 'price' },
        { maxPrice: 25_999_999 },
        { maxPrice: 26_000_000, modality: 'speech' },
        { maxPrice: 30_000_000, language: 'zh', sort: 'price' },
        { maxPrice: 12_800_000, license: 'commercial' },
        { maxPrice: 50_000_000, domain: 'automotive' },
        { maxPrice: Number.MAX_SAFE_INTEGER, sort: 'price' },
      ];
      for (const search of searches) {
        // Every page, following nextCursor one listing at a time: the cursor runs through the index too.
        let cursor: string | undefined;
        let pages = 0;
        do {
          const query = { ...search, ...(search.limit ? {} : { limit: 2 }), ...(cursor ? { cursor } : {}) };
          const read = await catalog.statementAnswer(query, { tally: false });
          expect(read.tallied).toBe(false);
          // The tallied page walks each partition in index order, or (matches too sparse) sorts them: both.
          for (const indexOrderShare of [0, 1.01]) {
            const tallied = await catalog.statementAnswer(query, { tally: true, indexOrderShare });
            expect({ search: query, indexOrderShare, tallied: tallied.tallied }).toEqual({ search: query, indexOrderShare, tallied: true });
            expect({ search: query, indexOrderShare, page: tallied.page }).toEqual({ search: query, indexOrderShare, page: read.page });
          }
          const tallied = await catalog.statementAnswer(query, { tally: true });
          cursor = tallied.page.nextCursor ?? undefined;
          pages++;
        } while (cursor && pages < 10);
      }
      // Words, an annotation or a price cap in another currency need every match read.
      for (const search of [{ q: '语音' }, { annotation: 'tracking' }, { maxPrice: 3_000_000, currency: 'USD' }]) {
        expect((await catalog.statementAnswer(search, { tally: true })).tallied).toBe(false);
      }
      // The caps above found something, and not always everything.
      const under = async (maxPrice: number) => (await catalog.find({ maxPrice })).total;
      expect([await under(0), await under(2_999_999), await under(3_000_000), await under(25_999_999)]).toEqual([1, 2, 3, 4]);
      expect((await catalog.find({ license: 'commercial' })).facets.license).toEqual([
        { value: 'commercial', count: 4 },
        { value: 'research', count: 1 },
      ]);
    });

    it('reads other page sizes and the next pages of a search it has read once by key, exactly as its statement answers them', async () => {
      /** A catalog replica's search whose statements keep `orderedKeys` leading matches, with its own counters. */
      const replica = (orderedKeys: number) => {
        const metrics = new MetricsService();
        const config = Object.assign(new CatalogConfig(), catalog.moduleRef.get(CatalogConfig), { SEARCH_ORDERED_KEYS: orderedKeys });
        const get = <T,>(type: new (...args: never[]) => T) => catalog.moduleRef.get(type);
        const service = new SearchService(get(UnitOfWork), get(SearchRepository), get(SearchIndexer), config, metrics);
        const outcomes = async () => {
          const values = (await metrics.registry.getSingleMetric('trove_search_cache_total')!.get()).values;
          return Object.fromEntries(['hit', 'shared', 'page', 'miss'].map((outcome) => [outcome, values.find((v) => v.labels.outcome === outcome)?.value ?? 0]));
        };
        return { find: (query: Record<string, unknown>) => service.search(validateMessage(SearchDatasetsRequest, query)), outcomes };
      };
      // Two more transcribed recordings, so that one search below has more matches than the small order holds.
      const transcribed = [
        await catalog.publish(
          { title: '四川话日常对话录音 120 小时', description: '成都、重庆两地自然对话，逐句转写。', modality: 'speech', domain: 'general', languages: ['zh-CN'], annotationTypes: ['transcription'] },
          [{ template: 'research', amount: 2_400_000 }],
        ),
        await catalog.publish(
          { title: '儿童英语朗读语音 60 小时', description: '6-12 岁儿童朗读英语课文，逐句转写。', modality: 'speech', domain: 'education', languages: ['en'], annotationTypes: ['transcription'] },
          [{ template: 'commercial', amount: 4_500_000 }],
        ),
      ];
      const searches: Record<string, unknown>[] = [
        { q: '语音' },
        { q: 'ASR', sort: 'price' },
        { q: 'speech', sort: 'newest' },
        { maxPrice: 30_000_000, annotation: 'transcription' },
        { annotation: 'tracking', sort: 'price' },
        { q: '语音', sort: 'price', currency: 'USD' },
      ];
      let longest = 0;
      for (const orderedKeys of [200, 3]) {
        for (const search of searches) {
          const { find, outcomes } = replica(orderedKeys);
          // One listing a page to the end, each page as the statement answers it.
          let cursor: string | undefined;
          let pages = 0;
          do {
            const query = { ...search, limit: 1, ...(cursor ? { cursor } : {}) };
            const page = await find(query);
            expect({ query, page }).toEqual({ query, page: (await catalog.statementAnswer(query, { tally: true })).page });
            cursor = page.nextCursor ?? undefined;
            pages++;
          } while (cursor);
          longest = Math.max(longest, pages);
          // The first page's statement kept its leading max(1, orderedKeys) + 1 matches in order:
          // every later page when that was all of them, else those whose page and the match after
          // it are among them; the rest run statements of their own.
          const kept = Math.max(1, orderedKeys);
          const byKey = pages <= kept ? pages - 1 : kept - 1;
          expect({ search, orderedKeys, outcomes: await outcomes() }).toEqual({ search, orderedKeys, outcomes: { hit: 0, shared: 0, page: byKey, miss: pages - byKey } });
          // Another page size of the same search: its first page, by key when the order covers it.
          const wider = { ...search, limit: 2 };
          expect(await find(wider)).toEqual((await catalog.statementAnswer(wider, { tally: true })).page);
        }
      }
      // Some search ran past the 4 keys the small order holds, so both ways were taken.
      expect(longest).toBeGreaterThan(4);

      // A change drops the known orders with the answers: the next page is the statement's again.
      const { find, outcomes } = replica(200);
      const first = await find({ q: '语音', limit: 1 });
      const added = await catalog.publish({ title: '客服热线普通话语音 300 小时', description: '来电咨询录音，逐句转写。', modality: 'speech', domain: 'telecom', languages: ['zh-CN'] }, [{ template: 'research', amount: 1_500_000 }]);
      const next = { q: '语音', limit: 1, cursor: first.nextCursor };
      expect(await find(next)).toEqual((await catalog.statementAnswer(next, { tally: true })).page);
      expect(await outcomes()).toEqual({ hit: 0, shared: 0, page: 0, miss: 2 });
      // Off search again, so that the tests after this one see the catalog they expect.
      for (const id of [added, ...transcribed]) await catalog.datasets.suspend(id);
    });

    it('can page a search without words from an index in the order asked: newest, or the price in yuan', async () => {
      // Six listings are cheaper to sort than to read in order, so sorting is priced out: the
      // plan must then find an index whose order is the statement's (the price expression too).
      for (const [sort, index] of [
        ['newest', 'dataset_search_newest_idx'],
        ['price', 'dataset_search_price_cny_idx'],
      ]) {
        const statement = searchStatement(validateMessage(SearchDatasetsRequest, { sort, modality: 'speech' }));
        expect(await catalog.explain(statement.sql, statement.params, { sort: false })).toMatch(new RegExp(`Index Scan using ${index}`));
      }
    });

    it('sorts by lowest price and by newest', async () => {
      const byPrice = await catalog.find({ sort: 'price' });
      const prices = byPrice.items.map((item) => item.lowestPrice?.amount);
      expect(prices).toEqual([...prices].sort((a, b) => a! - b!));
      expect(byPrice.items[0].lowestPrice).toEqual({ amount: 0, currency: 'CNY' });
      const newest = await catalog.find({});
      expect(newest.items[0].title).toBe(LIDAR);
      expect(newest.items.map((item) => item.publishedAt)).toEqual([...newest.items.map((item) => item.publishedAt)].sort().reverse());
    });

    it.each(['relevance', 'newest', 'price'])('pages through every match once with the cursor, sorted by %s', async (sort) => {
      const q = sort === 'relevance' ? 'asr' : undefined;
      const all = await catalog.find({ q, sort });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await catalog.find({ q, sort, limit: 2, cursor });
        seen.push(...page.items.map((item) => item.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual(all.items.map((item) => item.id));
      expect(seen.length).toBe(all.total);
      expect(seen.length).toBeGreaterThan(2);
    });

    it('refuses bad parameters with 400 naming each field', async () => {
      const fieldsOf = async (query: Record<string, unknown>) => {
        try {
          await catalog.find(query);
        } catch (error) {
          const e = error as { status: number; code: string; errors?: { field: string }[] };
          expect([e.status, e.code]).toEqual([400, 'VALIDATION_FAILED']);
          return (e.errors ?? []).map((f) => f.field).sort();
        }
        throw new Error('no error');
      };
      expect(await fieldsOf({ modality: 'smell', language: 'xx-klingon', maxPrice: -1, sort: 'popular', limit: 101, status: 'draft' })).toEqual(
        ['language', 'limit', 'maxPrice', 'modality', 'sort', 'status'],
      );
      expect(await fieldsOf({ sort: 'price', cursor: (await catalog.find({ sort: 'newest', limit: 1 })).nextCursor })).toEqual(['cursor']);
      // Words with control characters or a text-direction override, refused in every text Trove takes;
      // a byte order mark too, at either end as inside (spaces around the words are trimmed).
      for (const q of ['\u0000', '语\u0000音', '\u001b[31m语音', '\u202e语音', '\ufeff', '\ufeff语音', '语音\ufeff', '语\ufeff音']) expect(await fieldsOf({ q })).toEqual(['q']);
      expect((await catalog.find({ q: '\u3000语音 \n' })).total).toBe((await catalog.find({ q: '语音' })).total);
    });

    it('refuses a changed cursor whose values PostgreSQL would refuse with 400 naming it, and still follows real ones', async () => {
      const id = randomUUID();
      // Changed values under the tag of the search they are sent with: only the values are wrong.
      const cursorOf = (key: unknown[], query: Record<string, unknown>) =>
        Buffer.from(JSON.stringify([...key, searchStatement(query as SearchDatasetsRequest).cursorTag]), 'utf8').toString('base64url');
      const refusal = async (query: Record<string, unknown>) => {
        try {
          await catalog.find(query);
        } catch (error) {
          const e = error as { status: number; code: string; errors?: { field: string }[] };
          return [e.status, e.code, ...(e.errors ?? []).map((f) => f.field)];
        }
        return 'answered';
      };
      const cursorRefused = [400, 'VALIDATION_FAILED', 'cursor'];
      expect(await refusal({ sort: 'price', cursor: cursorOf(['price', null, '2026-01-01T00:00:00.000Z', id, '9999999999999999999'], { sort: 'price' }) })).toEqual(cursorRefused);
      expect(await refusal({ sort: 'newest', cursor: cursorOf(['newest', null, '1', id, 0], { sort: 'newest' }) })).toEqual(cursorRefused);
      expect(await refusal({ sort: 'newest', cursor: cursorOf(['newest', null, '2026-02-31T00:00:00+00:00', id, 0], { sort: 'newest' }) })).toEqual(cursorRefused);
      expect(await refusal({ q: 'speech', cursor: cursorOf(['relevance', 1e300, '2026-01-01T00:00:00+00:00', id, 0], { q: 'speech' }) })).toEqual(cursorRefused);
      expect(await refusal({ q: 'speech', cursor: cursorOf(['relevance', 1e-50, '2026-01-01T00:00:00+00:00', id, 0], { q: 'speech' }) })).toEqual(cursorRefused);
      expect(await refusal({ sort: 'newest', cursor: cursorOf(['newest', null, '2026-01-01T00:00:00+00:00', '------------------------------------', 0], { sort: 'newest' }) })).toEqual(cursorRefused);
      // The same values, well formed, under the search's own tag: followed (a position in the same search).
      expect(await refusal({ sort: 'newest', cursor: cursorOf(['newest', null, '2026-01-01T00:00:00+00:00', id, 0], { sort: 'newest' }) })).toBe('answered');
      // The cursors Trove writes (microseconds and an offset from PostgreSQL, a real score) are followed.
      for (const query of [{ q: '语音', limit: 1 }, { sort: 'newest', limit: 1 }, { sort: 'price', limit: 1 }]) {
        const first = await catalog.find(query);
        const second = await catalog.find({ ...query, cursor: first.nextCursor });
        expect(second.items[0].id).not.toBe(first.items[0].id);
      }
    });
    it('refuses the cursor of another search: other words, filters or currency, and one without a tag', async () => {
      const refused = async (query: Record<string, unknown>, cursor: string | null) => {
        const error = await catalog.find({ ...query, cursor }).catch((e: { status: number; code: string; errors?: { field: string }[] }) => e);
        return 'status' in error ? [error.status, error.code, ...(error.errors ?? []).map((f) => f.field)] : 'answered';
      };
      const cursorRefused = [400, 'VALIDATION_FAILED', 'cursor'];
      const speech = await catalog.find({ q: '语音', limit: 1 });
      expect(speech.nextCursor).not.toBeNull();
      expect(await refused({ q: '语音', limit: 5 }, speech.nextCursor)).toBe('answered');
      expect(await refused({ q: '方言', limit: 1 }, speech.nextCursor)).toEqual(cursorRefused);
      expect(await refused({ q: '语音', modality: 'speech', limit: 1 }, speech.nextCursor)).toEqual(cursorRefused);
      const cheapest = await catalog.find({ sort: 'price', limit: 1 });
      expect(await refused({ sort: 'price', currency: 'USD', limit: 1 }, cheapest.nextCursor)).toEqual(cursorRefused);
      // A position made up without the search's tag, as the cursors before tags were written.
      const untagged = Buffer.from(JSON.stringify(['newest', null, '9999-12-31T00:00:00+00:00', randomUUID(), '0']), 'utf8').toString('base64url');
      expect(await refused({ sort: 'newest', limit: 1 }, untagged)).toEqual(cursorRefused);
    });
  });

  describe('published datasets only, kept in the same transaction as the catalog', () => {
    const UNIQUE = '鄂尔多斯煤矿巡检';

    it('never shows a draft, a dataset in review or a rejected one, nor counts it in facets', async () => {
      const caller = vendor();
      const draft = await catalog.draft(caller, { title: `${UNIQUE}图像 草稿`, description: '井下巡检图像', modality: 'image', domain: 'energy' });
      const inReview = await catalog.draft(caller, { title: `${UNIQUE}图像 审核中`, description: '井下巡检图像', modality: 'image', domain: 'energy' });
      await catalog.ready(caller, inReview);
      await catalog.datasets.submit(caller, inReview, 'active');
      const rejected = await catalog.draft(caller, { title: `${UNIQUE}图像 已驳回`, description: '井下巡检图像', modality: 'image', domain: 'energy' });
      await catalog.ready(caller, rejected);
      await catalog.datasets.submit(caller, rejected, 'active');
      await catalog.datasets.reject(rejected, '缺少人脸脱敏说明');
      const page = await catalog.find({ q: UNIQUE });
      expect(page.items).toEqual([]);
      expect(page.facets.domain).toEqual([]);
      expect((await catalog.find({ domain: 'energy' })).total).toBe(0);
      expect(await catalog.query(`SELECT * FROM dataset_search WHERE dataset_id = ANY($1)`, [[draft, inReview, rejected]])).toEqual([]);
    });

    it('shows a dataset once approved and hides it again when suspended', async () => {
      const id = await catalog.publish({ title: `${UNIQUE}视频`, description: '皮带机巡检视频', modality: 'video', domain: 'energy' });
      expect((await catalog.find({ q: UNIQUE })).items.map((item) => item.id)).toEqual([id]);
      await catalog.datasets.suspend(id);
      expect((await catalog.find({ q: UNIQUE })).items).toEqual([]);
      expect((await catalog.find({ domain: 'energy' })).facets.domain).toEqual([]);
    });

    it('publishes a listing written without spaces (Thai) or with one overlong word, and finds it by a word inside', async () => {
      // A Thai description is one run of letters: as one word it passed PostgreSQL's 2,047 bytes
      // for a tsvector word, and the approval failed with a 500.
      const sentence = 'ชุดข้อมูลเสียงภาษาไทยสำหรับงานบริการลูกค้าทางโทรศัพท์'.repeat(20);
      const thai = await catalog.publish({ title: 'Thai call-centre speech 120 hours', description: sentence, modality: 'speech', domain: 'telecom', languages: ['th'] });
      expect((await catalog.find({ q: 'บริการลูกค้า' })).items.map((item) => item.id)).toEqual([thai]);
      const serial = await catalog.publish({ title: '设备序列号样本 Device serials', description: `Serials such as ${'X7'.repeat(1200)}`, modality: 'text', domain: 'telecom' });
      expect((await catalog.find({ q: `serials ${'x7'.repeat(40)}` })).items.map((item) => item.id)).toEqual([serial]);
    });

    it('writes again the documents of listings indexed before Thai was cut into pairs, so a Thai word finds them', async () => {
      const id = await catalog.publish({ title: 'คลังข้อความภาษาไทยสำหรับงานแปล', description: 'Thai translation corpus', modality: 'text', domain: 'education', languages: ['th'] });
      // As rows written before held it: the Thai title as one word.
      await catalog.query(`UPDATE dataset_search SET document = $2::tsvector WHERE dataset_id = $1`, [id, "'คลังข้อความภาษาไทยสำหรับงานแปล':1A 'thai':3C 'translation':4C 'corpu':5C"]);
      expect((await catalog.find({ q: 'งานแปล' })).items).toEqual([]);

      await catalog.runMigration(new SearchTokensForUnspacedScripts1764500011000());
      expect((await catalog.find({ q: 'งานแปล' })).items.map((item) => item.id)).toEqual([id]);
    });

    it('finds a listing written in traditional characters by a simplified query, and the other way round', async () => {
      const hongKong = await catalog.publish({ title: '香港廣東話電話錄音 200 小時', description: '粵語客服對話，說話人均簽署同意書', modality: 'speech', domain: 'telecom', languages: ['yue'] });
      const mainland = await catalog.publish({ title: '四川话车载语音指令 300 小时', description: '西南官话口音', modality: 'speech', domain: 'automotive', languages: ['zh-CN'] });
      const found = async (q: string) => (await catalog.find({ q, limit: 100 })).items.map((item) => item.id);
      expect(await found('广东话')).toContain(hongKong);
      expect(await found('粤语 客服')).toContain(hongKong);
      expect(await found('四川話')).toContain(mainland);
      expect(await found('四川話')).not.toContain(hongKong);
    });

    it('finds a listing by a word of the trade written another way or in the other language, and still needs the other words', async () => {
      const elderly = await catalog.publish({ title: '老年人普通话朗读语音 120 小时', description: '60 岁以上说话人，安静室内录制', modality: 'speech', domain: 'healthcare', languages: ['zh-CN'] });
      const tts = await catalog.publish({ title: 'Studio TTS voices, Mandarin female', description: '高保真录音棚录制，适合语音合成训练', modality: 'speech', domain: 'general', languages: ['zh-CN'] });
      const lidar = await catalog.publish({ title: '城市道路激光雷达点云 3D 框标注', description: '自动驾驶感知训练数据', modality: 'point_cloud', domain: 'automotive' });
      const found = async (q: string) => (await catalog.find({ q, limit: 100 })).items.map((item) => item.id);
      expect(await found('老人')).toContain(elderly);
      expect(await found('elderly speech')).toContain(elderly);
      expect(await found('text-to-speech')).toContain(tts);
      expect(await found('self-driving point cloud')).toContain(lidar);
      expect(await found('LiDAR annotation')).toContain(lidar);
      // The words that are no synonym are still needed.
      expect(await found('老人 日语')).not.toContain(elderly);
      expect(await found('text-to-speech 日语')).not.toContain(tts);
      expect(await found('self-driving 日语')).not.toContain(lidar);
    });

    it('ranks a listing holding the word asked in its title above those found through another phrasing of it, in labels or tags', async () => {
      const WORD = '鄂尔多斯';
      const inTitle = await catalog.publish({ title: `${WORD}客服通话语音 500 小时`, description: '呼叫中心来电录音，已脱敏', modality: 'speech', domain: 'telecom', languages: ['zh-CN'] });
      const byDomain = await catalog.publish({ title: `${WORD}方言通话语音 800 小时`, description: '来电咨询录音，已脱敏', modality: 'speech', domain: 'customer_service', languages: ['zh-CN'] });
      const sftTitle = await catalog.publish({ title: `${WORD}教育辅导多轮对话 SFT`, description: '中小学数学辅导问答', modality: 'dialogue', domain: 'education', languages: ['zh-CN'] });
      const sftTag = await catalog.publish({ title: `${WORD}代码指令微调数据`, description: '中文编程问答', modality: 'text', domain: 'education', languages: ['zh-CN'], tags: ['SFT', 'instruction tuning'] });
      const ranked = async (q: string) => (await catalog.find({ q: `${WORD} ${q}`, limit: 100 })).items.map((item) => item.id);
      expect(await ranked('客服')).toEqual([inTitle, byDomain]);
      expect(await ranked('SFT')).toEqual([sftTitle, sftTag]);
    });

    it('ranks a listing whose title is the query above one holding its words in the description, however many words it has', async () => {
      const title = 'Mandarin Smartphone Speech, 2,000 hours';
      const exact = await catalog.publish({ title, description: '手机采集普通话朗读语音，说话人 1,200 名', modality: 'speech', domain: 'general', languages: ['zh-CN'] });
      // Published after it: a tie would put it first.
      const partial = await catalog.publish({ title: 'Mandarin read speech on smartphones, 1,000 hours', description: 'Recorded on 2,000 smartphone models', modality: 'speech', domain: 'general', languages: ['zh-CN'] });
      const { items } = await catalog.find({ q: title, limit: 100 });
      const ranked = items.map((item) => item.id).filter((id) => id === exact || id === partial);
      expect(ranked).toEqual([exact, partial]);
      const score = (id: string) => items.find((item) => item.id === id)!.score!;
      expect(score(exact)).toBeGreaterThan(score(partial));
      expect(score(exact)).toBeLessThan(1);
    });

    it('writes again the documents of listings indexed before traditional characters were folded', async () => {
      const id = await catalog.publish({ title: '臺灣國語朗讀語料', description: 'Taiwanese Mandarin read speech', modality: 'speech', domain: 'education', languages: ['zh-TW'] });
      // As rows written before held it: the characters as written.
      await catalog.query(`UPDATE dataset_search SET document = $2::tsvector WHERE dataset_id = $1`, [id, "'臺灣':1A '灣國':2A '國語':3A '語朗':4A '朗讀':5A '讀語':6A '語料':7A 'taiwanese':8C"]);
      expect((await catalog.find({ q: '国语' })).items).toEqual([]);

      await catalog.runMigration(new SearchTraditionalChinese1765100000000());
      expect((await catalog.find({ q: '国语' })).items.map((item) => item.id)).toEqual([id]);
      expect((await catalog.find({ q: '臺灣' })).items.map((item) => item.id)).toEqual([id]);
    });

    it('writes again the documents of listings indexed before languages were named in their own script and grouped numbers read whole', async () => {
      const id = await catalog.publish({ title: '日语客服电话录音 16,000Hz', description: '東京コールセンター通話', modality: 'speech', domain: 'telecom', languages: ['ja'] });
      const untouched = await catalog.publish({ title: '电力调度对话文本', description: '调度员与变电站值班员', modality: 'text', domain: 'energy' });
      const [before] = await catalog.query<{ document: string }>(`SELECT document::text FROM dataset_search WHERE dataset_id = $1`, [untouched]);
      // As rows written before held it: no 日本語, and 16,000 as two numbers.
      await catalog.query(`UPDATE dataset_search SET document = $2::tsvector WHERE dataset_id = $1`, [id, "'日语':1A '客服':2A '电话':3A '录音':4A '16':5A '000hz':6A 'ja':7B"]);
      expect((await catalog.find({ q: '日本語' })).items).toEqual([]);
      expect((await catalog.find({ q: '16000hz' })).items).toEqual([]);
      const [{ generation }] = await catalog.query<{ generation: string }>(`SELECT generation FROM search_generation`);

      await catalog.runMigration(new RewriteSearchDocuments1765700000000());
      expect((await catalog.find({ q: '日本語' })).items.map((item) => item.id)).toEqual([id]);
      expect((await catalog.find({ q: '16000hz 客服' })).items.map((item) => item.id)).toEqual([id]);
      expect(await catalog.query(`SELECT document::text FROM dataset_search WHERE dataset_id = $1`, [untouched])).toEqual([before]);
      // One statement rewrote the batch: one raise of the generation, so caches empty once.
      expect(await catalog.query(`SELECT generation FROM search_generation`)).toEqual([{ generation: String(Number(generation) + 1) }]);
    });

    it('finds by 普通话 and Mandarin the listings that hold Chinese speech, not every one tagged zh-CN, also those indexed before', async () => {
      const WORD = '青藏铁路';
      const recordings = await catalog.publish({ title: `${WORD}列车广播录音`, description: '车厢广播与乘务员播报', modality: 'speech', domain: 'transportation', languages: ['zh-CN'] });
      const signs = await catalog.publish({ title: `${WORD}站牌文字图像`, description: '站名牌与指示牌', modality: 'image', domain: 'transportation', languages: ['zh-CN'], annotationTypes: ['ocr_text'] });
      const found = async (q: string) => (await catalog.find({ q: `${WORD} ${q}` })).items.map((item) => item.id).sort();
      for (const q of ['普通话', 'Mandarin']) expect(await found(q)).toEqual([recordings]);
      for (const q of ['中文', 'Chinese']) expect(await found(q)).toEqual([recordings, signs].sort());

      // As rows written before held it: every listing tagged zh-CN with the spoken names.
      await catalog.query(`UPDATE dataset_search SET document = document || $2::tsvector WHERE dataset_id = $1`, [signs, tsqueryText('普通话 Mandarin')!.replaceAll(' & ', ' ')]);
      expect(await found('普通话')).toEqual([recordings, signs].sort());
      await catalog.runMigration(new SpokenLanguageNames1765800000000());
      for (const q of ['普通话', 'Mandarin']) expect(await found(q)).toEqual([recordings]);
      expect(await found('中文')).toEqual([recordings, signs].sort());
    });

    it('finds Latin and Greek words with or without their accents, also in listings indexed before', async () => {
      const cafe = await catalog.publish({ title: 'Café ambient noise, Łódź and Zürich', description: 'Résumé readings in naïve French', modality: 'speech', domain: 'general', languages: ['fr'] });
      const found = async (q: string) => (await catalog.find({ q, limit: 100 })).items.map((item) => item.id);
      for (const q of ['cafe', 'CAFÉ', 'café', 'lodz', 'Łódź', 'zurich', 'resume reading', 'naive']) expect(await found(q)).toContain(cafe);
      expect(await found('cafe 日语')).not.toContain(cafe);

      // As rows written before held it: the accented words as written.
      await catalog.query(`UPDATE dataset_search SET document = $2::tsvector WHERE dataset_id = $1`, [cafe, "'café':1A 'ambient':2A 'noise':3A 'łódź':4A 'zürich':6A"]);
      expect(await found('cafe')).not.toContain(cafe);
      await catalog.runMigration(new SearchWithoutAccents1766100000000());
      for (const q of ['cafe', 'Café', 'lodz', 'zurich']) expect(await found(q)).toContain(cafe);
    });

    it('finds a listing by the singular of a plural in es (3D box finds 3D Boxes) and the other way round, also in listings indexed before', async () => {
      const boxes = await catalog.publish({ title: 'LiDAR Point Clouds with 3D Boxes', description: 'Urban driving scenes, 64-beam sensor, tracked classes', modality: 'point_cloud', domain: 'automotive' });
      const patch = await catalog.publish({ title: '3D box and patch annotation of shelf images', description: 'Retail shelves', modality: 'image', domain: 'e-commerce' });
      const found = async (q: string) => (await catalog.find({ q, limit: 100 })).items.map((item) => item.id);
      for (const q of ['3D box', '3d boxes', 'lidar box', 'tracked class']) expect(await found(q)).toContain(boxes);
      expect(await found('3D boxes patches')).toEqual([patch]);

      // As rows written before held it: the plural cut to boxe.
      await catalog.query(`UPDATE dataset_search SET document = $2::tsvector WHERE dataset_id = $1`, [boxes, "'lidar':1A 'point':2A 'cloud':3A '3d':5A 'boxe':6A"]);
      expect(await found('3D box')).not.toContain(boxes);
      await catalog.runMigration(new SearchPluralEndings1766200000000());
      expect(await found('3D box')).toContain(boxes);
    });

    it('follows edits and withdrawn offers of a published dataset', async () => {
      const caller = vendor();
      const id = await catalog.publish({ title: '电力巡检无人机图像', description: '输电线路绝缘子缺陷', modality: 'image', domain: 'energy' }, [{ template: 'research', amount: 1_000_000 }], caller);
      await catalog.datasets.update(caller, id, { title: '电网输电线路无人机巡检图像' });
      expect(await catalog.titles({ q: '电网' })).toEqual(['电网输电线路无人机巡检图像']);
      const [offer] = await catalog.query<{ id: string }>(`SELECT id FROM offer WHERE dataset_id = $1`, [id]);
      await catalog.moduleRef.get(OffersService).withdraw(caller, id, offer.id);
      const [hit] = (await catalog.find({ q: '电网' })).items;
      expect(hit.licenses).toEqual([]);
      expect(hit.lowestPrice).toBeNull();
    });

    it('moves a published dataset whose modality is edited, and keeps one search row for it', async () => {
      const caller = vendor();
      const id = await catalog.publish({ title: '港口集装箱吊装监控图像', description: '岸桥作业画面', modality: 'image', domain: 'manufacturing' }, [{ template: 'research', amount: 2_000_000 }], caller);
      await catalog.datasets.update(caller, id, { modality: 'video', image: null, video: exampleMetadata('video').video });
      expect(await catalog.titles({ q: '集装箱', modality: 'video' })).toEqual(['港口集装箱吊装监控图像']);
      expect(await catalog.titles({ q: '集装箱', modality: 'image' })).toEqual([]);
      expect((await catalog.find({ q: '集装箱' })).facets.modality).toEqual([{ value: 'video', count: 1 }]);
      expect(await catalog.query(`SELECT modality FROM dataset_search WHERE dataset_id = $1`, [id])).toEqual([{ modality: 'video' }]);
    });

    it('leaves the projection unchanged when the change rolls back', async () => {
      const caller = vendor();
      const id = await catalog.publish({ title: '光伏电站红外热成像', description: '组件热斑', modality: 'image', domain: 'energy' }, undefined, caller);
      // A constraint added behind the service's back makes the rename fail after the indexer ran.
      await catalog.query(`ALTER TABLE dataset ADD CONSTRAINT search_test_no_rename CHECK (title <> '光伏电站红外热成像 v2') NOT VALID`);
      try {
        await expect(catalog.datasets.update(caller, id, { title: '光伏电站红外热成像 v2' })).rejects.toThrow();
      } finally {
        await catalog.query(`ALTER TABLE dataset DROP CONSTRAINT search_test_no_rename`);
      }
      expect(await catalog.titles({ q: '光伏' })).toEqual(['光伏电站红外热成像']);
    });

    it('answers a repeated search from its cache, and a change committed right after a cached answer is seen by the next search', async () => {
      const WORD = '青海盐湖卫星遥感';
      const caller = vendor();
      const first = await catalog.publish({ title: `${WORD}影像 一期`, description: '察尔汗盐湖', modality: 'image', domain: 'energy' }, [{ template: 'research', amount: 1_000_000 }], caller);
      expect((await catalog.find({ q: WORD })).total).toBe(1);
      const before = await catalog.cacheOutcomes();
      const cached = await catalog.find({ q: WORD });
      expect(cached.items.map((item) => item.id)).toEqual([first]);
      expect((await catalog.cacheOutcomes()).hit).toBe(before.hit + 1);

      // Published right after the cached answer: the next search finds it and counts it.
      const second = await catalog.publish({ title: `${WORD}影像 二期`, description: '东台吉乃尔湖', modality: 'image', domain: 'agriculture' }, [{ template: 'commercial', amount: 2_000_000 }]);
      const afterPublish = await catalog.find({ q: WORD });
      expect(afterPublish.items.map((item) => item.id).sort()).toEqual([first, second].sort());
      expect(afterPublish.facets.domain).toEqual([{ value: 'agriculture', count: 1 }, { value: 'energy', count: 1 }]);

      // Suspended, edited, an offer withdrawn: each seen at once, the facets with them.
      await catalog.datasets.suspend(second);
      const afterSuspend = await catalog.find({ q: WORD });
      expect(afterSuspend.items.map((item) => item.id)).toEqual([first]);
      expect(afterSuspend.facets.domain).toEqual([{ value: 'energy', count: 1 }]);
      await catalog.datasets.update(caller, first, { title: `${WORD}影像 一期（修订）` });
      expect((await catalog.find({ q: WORD })).items.map((item) => item.title)).toEqual([`${WORD}影像 一期（修订）`]);
      const [offer] = await catalog.query<{ id: string }>(`SELECT id FROM offer WHERE dataset_id = $1`, [first]);
      await catalog.moduleRef.get(OffersService).withdraw(caller, first, offer.id);
      expect((await catalog.find({ q: WORD })).facets.license).toEqual([]);
      expect((await catalog.find({ q: WORD, license: 'research' })).total).toBe(0);
    });

    it('keeps serving cached answers through an edit that leaves a published listing as it was, and drops them at a real one', async () => {
      const WORD = '洱海湿地鸟类';
      const caller = vendor();
      const id = await catalog.publish({ title: `${WORD}红外相机图像`, description: '越冬水鸟', modality: 'image', domain: 'agriculture', tags: ['生态'] }, [{ template: 'research', amount: 800_000 }], caller);
      const generation = async () => Number((await catalog.query<{ generation: string }>(`SELECT generation FROM search_generation`))[0].generation);
      await catalog.find({ q: WORD });
      const before = { generation: await generation(), hits: (await catalog.cacheOutcomes()).hit };
      // `{}`, and the title and tags sent again as they stand: nothing written, nothing reindexed.
      const same = await catalog.datasets.update(caller, id, {});
      await catalog.datasets.update(caller, id, { title: `${WORD}红外相机图像`, tags: ['生态'] });
      expect(await generation()).toBe(before.generation);
      expect((await catalog.find({ q: WORD })).total).toBe(1);
      expect((await catalog.cacheOutcomes()).hit).toBe(before.hits + 1);
      expect((await catalog.datasets.update(caller, id, {})).updatedAt).toBe(same.updatedAt);
      // A real edit is seen by the next search.
      await catalog.datasets.update(caller, id, { tags: ['生态', '候鸟'] });
      expect(await generation()).toBeGreaterThan(before.generation);
      expect((await catalog.find({ q: `${WORD} 候鸟` })).total).toBe(1);
    });

    it('sees a change another catalog replica committed (straight in the database) at the next search', async () => {
      const WORD = '舟山渔港船舶';
      const id = await catalog.publish({ title: `${WORD}监控视频`, description: '渔船进出港', modality: 'video', domain: 'transportation' });
      expect((await catalog.find({ q: WORD })).total).toBe(1);
      expect((await catalog.find({ q: WORD })).total).toBe(1);
      await catalog.query(`UPDATE dataset SET status = 'suspended' WHERE id = $1`, [id]);
      await catalog.query(`DELETE FROM dataset_search WHERE dataset_id = $1`, [id]);
      const page = await catalog.find({ q: WORD });
      expect(page.total).toBe(0);
      expect(page.facets.modality).toEqual([]);
    });

    it('rebuilds a row once one of its offers has expired', async () => {
      const caller = vendor();
      const id = await catalog.publish(
        { title: '农业病虫害识别图像', description: '水稻与小麦叶片', modality: 'image', domain: 'agriculture' },
        [{ template: 'research', amount: 500_000, expiresAt: new Date(Date.now() + 86_400_000).toISOString() }, { template: 'commercial', amount: 5_000_000 }],
        caller,
      );
      expect((await catalog.find({ q: '病虫害' })).items[0].licenses).toEqual(['commercial', 'research']);
      // The research offer's day has passed.
      await catalog.query(`UPDATE offer SET expires_at = now() - interval '1 second' WHERE dataset_id = $1 AND template = 'research'`, [id]);
      await catalog.query(`UPDATE dataset_search SET refresh_at = now() - interval '1 second' WHERE dataset_id = $1`, [id]);
      expect(await catalog.search.refreshExpired()).toBe(1);
      const [hit] = (await catalog.find({ q: '病虫害' })).items;
      expect(hit.licenses).toEqual(['commercial']);
      expect(hit.lowestPrice).toEqual({ amount: 5_000_000, currency: 'CNY' });
    });

    it('leaves out every offer a live exclusive sale blocks, exclusive or not, in its territory: no license facet, filter or lowest price, until the sale is released or ends', async () => {
      const caller = vendor();
      const id = await catalog.publish(
        { title: '金融客服通话录音 独家授权', description: '银行信用卡中心坐席与客户通话，双声道', modality: 'speech', domain: 'finance', languages: ['zh-CN'] },
        [{ template: 'commercial', amount: 26_000_000 }],
        caller,
      );
      const offers = catalog.moduleRef.get(OffersService);
      const exclusive = await offers.create(caller, { datasetId: id, ...exclusiveOffer(24, ['CN'], 9_800_000) } as never);
      // A research license for Hong Kong only, outside the exclusive territory.
      const hongKongTerms = { uses: ['model_training', 'fine_tuning', 'evaluation', 'derivatives'], termMonths: 12, territories: ['HK'], seats: 20, exclusive: false };
      await offers.create(caller, { datasetId: id, license: { template: 'research', terms: hongKongTerms }, pricing: { model: 'one_time', price: { amount: 30_000_000, currency: 'CNY' } } } as never);
      const shown = async () => {
        const filtered = await catalog.find({ q: '坐席', license: 'commercial_exclusive' });
        const page = await catalog.find({ q: '坐席' });
        return { matchesFilter: filtered.items.length, licenses: page.items[0].licenses, lowestPrice: page.items[0].lowestPrice?.amount, facet: page.facets.license.map((f) => f.value) };
      };
      const allOnSale = { matchesFilter: 1, licenses: ['commercial', 'commercial_exclusive', 'research'], lowestPrice: 9_800_000, facet: ['commercial', 'commercial_exclusive', 'research'] };
      // On sale: the cheaper exclusive offer is the listing's lowest price, and it matches the license filter.
      expect(await shown()).toEqual(allOnSale);

      const orderId = randomUUID();
      const sale = await offers.reserveExclusive({ offerId: exclusive.id, buyerOrgId: randomUUID(), orderId });
      // Sold: no one else is licensed the data in mainland China while it runs, so neither the
      // exclusive offer nor the commercial one (mainland China) is offered; Hong Kong's still is.
      expect(await shown()).toEqual({ matchesFilter: 0, licenses: ['research'], lowestPrice: 30_000_000, facet: ['research'] });
      const [row] = await catalog.query<{ refresh_at: Date }>(`SELECT refresh_at FROM dataset_search WHERE dataset_id = $1`, [id]);
      expect(row.refresh_at.toISOString()).toBe(sale.endsAt);

      // Released (the order was refunded): on sale again.
      await offers.releaseExclusive(orderId);
      expect(await shown()).toEqual(allOnSale);

      // Sold again, and its 24 months pass: the row is rebuilt when the sale ends.
      await offers.reserveExclusive({ offerId: exclusive.id, buyerOrgId: randomUUID(), orderId: randomUUID() });
      expect((await shown()).matchesFilter).toBe(0);
      await catalog.query(`UPDATE exclusive_sale SET starts_at = now() - interval '25 months', ends_at = now() - interval '1 month' WHERE dataset_id = $1 AND status = 'live'`, [id]);
      await catalog.query(`UPDATE dataset_search SET refresh_at = now() - interval '1 second' WHERE dataset_id = $1`, [id]);
      expect(await catalog.search.refreshExpired()).toBe(1);
      expect(await shown()).toEqual(allOnSale);
    });

    it('keeps the tallies equal to the rows they count through every change, and zero after a truncation', async () => {
      for (const [name, { counted, tallied }] of Object.entries(SEARCH_TALLIES)) {
        const rows = await catalog.query<{ facet_key: string; datasets: number }>(counted);
        expect({ name, enough: rows.length > 3 }).toEqual({ name, enough: true });
        expect({ name, tallied: await catalog.query(tallied) }).toEqual({ name, tallied: rows });
        const client = new Client({ connectionString: catalog.url });
        await client.connect();
        try {
          await client.query('BEGIN');
          await client.query('TRUNCATE dataset_search');
          expect((await client.query(tallied)).rows).toEqual([]);
          await client.query('ROLLBACK');
        } finally {
          await client.end();
        }
        expect({ name, tallied: await catalog.query(tallied) }).toEqual({ name, tallied: rows });
      }
    });

    it('puts each yuan price in the band of the prices with its leading digit and length', async () => {
      const prices = ['0', '9', '10', '19', '20', '99', '100', '129900', '3000000', '2999999', '9007199254740991', '9223372036854775807'];
      const [row] = await catalog.query<{ bands: string[] }>(`SELECT array_agg(search_price_band(p)::text ORDER BY n) AS bands FROM unnest($1::bigint[]) WITH ORDINALITY AS u(p, n)`, [prices]);
      expect(row.bands).toEqual(['0', '9', '10', '10', '20', '90', '100', '100000', '3000000', '2000000', '9000000000000000', '9000000000000000000']);
    });
  });
});
