import { GatewayEvents, SearchDatasetsRequest, type DatasetSearchPage, type OrganizationStatus } from '@trove/contracts';
import { exampleMetadata, type Modality } from '@trove/dataset';
import { UnitOfWork } from '@trove/messaging';
import { ServiceException, validateMessage, type Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DatasetsService } from '../src/datasets/datasets.service';
import { OffersService } from '../src/offers/offers.service';
import { SearchService } from '../src/search/search.service';
import { VersionsService } from '../src/versions/versions.service';
import { withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { waitFor } from '../../../test/support/processes';
import { SEARCH_TALLIES } from '../../../test/support/catalog';
import { startCatalogModule, type CatalogModule } from './catalog-module';

/**
 * An operator suspends a vendor organization; the gateway refuses its keys and tells the other
 * services (`evt.gateway.organization.status-changed.v1`). The catalog, told the same way here
 * (the event written to an outbox and published by the relay, as the gateway does), takes every
 * published listing of that vendor out of search, its totals and facets, hides their pages from
 * the public and stops selling their offers, without changing any listing's own status; a
 * reinstatement brings them back as they were. Changes of one organization may arrive late or
 * twice: the newest one wins.
 */
jest.setTimeout(180_000);

const org = (role: Caller['role']): Caller => ({ organizationId: randomUUID(), role, keyId: randomUUID() });
const admin = org('admin');
const buyer = org('buyer');

interface Listing {
  title: string;
  modality: Modality;
  domain: string;
  languages: string[];
  annotationTypes: string[];
  tags: string[];
  template?: string;
  amount?: number;
}

describe("a suspended vendor's listings, as the catalog learns of the suspension from the gateway", () => {
  let catalog: CatalogModule;
  let db: TestDatabase;
  let moduleRef: TestingModule;

  const datasets = () => moduleRef.get(DatasetsService);
  const offers = () => moduleRef.get(OffersService);
  const read = <T>(work: () => Promise<T>) => moduleRef.get(UnitOfWork).read(work);
  const sql = <T>(text: string, values: unknown[] = []) => withDatabase(db.url, async (c) => (await c.query(text, values)).rows as T[]);

  /** A search as the gateway sends it. */
  const find = (query: Record<string, unknown> = {}): Promise<DatasetSearchPage> => moduleRef.get(SearchService).search(validateMessage(SearchDatasetsRequest, query));
  const titles = async (query: Record<string, unknown> = {}) => (await find(query)).items.map((item) => item.title).sort();
  const generation = async () => Number((await sql<{ generation: string }>(`SELECT generation FROM search_generation`))[0].generation);
  /** The search tallies against the rows they count: they must always agree. */
  const tallyMatchesRows = async () => {
    for (const [name, { counted, tallied }] of Object.entries(SEARCH_TALLIES)) expect({ name, tallied: await sql(tallied) }).toEqual({ name, tallied: await sql(counted) });
  };

  /** What a caller gets of a listing's page: its status, or the refusal's code. */
  const page = (caller: Caller | undefined, id: string) =>
    read(() => datasets().detail(caller, id)).then(
      (detail) => detail.status as string,
      (error: unknown) => (error instanceof ServiceException ? error.code : String(error)),
    );
  const card = (caller: Caller | undefined, id: string) =>
    read(() => datasets().croissant(caller, id)).then(
      () => 'card',
      (error: unknown) => (error instanceof ServiceException ? error.code : String(error)),
    );
  /** What ordering's `catalog.offer.get` answers the caller: `available`, or the refusal's code. */
  const orderable = (caller: Caller, offerId: string) =>
    read(() => offers().snapshot(caller, offerId)).then(
      (snapshot) => (snapshot.available ? 'available' : `not available (${snapshot.datasetStatus})`),
      (error: unknown) => (error instanceof ServiceException ? error.code : String(error)),
    );
  const statuses = async (vendor: Caller) => Object.fromEntries((await read(() => datasets().list(vendor.organizationId, undefined, undefined, 100))).items.map((d) => [d.title, d.status]));

  /** The gateway's event, written to an outbox in a unit of work and published by its relay. */
  const statusChanged = (organizationId: string, status: OrganizationStatus, changedAt: Date): Promise<string> =>
    moduleRef.get(UnitOfWork).run((tx) => tx.publish(GatewayEvents.organizationStatusChanged, { organizationId, status, changedAt: changedAt.toISOString() }));
  const applied = (eventId: string) => waitFor(`event ${eventId} applied`, async () => (await sql(`SELECT 1 FROM inbox WHERE event_id = $1`, [eventId])).length === 1, 30_000);
  const standing = async (organizationId: string) =>
    (await sql<{ status: string; changed_at: Date }>(`SELECT status, changed_at FROM organization_standing WHERE organization_id = $1`, [organizationId]))[0];

  /** A draft with a released version and one offer: ready to submit. Answers the dataset and offer ids. */
  async function ready(vendor: Caller, listing: Listing): Promise<{ id: string; offerId: string }> {
    const { template = 'commercial', amount = 12_800_000, ...metadata } = listing;
    const id = (await datasets().create(vendor, { ...exampleMetadata(listing.modality), ...metadata, description: `${listing.title}：真实场景采集，人工逐条质检。` } as never)).id;
    const versions = moduleRef.get(VersionsService);
    const version = await versions.create(vendor, id, '1.0.0', '首个版本 / First release');
    await versions.addFile(undefined, { datasetId: id, versionId: version.id, path: 'data/part-0001.jsonl', size: 4096, sha256: 'e'.repeat(64), storageKey: `datasets/${id}/part-0001.jsonl` });
    await versions.release(vendor, id, version.id);
    const offer = await offers().create(vendor, { datasetId: id, license: { template }, pricing: { model: 'one_time', price: { amount, currency: 'CNY' } } } as never);
    return { id, offerId: offer.id };
  }

  async function published(vendor: Caller, listing: Listing): Promise<{ id: string; offerId: string }> {
    const listed = await ready(vendor, listing);
    await datasets().submit(vendor, listed.id, 'active');
    await datasets().approve(listed.id);
    return listed;
  }

  beforeAll(async () => {
    catalog = await startCatalogModule('vendor_suspension');
    ({ moduleRef, db } = catalog);
  });

  afterAll(() => catalog?.stop());

  it('takes all of a suspended vendor’s published listings out of search, totals and facets, hides their pages and refuses their offers; reinstated, they are back as they were', async () => {
    const 海天 = org('vendor');
    const 数据堂 = org('vendor');
    const calls = await published(海天, { title: '普通话客服通话录音 500 小时', modality: 'speech', domain: 'telecom', languages: ['zh-CN'], annotationTypes: ['transcription'], tags: ['普通话', '客服'] });
    const roads = await published(海天, { title: '城市道路行车视频 拉框与跟踪', modality: 'video', domain: 'automotive', languages: ['zh-CN'], annotationTypes: ['bounding_box', 'tracking'], tags: ['自动驾驶'], amount: 50_000_000 });
    const news = await published(海天, { title: '粤语新闻播报语音 80 小时', modality: 'speech', domain: 'media', languages: ['yue'], annotationTypes: ['transcription'], tags: ['粤语'] });
    await datasets().suspend(news.id); // the operator's own decision about this one listing
    const draft = await ready(海天, { title: '四川话方言对话 120 小时（草稿）', modality: 'speech', domain: 'telecom', languages: ['zh-CN'], annotationTypes: ['transcription'], tags: ['方言'] });
    const finance = await published(数据堂, { title: '普通话金融问答 SFT 语料', modality: 'text', domain: 'finance', languages: ['zh-CN'], annotationTypes: ['question_answer'], tags: ['普通话', '金融'], template: 'research', amount: 3_000_000 });

    const everything = await find();
    const mandarin = await find({ q: '普通话' });
    expect(everything.total).toBe(3);
    expect(everything.facets.modality).toEqual(expect.arrayContaining([{ value: 'speech', count: 1 }, { value: 'video', count: 1 }, { value: 'text', count: 1 }]));
    // 普通话 finds what says it and the speech tagged zh-CN; 中文 every zh-CN listing, the driving videos too.
    expect(mandarin.items.map((i) => i.title).sort()).toEqual(['普通话客服通话录音 500 小时', '普通话金融问答 SFT 语料']);
    expect((await titles({ q: '中文' })).sort()).toEqual(['城市道路行车视频 拉框与跟踪', '普通话客服通话录音 500 小时', '普通话金融问答 SFT 语料']);
    const listingStatuses = await statuses(海天);
    const before = await generation();

    await applied(await statusChanged(海天.organizationId, 'suspended', new Date()));

    // Search: only 数据堂's listing is left, in the page, the total and every facet, with and without words.
    const afterAll = await find();
    expect(afterAll.items.map((i) => i.title)).toEqual(['普通话金融问答 SFT 语料']);
    expect(afterAll.total).toBe(1);
    expect(afterAll.facets).toEqual({
      modality: [{ value: 'text', count: 1 }],
      language: [{ value: 'zh', count: 1 }, { value: 'zh-CN', count: 1 }],
      domain: [{ value: 'finance', count: 1 }],
      license: [{ value: 'research', count: 1 }],
    });
    const afterMandarin = await find({ q: '普通话' });
    expect(afterMandarin.items.map((i) => i.title)).toEqual(['普通话金融问答 SFT 语料']);
    expect(afterMandarin.total).toBe(1);
    expect(afterMandarin.facets.domain).toEqual([{ value: 'finance', count: 1 }]);
    expect(await titles({ modality: 'video' })).toEqual([]);
    expect(await generation()).toBeGreaterThan(before);
    await tallyMatchesRows();

    // Pages: the public and buyers get 404 (and no dataset card); the vendor and operators see the listing as it is.
    for (const id of [calls.id, roads.id]) {
      expect({ anonymous: await page(undefined, id), buyer: await page(buyer, id), otherVendor: await page(数据堂, id), vendor: await page(海天, id), admin: await page(admin, id) }).toEqual({
        anonymous: 'NOT_FOUND',
        buyer: 'NOT_FOUND',
        otherVendor: 'NOT_FOUND',
        vendor: 'published',
        admin: 'published',
      });
      expect(await card(undefined, id)).toBe('NOT_FOUND');
    }
    expect(await page(undefined, finance.id)).toBe('published');

    // Orders: what ordering reads says the offer cannot be bought, as for a withdrawn one.
    expect(await orderable(buyer, calls.offerId)).toBe('not available (published)');
    expect(await orderable(buyer, roads.offerId)).toBe('not available (published)');
    expect(await orderable(buyer, finance.offerId)).toBe('available');

    // The listings' own statuses are untouched.
    expect(await statuses(海天)).toEqual(listingStatuses);
    expect(listingStatuses).toMatchObject({ '普通话客服通话录音 500 小时': 'published', '粤语新闻播报语音 80 小时': 'suspended', '四川话方言对话 120 小时（草稿）': 'draft' });

    // Reinstated: everything is back exactly as it was; the listing the operator suspended stays suspended.
    await applied(await statusChanged(海天.organizationId, 'active', new Date()));
    expect(await find()).toEqual(everything);
    expect(await find({ q: '普通话' })).toEqual(mandarin);
    expect(await page(undefined, calls.id)).toBe('published');
    expect(await card(undefined, roads.id)).toBe('card');
    expect(await page(buyer, news.id)).toBe('NOT_FOUND');
    expect(await orderable(buyer, calls.offerId)).toBe('available');
    expect(await orderable(buyer, news.offerId)).toBe('NOT_FOUND');
    expect(await statuses(海天)).toEqual(listingStatuses);
    expect(await page(buyer, draft.id)).toBe('NOT_FOUND');
    await tallyMatchesRows();
  });

  it('keeps the newest status of a vendor whatever order the changes arrive in, and a change delivered again changes nothing', async () => {
    const 爱数 = org('vendor');
    const { id, offerId } = await published(爱数, { title: '儿童普通话朗读语音 200 小时', modality: 'speech', domain: 'education', languages: ['zh-CN'], annotationTypes: ['transcription'], tags: ['儿童', '朗读'] });
    const found = async () => (await titles({ q: '儿童' })).includes('儿童普通话朗读语音 200 小时');
    expect(await found()).toBe(true);

    const suspendedAt = new Date();
    await applied(await statusChanged(爱数.organizationId, 'suspended', suspendedAt));
    expect(await found()).toBe(false);

    // The approval that came before the suspension, arriving after it: still suspended.
    await applied(await statusChanged(爱数.organizationId, 'active', new Date(suspendedAt.getTime() - 60_000)));
    expect(await found()).toBe(false);
    expect(await page(buyer, id)).toBe('NOT_FOUND');
    expect(await orderable(buyer, offerId)).toBe('not available (published)');
    expect(await standing(爱数.organizationId)).toEqual({ status: 'suspended', changed_at: suspendedAt });

    // The suspension once more, as a late repeat: nothing changes, not even the search generation.
    const unchanged = await generation();
    await applied(await statusChanged(爱数.organizationId, 'suspended', suspendedAt));
    expect(await generation()).toBe(unchanged);

    // Reinstated after the suspension: found again. A suspension older than that, arriving now, is ignored.
    const reinstatedAt = new Date(suspendedAt.getTime() + 1000);
    await applied(await statusChanged(爱数.organizationId, 'active', reinstatedAt));
    expect(await found()).toBe(true);
    await applied(await statusChanged(爱数.organizationId, 'suspended', new Date(suspendedAt.getTime() + 500)));
    expect(await found()).toBe(true);
    expect(await orderable(buyer, offerId)).toBe('available');
    expect(await standing(爱数.organizationId)).toEqual({ status: 'active', changed_at: reinstatedAt });
    await tallyMatchesRows();
  });

  it('keeps a listing an operator publishes while its vendor is suspended out of search until the vendor is reinstated', async () => {
    const 标贝 = org('vendor');
    const reviewed = await ready(标贝, { title: '情感语音合成录音 50 小时', modality: 'speech', domain: 'media', languages: ['zh-CN'], annotationTypes: ['emotion'], tags: ['TTS', '情感'] });
    await datasets().submit(标贝, reviewed.id, 'active');
    const earlier = await published(标贝, { title: '车载语音指令 300 小时', modality: 'speech', domain: 'automotive', languages: ['zh-CN'], annotationTypes: ['transcription', 'intent'], tags: ['车载', '指令'] });
    await datasets().suspend(earlier.id);

    await applied(await statusChanged(标贝.organizationId, 'suspended', new Date()));
    // The operator approves the listing in review and reinstates the other: both published, neither found.
    await datasets().approve(reviewed.id);
    await datasets().approve(earlier.id);
    expect((await statuses(标贝))['情感语音合成录音 50 小时']).toBe('published');
    expect(await titles({ q: '情感' })).toEqual([]);
    expect(await titles({ q: '车载' })).toEqual([]);
    expect(await page(undefined, reviewed.id)).toBe('NOT_FOUND');
    expect(await orderable(buyer, earlier.offerId)).toBe('not available (published)');
    // A change to an offer, which rebuilds the listing's search row, does not bring it back either.
    await offers().withdraw(标贝, reviewed.id, reviewed.offerId);
    expect(await titles({ q: '情感' })).toEqual([]);

    await applied(await statusChanged(标贝.organizationId, 'active', new Date()));
    expect(await titles({ q: '车载' })).toEqual(['车载语音指令 300 小时']);
    expect(await titles({ q: '情感' })).toEqual(['情感语音合成录音 50 小时']);
    await tallyMatchesRows();
  });

  it('does not let a listing an operator approves at the same moment slip back into search', async () => {
    const 云测 = org('vendor');
    const { id } = await ready(云测, { title: '智能家居远场唤醒词录音 1,000 小时', modality: 'speech', domain: 'smart_home', languages: ['zh-CN'], annotationTypes: ['transcription'], tags: ['唤醒词', '远场'] });
    await datasets().submit(云测, id, 'active');

    // The approval locks the listing and then waits, before its commit, on the search generation
    // row held here; the suspension arrives meanwhile.
    const holder = new Client({ connectionString: db.url });
    await holder.connect();
    let approving: Promise<unknown> | undefined;
    try {
      await holder.query('BEGIN');
      await holder.query('UPDATE search_generation SET generation = generation');
      approving = datasets().approve(id);
      await waitFor('the approval to wait for the generation row', async () => (await sql(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length === 1);
      const eventId = await statusChanged(云测.organizationId, 'suspended', new Date());
      await waitFor(
        'the suspension to wait for the listing being approved, or to be applied',
        async () =>
          (await sql(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).length === 2 ||
          (await sql(`SELECT 1 FROM inbox WHERE event_id = $1`, [eventId])).length === 1,
      );
      await holder.query('ROLLBACK');
      await approving;
      await applied(eventId);
    } finally {
      await holder.end();
      await approving?.catch(() => undefined);
    }
    expect((await statuses(云测))['智能家居远场唤醒词录音 1,000 小时']).toBe('published');
    expect(await titles({ q: '唤醒词' })).toEqual([]);
    expect(await page(undefined, id)).toBe('NOT_FOUND');
    await tallyMatchesRows();
  });

  it('records the status of an organization without published listings without touching search, so cached answers stay', async () => {
    const 新 = org('vendor');
    await ready(新, { title: '藏语语音 20 小时（草稿）', modality: 'speech', domain: 'education', languages: ['bo'], annotationTypes: ['transcription'], tags: ['藏语'] });
    const unchanged = await generation();
    await applied(await statusChanged(新.organizationId, 'suspended', new Date()));
    await applied(await statusChanged(buyer.organizationId, 'suspended', new Date()));
    expect(await generation()).toBe(unchanged);
    expect((await standing(新.organizationId)).status).toBe('suspended');
  });
});
