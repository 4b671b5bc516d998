import type { OfferSnapshot } from '@trove/contracts';
import { exampleMetadata, meteredVolume } from '@trove/dataset';
import { canonicalJson, defaultTerms } from '@trove/licensing';
import { UnitOfWork } from '@trove/messaging';
import { ServiceException, type Caller } from '@trove/platform';
import type { TestingModule } from '@nestjs/testing';
import { createHash, randomUUID } from 'node:crypto';
import { notFound, seesEverything } from '../src/access';
import { createDataSource } from '../src/data-source';
import { DatasetRepository } from '../src/datasets/dataset.repository';
import { DatasetsService } from '../src/datasets/datasets.service';
import { OfferRepository } from '../src/offers/offer.repository';
import { OffersService } from '../src/offers/offers.service';
import { OfferDefaultQuantity1764500012000 } from '../src/migrations/1764500012000-OfferDefaultQuantity';
import { VersionRepository } from '../src/versions/version.repository';
import { VersionsService } from '../src/versions/versions.service';
import { withDatabase, type TestDatabase } from '../../../test/support/postgres';
import { startCatalogModule, type CatalogModule } from './catalog-module';

/**
 * `catalog.offer.get`, what ordering asks at checkout, answered in one statement. The answer is
 * compared, offer by offer and caller by caller, with the one the entity reads gave before
 * (offer, then dataset, then released versions), on the same rows: same fields, same values,
 * same NOT_FOUND for what a caller may not see.
 */
jest.setTimeout(120_000);

const caller = (role: Caller['role'], organizationId = randomUUID()): Caller => ({ organizationId, role, keyId: randomUUID() });

describe('the offer snapshot ordering reads', () => {
  let catalog: CatalogModule;
  let db: TestDatabase;
  let moduleRef: TestingModule;
  const owner = caller('vendor');
  const admin = caller('admin');
  const buyer = caller('buyer');
  const otherBuyer = caller('buyer');
  const offers: Record<string, string> = {};
  let releasedIds: string[];

  const service = () => moduleRef.get(OffersService);
  const read = <T>(work: () => Promise<T>) => moduleRef.get(UnitOfWork).read(work);

  /** The snapshot as the entity reads built it before, on the same rows. */
  async function before(who: Caller | undefined, offerId: string): Promise<OfferSnapshot> {
    const offer = await moduleRef.get(OfferRepository).findById(offerId);
    const dataset = offer && (await moduleRef.get(DatasetRepository).findById(offer.datasetId));
    if (!offer || !dataset) throw notFound('offer', offerId);
    const all = seesEverything(who, dataset.vendorOrganizationId);
    if (!all && (dataset.status !== 'published' || !offer.visibleTo(who?.organizationId))) throw notFound('offer', offerId);
    return {
      ...offer.toView(),
      vendorOrganizationId: dataset.vendorOrganizationId,
      datasetStatus: dataset.status,
      datasetTitle: dataset.title,
      available: dataset.status === 'published' && offer.isLive(new Date()) && offer.visibleTo(who?.organizationId),
      releasedVersionIds: await moduleRef.get(VersionRepository).releasedIds(dataset.id),
      meteredVolume: offer.pricing.model === 'metered' ? meteredVolume(dataset.metadata as never, offer.pricing.unit ?? '') : null,
    };
  }

  const outcome = (work: () => Promise<OfferSnapshot>) =>
    read(work).then(
      (snapshot) => ({ snapshot }),
      (error: unknown) => ({ error: error instanceof ServiceException ? error.code : String(error) }),
    );

  async function listing(title: string): Promise<string> {
    const id = (await moduleRef.get(DatasetsService).create(owner, { ...exampleMetadata('speech'), title, description: `${title}: 客服通话录音与转写` } as never)).id;
    const versions = moduleRef.get(VersionsService);
    for (const label of ['1.0.0', '1.1.0']) {
      const version = await versions.create(owner, id, label, undefined);
      await versions.addFile(undefined, { datasetId: id, versionId: version.id, path: 'data/part-0001.jsonl', size: 2048, sha256: 'b'.repeat(64), storageKey: `datasets/${id}/${label}/part-0001.jsonl` });
      await versions.release(owner, id, version.id);
    }
    await versions.create(owner, id, '2.0.0', '未发布 / not released yet');
    return id;
  }

  async function offer(datasetId: string, extra: Record<string, unknown> = {}): Promise<string> {
    return (
      await service().create(owner, {
        datasetId,
        license: { template: 'commercial' },
        pricing: { model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } },
        ...extra,
      } as never)
    ).id;
  }

  beforeAll(async () => {
    catalog = await startCatalogModule('offer_snapshot');
    ({ moduleRef, db } = catalog);
    const datasets = moduleRef.get(DatasetsService);

    const published = await listing('普通话客服语音 500 小时');
    offers.public = await offer(published);
    offers.private = await offer(published, { buyerOrgId: buyer.organizationId, requiresApproval: true });
    offers.exclusive = await offer(published, { license: { template: 'commercial', terms: { ...defaultTerms('commercial'), exclusive: true, territories: ['CN'] } }, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    offers.expired = await offer(published, { expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    offers.withdrawn = await offer(published);
    offers.perHour = await offer(published, { pricing: { model: 'metered', unit: 'hour', price: { amount: 18_000, currency: 'CNY' } } });
    await datasets.submit(owner, published, 'active');
    await datasets.approve(published);
    await service().withdraw(owner, published, offers.withdrawn);
    await withDatabase(db.url, (c) => c.query(`UPDATE offer SET expires_at = now() - interval '1 hour' WHERE id = $1`, [offers.expired]));

    const draft = await listing('粤语新闻朗读 80 小时');
    offers.draft = await offer(draft);

    const suspended = await listing('四川话方言对话 120 小时');
    offers.suspended = await offer(suspended);
    await datasets.submit(owner, suspended, 'active');
    await datasets.approve(suspended);
    await datasets.suspend(suspended);

    releasedIds = (await withDatabase(db.url, (c) => c.query(`SELECT id FROM dataset_version WHERE dataset_id = $1 AND status = 'released' ORDER BY released_at, id`, [published]))).rows.map(
      (r: { id: string }) => r.id,
    );
  });

  afterAll(() => catalog?.stop());

  it('answers every offer, for every kind of caller, exactly as the entity reads did', async () => {
    const callers: [string, Caller | undefined][] = [
      ['owner', owner],
      ['admin', admin],
      ['buyer', buyer],
      ['other buyer', otherBuyer],
      ['no caller', undefined],
    ];
    for (const [offerName, offerId] of [...Object.entries(offers), ['missing', randomUUID()]]) {
      for (const [callerName, who] of callers) {
        const now = await outcome(() => service().snapshot(who, offerId));
        const then = await outcome(() => before(who, offerId));
        expect({ offerName, callerName, ...now }).toEqual({ offerName, callerName, ...then });
      }
    }
  });

  it('gives a buyer the published offer with its terms, hash, vendor and released versions, oldest first', async () => {
    const snapshot = await read(() => service().snapshot(buyer, offers.exclusive));
    expect(snapshot).toEqual({
      id: offers.exclusive,
      datasetId: expect.any(String),
      // Every field written out, defaults included: the canonical form the hash is taken of.
      license: { template: 'commercial', terms: { ...defaultTerms('commercial'), attributionRequired: false, downloadLimit: null, exclusive: true, territories: ['CN'] } },
      termsSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      pricing: { model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } },
      requiresApproval: false,
      exclusive: true,
      buyerOrgId: null,
      expiresAt: expect.any(String),
      status: 'active',
      createdAt: expect.any(String),
      defaultQuantity: null,
      vendorOrganizationId: owner.organizationId,
      datasetStatus: 'published',
      datasetTitle: '普通话客服语音 500 小时',
      available: true,
      releasedVersionIds: releasedIds,
      meteredVolume: null,
    });
    expect(releasedIds).toHaveLength(2);
    // A one-time offer has no metered volume; an offer per hour the hours the listing declares (1,505.5: 1,506 whole ones).
    expect(snapshot.meteredVolume).toBeNull();
    expect(await read(() => service().snapshot(buyer, offers.perHour))).toMatchObject({ meteredVolume: 1506, defaultQuantity: 1506 });
    // A buyer checks the hash from the terms as served: keys sorted, no whitespace (jq -cS).
    expect(createHash('sha256').update(canonicalJson(snapshot.license.terms)).digest('hex')).toBe(snapshot.termsSha256);
  });

  it('sells an item without quantity what the offer fixed when it was made, never what the listing was edited to since', async () => {
    const datasets = moduleRef.get(DatasetsService);
    const id = await listing('吴语电话录音 300 小时');
    const perHour = await offer(id, { pricing: { model: 'metered', unit: 'hour', price: { amount: 18_000, currency: 'CNY' } } });
    await datasets.submit(owner, id, 'active');
    await datasets.approve(id);
    const hours = (await read(() => service().snapshot(buyer, perHour))).meteredVolume!;
    expect(hours).toBeGreaterThan(0);
    const speech = (exampleMetadata('speech') as { speech: Record<string, unknown> }).speech;

    // A published listing's edits are live: the vendor claims a thousand times the hours.
    await datasets.update(owner, id, { speech: { ...speech, hours: hours * 1000 } });
    expect(await read(() => service().snapshot(buyer, perHour))).toMatchObject({ meteredVolume: hours * 1000, defaultQuantity: hours });

    // Fewer hours than the offer was made with: the offer comes down to what is there now, for
    // good. Raising the hours again does not raise it: a figure set high before the offer was
    // made, lowered for review and raised after, buys no more than the lowest.
    await datasets.update(owner, id, { speech: { ...speech, hours: 12.5 } });
    expect(await read(() => service().snapshot(buyer, perHour))).toMatchObject({ meteredVolume: 13, defaultQuantity: 13 });
    await datasets.update(owner, id, { speech: { ...speech, hours: hours * 1000 } });
    expect(await read(() => service().snapshot(buyer, perHour))).toMatchObject({ meteredVolume: hours * 1000, defaultQuantity: 13 });
    // A listing that stops declaring hours would leave the live offer on sale with nothing whole
    // to sell, every order of it refused: the edit is refused instead, naming the offer, and
    // changes nothing.
    await expect(datasets.update(owner, id, { speech: { ...speech, hours: undefined } })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining(perHour),
    });
    expect(await read(() => service().snapshot(buyer, perHour))).toMatchObject({ meteredVolume: hours * 1000, defaultQuantity: 13, available: true });

    // A new offer is made with the figure the listing declares then.
    await datasets.update(owner, id, { speech: { ...speech, hours: 12.5 } });
    const second = await offer(id, { pricing: { model: 'metered', unit: 'hour', price: { amount: 16_000, currency: 'CNY' } } });
    expect(await read(() => service().snapshot(buyer, second))).toMatchObject({ defaultQuantity: 13 });

    // Once the offers that need the hours are withdrawn, the listing may stop declaring them; the
    // withdrawn offers keep no figure, so raising the hours again sells nothing through them.
    await service().withdraw(owner, id, second);
    await expect(datasets.update(owner, id, { speech: { ...speech, hours: undefined } })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.not.stringContaining(second),
    });
    await service().withdraw(owner, id, perHour);
    await datasets.update(owner, id, { speech: { ...speech, hours: undefined } });
    expect(await read(() => service().snapshot(buyer, second))).toMatchObject({ meteredVolume: null, defaultQuantity: null, available: false });
    await datasets.update(owner, id, { speech: { ...speech, hours: 12.5 } });
    expect(await read(() => service().snapshot(buyer, second))).toMatchObject({ defaultQuantity: null });

    // Offers made before the column existed take what their listing declares when it is added;
    // every other offer has none.
    const dataSource = createDataSource(db.url);
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    try {
      const migration = new OfferDefaultQuantity1764500012000();
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
    expect(await read(() => service().snapshot(buyer, perHour))).toMatchObject({ defaultQuantity: 13 });
    expect(await read(() => service().snapshot(buyer, offers.perHour))).toMatchObject({ defaultQuantity: 1506 });
    expect(await read(() => service().snapshot(buyer, offers.public))).toMatchObject({ defaultQuantity: null });
  });

  it('shows a private offer to its buyer only, and no offer of a listing that is not published', async () => {
    expect(await read(() => service().snapshot(buyer, offers.private))).toMatchObject({ buyerOrgId: buyer.organizationId, requiresApproval: true, available: true });
    await expect(read(() => service().snapshot(otherBuyer, offers.private))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(read(() => service().snapshot(buyer, offers.draft))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(read(() => service().snapshot(buyer, offers.suspended))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await read(() => service().snapshot(owner, offers.suspended))).toMatchObject({ datasetStatus: 'suspended', available: false });
    expect(await read(() => service().snapshot(owner, offers.private))).toMatchObject({ available: false });
    expect(await read(() => service().snapshot(buyer, offers.expired))).toMatchObject({ status: 'expired', available: false });
    expect(await read(() => service().snapshot(buyer, offers.withdrawn))).toMatchObject({ status: 'withdrawn', available: false });
    await expect(read(() => service().snapshot(buyer, randomUUID()))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it("tells the vendor and admins that an offer past its expiry has expired, and keeps it from everyone else's page, the card and a submission", async () => {
    const published = (await read(() => service().snapshot(owner, offers.public))).datasetId;
    const statuses = async (who: Caller | undefined) =>
      Object.fromEntries((await read(() => moduleRef.get(DatasetsService).detail(who, published))).offers.map((o) => [Object.keys(offers).find((name) => offers[name] === o.id), o.status]));
    const everyOffer = { public: 'active', private: 'active', exclusive: 'active', expired: 'expired', withdrawn: 'withdrawn', perHour: 'active' };
    expect(await statuses(owner)).toEqual(everyOffer);
    expect(await statuses(admin)).toEqual(everyOffer);
    expect(await statuses(buyer)).toEqual({ public: 'active', private: 'active', exclusive: 'active', perHour: 'active' });
    expect(await statuses(undefined)).toEqual({ public: 'active', exclusive: 'active', perHour: 'active' });
    expect(await read(() => service().snapshot(owner, offers.expired))).toMatchObject({ status: 'expired', available: false });

    // A draft whose only offer expired has nothing to sell: its card names no license, and it cannot be submitted.
    const draft = await listing('闽南语新闻播报 60 小时');
    const lapsed = await offer(draft, { license: { template: 'research' }, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    await withDatabase(db.url, (c) => c.query(`UPDATE offer SET expires_at = now() - interval '1 minute' WHERE id = $1`, [lapsed]));
    const page = await read(() => moduleRef.get(DatasetsService).detail(owner, draft));
    expect(page.offers.map((o) => [o.id, o.status])).toEqual([[lapsed, 'expired']]);
    const draftCard = await read(() => moduleRef.get(DatasetsService).croissant(owner, draft));
    expect(draftCard.license).toEqual([{ '@type': 'sc:CreativeWork', name: 'Licensed per offer: none open now', url: expect.stringMatching(new RegExp(`/v1/datasets/${draft}$`)) }]);
    expect(draftCard.version).toBe('1.1.0');
    // A listing with nothing released: its card names no version rather than one that does not exist.
    const unreleased = (await moduleRef.get(DatasetsService).create(owner, { ...exampleMetadata('speech'), title: '潮汕话朗读 5 小时', description: '潮汕话朗读 5 小时: 未发布' } as never)).id;
    expect(await read(() => moduleRef.get(DatasetsService).croissant(owner, unreleased))).not.toHaveProperty('version');
    // With offers open the license has the same shape: a list of CreativeWorks, each named and linked.
    const publishedCard = await read(() => moduleRef.get(DatasetsService).croissant(undefined, published));
    expect(publishedCard.license).toEqual(expect.arrayContaining([{ '@type': 'sc:CreativeWork', name: expect.any(String), url: expect.any(String) }]));
    expect((publishedCard.license as unknown[]).every((l) => typeof l === 'object')).toBe(true);
    await expect(moduleRef.get(DatasetsService).submit(owner, draft, 'active')).rejects.toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('a live offer') });
  });
});
