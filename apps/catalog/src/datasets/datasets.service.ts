import { CatalogErrorCode, CatalogEvents, CommonErrorCode, type DatasetDetail, type DatasetPage, type DatasetStatus, type DatasetView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { exportConflict } from '@trove/licensing';
import { UnitOfWork, type Transaction } from '@trove/messaging';
import { ANSWER_MAX_BYTES, decodeCursor, DEFAULT_PAGE_SIZE, jsonBytes, leadingWithin, ServiceException, toPage, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { isOwner, isPublic, notFound, seesEverything } from '../access';
import { CatalogConfig } from '../catalog.config';
import { Dataset } from './dataset.entity';
import { DatasetIndexer, type DatasetChange } from './dataset-indexer';
import { readMetadata, mergeMetadata, croissantOf, dataExportOf } from './dataset-metadata';
import { DatasetRepository } from './dataset.repository';
import { VendorsService } from '../vendors/vendors.service';
import { offeredTo } from '../offers/exclusive-availability';
import { OfferRepository } from '../offers/offer.repository';

/** What a change of `changeOwned` returns when the listing stays as it was. */
const UNCHANGED = Symbol('unchanged');

@Injectable()
export class DatasetsService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly datasets: DatasetRepository,
    private readonly indexer: DatasetIndexer,
    private readonly vendors: VendorsService,
    private readonly offers: OfferRepository,
    private readonly config: CatalogConfig,
  ) {}

  async create(caller: Caller, input: Record<string, unknown>): Promise<DatasetView> {
    const { metadata, title } = readMetadata(input);
    return this.unitOfWork.run(async (tx) => {
      const dataset = Object.assign(new Dataset(), {
        id: randomUUID(),
        vendorOrganizationId: caller.organizationId,
        title,
        status: 'draft' as DatasetStatus,
        metadata,
        rejectionReason: null,
        submittedAt: null,
        publishedAt: null,
      });
      const created = await this.datasets.insert(dataset);
      await this.indexer.datasetChanged(tx, created.id, 'created');
      return created.toView();
    });
  }

  /**
   * Metadata only: the fields sent replace the listing's, and the result must be valid as a
   * whole. A published listing's edits are live at once (operators can suspend it).
   */
  async update(caller: Caller, id: string, changes: Record<string, unknown>): Promise<DatasetView> {
    return this.changeOwned(caller, id, 'updated', async (dataset) => {
      dataset.assertNotInReview('it can be edited again');
      const { metadata, title } = readMetadata(mergeMetadata(dataset.metadata, changes));
      // An edit that leaves the listing as it is (`{}`, or every field as it stands) writes
      // nothing: reindexing a published listing empties every replica's search cache, and one
      // vendor repeating it kept every buyer's searches uncached.
      if (title === dataset.title && isDeepStrictEqual(metadata, dataset.metadata)) return UNCHANGED;
      // Declaring the data restricted to mainland China while an offer lets buyers redistribute
      // it abroad would leave the offer on sale against the listing's own word.
      // Only a restricted listing can conflict: an edit of any other reads no offers.
      if (dataExportOf(metadata) === 'restricted') {
        const conflicting = (await this.offers.liveTerms(id)).flatMap((offer) => {
          const problem = exportConflict('restricted', offer.terms);
          return problem ? [{ id: offer.id, problem }] : [];
        });
        if (conflicting.length > 0) {
          throw new ServiceException(CommonErrorCode.CONFLICT, `${conflicting[0].problem}; withdraw the offers that do first: ${conflicting.map((offer) => offer.id).join(', ')}.`);
        }
      }
      // A live offer per hour of a corpus that no longer says how many hours it holds stayed on
      // sale, listed and approvable, while every order of it was refused: no share is measurable.
      const stranded = await this.offers.liveOffersLosingVolume(id, metadata);
      if (stranded.length > 0) {
        throw new ServiceException(
          CommonErrorCode.CONFLICT,
          `Live offers sell this listing per ${[...new Set(stranded.map((offer) => offer.unit))].join(' and per ')}, and the edit leaves it declaring no volume in that unit for a buyer's part to be a share of; keep the figure, or withdraw the offers that need it first: ${stranded.map((offer) => offer.id).join(', ')}.`,
        );
      }
      dataset.metadata = metadata;
      dataset.title = title;
      await this.offers.lowerDefaultQuantities(id, metadata);
    });
  }

  /**
   * Runs `change` on the caller's own listing, locked, in one transaction with its events and
   * the search projection; a change that returns UNCHANGED saves and reindexes nothing. Another
   * vendor's listing is NOT_FOUND: it does not learn it exists.
   */
  async changeOwned(caller: Caller, id: string, change: DatasetChange, apply: (dataset: Dataset, tx: Transaction) => Promise<void | typeof UNCHANGED>): Promise<DatasetView> {
    return this.unitOfWork.run(async (tx) => {
      const dataset = await this.lockOwned(caller, id);
      if ((await apply(dataset, tx)) === UNCHANGED) return dataset.toView();
      const saved = await this.datasets.save(dataset);
      await this.indexer.datasetChanged(tx, id, change);
      return saved.toView();
    });
  }

  /** The caller's own listing, locked for the transaction, or NOT_FOUND. */
  async lockOwned(caller: Caller, id: string): Promise<Dataset> {
    const dataset = await this.datasets.findForUpdate(id);
    if (!dataset || !isOwner(caller, dataset.vendorOrganizationId)) throw notFound('dataset', id);
    return dataset;
  }

  /** Any listing, locked, for operators. */
  async lockAny(id: string): Promise<Dataset> {
    const dataset = await this.datasets.findForUpdate(id);
    if (!dataset) throw notFound('dataset', id);
    return dataset;
  }

  /**
   * Whether the listing is on sale to the public now: published, its vendor not suspended. Read
   * after lockAny, the answer holds until the transaction ends (a suspension of the vendor locks
   * each of its listings first).
   */
  async isPublicNow(id: string): Promise<boolean> {
    const found = await this.datasets.findVisibility(id);
    return found !== null && isPublic(found);
  }

  /** A listing the caller may see (as `detail` decides), or NOT_FOUND. */
  async visible(caller: Caller | undefined, id: string): Promise<{ vendorOrganizationId: string }> {
    const found = await this.datasets.findVisibility(id);
    if (!found || (!seesEverything(caller, found.vendorOrganizationId) && !isPublic(found))) throw notFound('dataset', id);
    return found;
  }

  /**
   * What the caller may see of a listing: a published one whose vendor is not suspended is
   * public with its newest released versions, live public offers and samples; the vendor and
   * operators see everything in every state (the newest open versions too, and the newest offers
   * no longer live); a private offer is shown to its buyer too.
   *
   * The answer travels in one NATS message, so it shows at most VERSIONS_SHOWN versions of each
   * status, and of those only the newest that fit in what the rest of the answer leaves of
   * ANSWER_MAX_BYTES (a version's files and changelog may take 150 KB); `versionCount` says how
   * many there are, and `catalog.version.list` pages through every one.
   */
  async detail(caller: Caller | undefined, id: string): Promise<DatasetDetail> {
    const found = await this.datasets.findWithParts(id);
    if (!found) throw notFound('dataset', id);
    const { dataset } = found;
    const all = seesEverything(caller, dataset.vendorOrganizationId);
    if (!all && !isPublic({ status: dataset.status, vendorSuspended: found.vendorSuspended })) throw notFound('dataset', id);
    const now = Date.now();
    // Why an operator rejected or suspended the listing is between it and the vendor: the field
    // is left out for everyone else (on a public listing it is null anyway, cleared on approval).
    const view = dataset.toView();
    if (!all) delete view.rejectionReason;
    const answer: DatasetDetail = {
      ...view,
      versionCount: found.releasedVersions + (all ? found.openVersions : 0),
      versions: [],
      // An offer past its expiry answers `expired` (DATASET_DETAIL_SQL): its vendor and admins
      // see it as such, everyone else only the live ones.
      offers: all ? found.offers : found.offers.filter((o) => o.status === 'active' && (o.buyerOrgId === null || o.buyerOrgId === caller?.organizationId)),
      samples: found.samples,
    };
    // An offer that a live exclusive sale blocks (exclusive or not) says so, and until when:
    // buyers found it listed as active and learnt only at checkout (409 EXCLUSIVITY_CONFLICT).
    answer.offers = answer.offers.map((o) => offeredTo(o, found.liveExclusiveSales, caller?.organizationId, new Date(now)));
    const newestFirst = found.versions.filter((v) => all || v.version.status === 'released').reverse();
    const shown = leadingWithin(newestFirst, (v) => v.bytes, ANSWER_MAX_BYTES - jsonBytes(answer));
    answer.versions = shown.reverse().map((v) => v.version);
    return answer;
  }

  /**
   * The Croissant card of what the caller may see: its newest release (by release time, which
   * need not be among the versions the page shows) with its first files, and the licenses of the
   * offers it sees.
   */
  async croissant(caller: Caller | undefined, id: string): Promise<Record<string, unknown>> {
    const detail = await this.detail(caller, id);
    const latest = await this.datasets.latestRelease(id);
    const profile = await this.vendors.find(detail.vendorOrganizationId);
    // Without a profile the card carries the organization's id only: only a profile's names are
    // kept unique among vendors (the name an organization signs up with is reserved by nothing).
    const organizationId = detail.vendorOrganizationId;
    const vendor = profile ? { organizationId, name: `${profile.displayNameZh} / ${profile.displayNameEn}`, url: profile.website ?? undefined } : { organizationId };
    return croissantOf(detail, latest, vendor, this.config.PUBLIC_API_URL);
  }

  /** A vendor's own listings (`vendorOrganizationId` its own), or any for operators. */
  async list(vendorOrganizationId: string | undefined, status: DatasetStatus | undefined, cursor: string | undefined, limit = DEFAULT_PAGE_SIZE): Promise<DatasetPage> {
    const scope = `datasets|${vendorOrganizationId ?? '*'}|${status ?? '*'}`;
    const rows = await this.datasets.list(vendorOrganizationId, status, decodeCursor(cursor, scope), limit);
    return toPage(rows, limit, (d) => ({ at: d.createdAt, id: d.id }), (d) => d.toView(), scope);
  }

  /**
   * Sends a listing to review. The vendor must be approved, and the listing must have something
   * to sell: a released version and a live offer. Each missing condition is a 409, as for any
   * listing not ready for review; the vendor's own listing is found first, so another's is 404.
   */
  async submit(caller: Caller, id: string, vendorStatus: string): Promise<DatasetView> {
    return this.changeOwned(caller, id, 'submitted', async (dataset) => {
      if (vendorStatus !== 'active') {
        throw new ServiceException(CatalogErrorCode.VENDOR_NOT_APPROVED, 'The vendor is awaiting approval by an operator; its listings cannot be submitted until then.');
      }
      await this.assertSellable(id, 'before it can be submitted for review');
      dataset.submit(new Date());
    });
  }

  /**
   * Publishes a listing in review, or reinstates a suspended one. A listing in review must
   * still have what it was submitted with, a released version and a live offer (it holds still
   * in review, but an offer can expire meanwhile). A reinstated one is published as it is now,
   * with what its vendor edited while it was suspended: the operator reads it before approving.
   */
  approve(id: string): Promise<DatasetView> {
    return this.moderate(id, 'published', async (dataset, tx) => {
      if (dataset.status === 'in_review') await this.assertSellable(id, 'before it can be published; reject it so that its vendor can fix it');
      dataset.publish(new Date());
      await tx.publish(CatalogEvents.datasetPublished, {
        datasetId: dataset.id,
        vendorOrganizationId: dataset.vendorOrganizationId,
        title: dataset.title,
        publishedAt: dataset.publishedAt!.toISOString(),
      });
    });
  }

  reject(id: string, reason: string): Promise<DatasetView> {
    return this.moderate(id, 'rejected', async (dataset) => dataset.reject(reason));
  }

  suspend(id: string, reason: string | null = null): Promise<DatasetView> {
    return this.moderate(id, 'suspended', async (dataset, tx) => {
      dataset.suspend(reason);
      await tx.publish(CatalogEvents.datasetSuspended, {
        datasetId: dataset.id,
        vendorOrganizationId: dataset.vendorOrganizationId,
        suspendedAt: new Date().toISOString(),
      });
    });
  }

  /**
   * The vendor takes its published listing off sale (consent withdrawn by the people recorded, a
   * licensing problem it found): out of search and its page, no new orders, as an operator's
   * suspension does; buyers keep what they bought, and subscriptions stop renewing. It goes on
   * sale again through review (`submit`). A listing in any other status is INVALID_STATE.
   */
  withdraw(caller: Caller, id: string): Promise<DatasetView> {
    return this.changeOwned(caller, id, 'withdrawn', async (dataset, tx) => {
      if (dataset.status !== 'published') {
        throw new ServiceException(CommonErrorCode.INVALID_STATE, `The dataset is ${dataset.status}; only a published listing can be withdrawn by its vendor.`);
      }
      dataset.withdraw();
      await tx.publish(CatalogEvents.datasetSuspended, {
        datasetId: dataset.id,
        vendorOrganizationId: dataset.vendorOrganizationId,
        suspendedAt: new Date().toISOString(),
        byVendor: true,
      });
    });
  }

  /** A released version and a live offer, or INVALID_STATE naming what is missing. */
  private async assertSellable(id: string, until: string): Promise<void> {
    const { releasedVersions, liveOffers } = await this.datasets.sellable(id);
    const missing = [releasedVersions === 0 ? 'a released version' : null, liveOffers === 0 ? 'a live offer' : null].filter(Boolean);
    if (missing.length > 0) throw new ServiceException(CommonErrorCode.INVALID_STATE, `The dataset needs ${missing.join(' and ')} ${until}.`);
  }

  private moderate(id: string, change: DatasetChange, apply: (dataset: Dataset, tx: Transaction) => Promise<void>): Promise<DatasetView> {
    return this.unitOfWork.run(async (tx) => {
      const dataset = await this.lockAny(id);
      await apply(dataset, tx);
      const saved = await this.datasets.save(dataset);
      await this.indexer.datasetChanged(tx, id, change);
      return saved.toView();
    });
  }
}
