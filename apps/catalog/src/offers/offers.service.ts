import {
  CatalogErrorCode,
  CatalogEvents,
  CommonErrorCode,
  MAX_METERED_QUANTITY,
  type CreateOfferRequest,
  type ExclusiveSaleView,
  type OfferSnapshot,
  type OfferView,
  type ReserveExclusiveRequest,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { meteredVolume } from '@trove/dataset';
import { chargeFor, effectiveTerms, exportConflict, findExclusiveConflict, licenseEndsAt, MoneyError, termsSha256, type LicenseTermsValue } from '@trove/licensing';
import { UnitOfWork } from '@trove/messaging';
import { fieldError, ServiceException, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { isPublic, notFound, seesEverything } from '../access';
import { CatalogConfig } from '../catalog.config';
import type { Dataset } from '../datasets/dataset.entity';
import { dataExportOf } from '../datasets/dataset-metadata';
import { DatasetIndexer } from '../datasets/dataset-indexer';
import { DatasetsService } from '../datasets/datasets.service';
import { StandingGate } from '../vendors/standing-gate';
import { offeredTo } from './exclusive-availability';
import { ExclusiveSale } from './exclusive-sale.entity';
import { Offer } from './offer.entity';
import { OfferRepository } from './offer.repository';

@Injectable()
export class OffersService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly datasets: DatasetsService,
    private readonly offers: OfferRepository,
    private readonly indexer: DatasetIndexer,
    private readonly config: CatalogConfig,
    private readonly standing: StandingGate,
  ) {}

  /**
   * A new offer, with the canonical SHA-256 of the terms it grants. An exclusive offer that
   * would collide with a live exclusive sale of the dataset (same territory, overlapping term)
   * is refused: it could never be sold. A listing holds at most LIVE_OFFERS_PER_DATASET live
   * offers, every one of them on its page (one NATS message): one more is a CONFLICT until one
   * is withdrawn or expires.
   */
  async create(caller: Caller, request: CreateOfferRequest): Promise<OfferView> {
    const now = new Date();
    const expiresAt = request.expiresAt ? new Date(request.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw fieldError('expiresAt', 'expiresAt must be in the future');
    const terms = effectiveTerms(request.license);
    // An exclusive license takes the territory for its term from every other buyer, whatever
    // was bought: metered, one hour of a 1,000-hour corpus for 1 yuan held it from a 980,000-yuan
    // exclusive sale for two years, and its buyer could never buy more.
    if (terms.exclusive && request.pricing.model === 'metered') {
      throw fieldError(
        'pricing.model',
        'an exclusive license is a grant of the whole dataset for its territory and term: sell it for one price (one_time or subscription), not metered by the unit',
      );
    }
    return this.unitOfWork.run(async (tx) => {
      const dataset = await this.datasets.lockOwned(caller, request.datasetId);
      dataset.assertNotInReview('it takes new offers again');
      if (dataset.status === 'suspended') {
        throw new ServiceException(CommonErrorCode.INVALID_STATE, 'The dataset is suspended; it takes no new offers until an operator reinstates it.');
      }
      // The dataset row is locked: two offers created at once cannot both take the last place.
      const max = this.config.LIVE_OFFERS_PER_DATASET;
      if ((await this.offers.liveCount(dataset.id)) >= max) {
        throw new ServiceException(
          CommonErrorCode.CONFLICT,
          `A listing holds at most ${max} live offers, and this one has them all; withdraw one (or let one expire) before adding another.`,
        );
      }
      if (terms.exclusive) await this.assertNoExclusiveConflict(dataset.id, terms, now);
      const exported = exportConflict(dataExportOf(dataset.metadata), terms);
      if (exported) throw fieldError('license.terms', exported);
      // A part of the offer is a share of the volume the listing declares in its unit: with none
      // (a speech corpus sold per image), ordering could measure no share, and one unit was every file.
      const defaultQuantity = defaultQuantityOf(dataset.metadata, request.pricing);
      if (request.pricing.model === 'metered' && request.pricing.unit !== 'gib' && defaultQuantity === null) {
        throw fieldError(
          'pricing.unit',
          `the listing declares no volume in units of ${request.pricing.unit} for a buyer's part to be a share of: declare it in the listing's ${dataset.metadata.modality} figures first, or sell per gib`,
        );
      }
      // What an item without `quantity` buys must be an order ordering can place: the whole
      // volume at the unit price within what Trove's amounts hold, in units one item may buy.
      if (defaultQuantity !== null && !orderable(request.pricing, defaultQuantity)) {
        throw fieldError(
          'pricing.price',
          `the listing's whole volume (${defaultQuantity} ${request.pricing.unit}) at this unit price is beyond what one order item can buy (at most ${MAX_METERED_QUANTITY} units, and an amount of at most ${Number.MAX_SAFE_INTEGER} minor units): lower the unit price, or sell a coarser unit`,
        );
      }
      const offer = Object.assign(new Offer(), {
        id: randomUUID(),
        datasetId: dataset.id,
        template: request.license.template,
        terms,
        termsSha256: termsSha256(terms),
        exclusive: terms.exclusive,
        pricing: plainPricing(request.pricing),
        priceAmount: request.pricing.price?.amount ?? 0,
        currency: request.pricing.price?.currency ?? 'CNY',
        requiresApproval: request.requiresApproval ?? false,
        buyerOrgId: request.buyerOrgId ?? null,
        expiresAt,
        status: 'active' as const,
        defaultQuantity,
      });
      const saved = await this.offers.insert(offer);
      await tx.publish(CatalogEvents.offerCreated, offerEvent(saved, dataset, 'created'));
      await this.indexer.datasetChanged(tx, dataset.id, 'offer-created');
      return saved.toView();
    });
  }

  /** The offer can no longer be bought; orders already placed keep their license snapshot. */
  async withdraw(caller: Caller, datasetId: string, offerId: string): Promise<OfferView> {
    return this.unitOfWork.run(async (tx) => {
      const dataset = await this.datasets.lockOwned(caller, datasetId);
      dataset.assertNotInReview('its offers can be withdrawn again');
      const offer = await this.offers.findInDataset(datasetId, offerId);
      if (!offer) throw notFound('offer', offerId);
      if (offer.status === 'withdrawn') return offer.toView();
      offer.status = 'withdrawn';
      const saved = await this.offers.save(offer);
      await tx.publish(CatalogEvents.offerChanged, offerEvent(saved, dataset, 'withdrawn'));
      await this.indexer.datasetChanged(tx, dataset.id, 'offer-withdrawn');
      return saved.toView();
    });
  }

  /**
   * The offer as ordering sells it, for the caller in the headers (the buyer): a private offer
   * of another buyer, or an offer on a listing the caller may not see, is NOT_FOUND.
   *
   * `orderId` is the order being placed: the exclusive sale a first attempt of it reserved does not
   * mark the offer sold to its retry.
   *
   * An offer of a published listing whose vendor an operator suspended is not `available`, so
   * ordering refuses it with 409 OFFER_NOT_AVAILABLE, as it refuses a withdrawn one: the buyer
   * who had found it learns it cannot be bought now. Its status and the listing's are left as
   * they are, so reinstating the vendor sells it again.
   */
  async snapshot(caller: Caller | undefined, offerId: string, orderId?: string): Promise<OfferSnapshot> {
    // Whether its vendor is suspended is the catalog's to know first (StandingGate).
    this.standing.assertCaughtUp(`Offer ${offerId}`);
    const found = await this.offers.findForSnapshot(offerId);
    if (!found) throw notFound('offer', offerId);
    const { offer, vendorOrganizationId, vendorSuspended, datasetStatus, datasetTitle, releasedVersionIds, meteredVolume, liveExclusiveSales } = found;
    const all = seesEverything(caller, vendorOrganizationId);
    if (!all && (datasetStatus !== 'published' || !offer.visibleTo(caller?.organizationId))) throw notFound('offer', offerId);
    // One moment for both: an offer answered `active` is one `available` counts live.
    const now = new Date();
    const onSale = isPublic({ status: datasetStatus, vendorSuspended }) && offer.isLive(now) && offer.visibleTo(caller?.organizationId);
    return {
      // Sold out while a live exclusive sale covers it: ordering refuses it (409 EXCLUSIVITY_CONFLICT).
      ...offeredTo(offer.toView(now), liveExclusiveSales, caller?.organizationId, now, orderId),
      vendorOrganizationId,
      datasetStatus,
      datasetTitle,
      // Not while a status change of its vendor (its suspension, maybe) waits as a dead letter.
      available: onSale && !(await this.standing.unapplied(vendorOrganizationId)),
      releasedVersionIds,
      meteredVolume,
    };
  }

  /**
   * The sale-time rule for ordering: records the exclusive sale of an offer to a buyer for an
   * order, unless it collides with a live exclusive sale of the dataset (409
   * EXCLUSIVITY_CONFLICT), or the offer or its listing is no longer on sale (409
   * OFFER_NOT_AVAILABLE). The dataset row is locked, so two checkouts cannot both win; the
   * same order asking again gets its live sale back.
   *
   * A released sale asked for again by its order is sold anew, checked like a new one: ordering
   * releases the sale of an order it failed to write (a placement refused after reserving, or
   * one whose process died), and a retry of that placement makes the same order.
   */
  async reserveExclusive(request: ReserveExclusiveRequest): Promise<ExclusiveSaleView> {
    return this.unitOfWork.run(async (tx) => {
      const offer = await this.offers.findById(request.offerId);
      if (!offer) throw notFound('offer', request.offerId);
      await this.datasets.lockAny(offer.datasetId);
      const existing = await this.offers.saleOfOrder(request.orderId, true);
      if (existing) {
        if (existing.offerId !== offer.id || existing.buyerOrgId !== request.buyerOrgId) {
          throw new ServiceException(CommonErrorCode.CONFLICT, `Order ${request.orderId} already holds an exclusive sale of another offer or buyer.`);
        }
        if (existing.status === 'live') return existing.toView();
      }
      if (!offer.exclusive) throw new ServiceException(CommonErrorCode.CONFLICT, `Offer ${offer.id} is not exclusive; there is nothing to reserve.`);
      const startsAt = request.startsAt ? new Date(request.startsAt) : new Date();
      if (!offer.isLive(startsAt)) throw new ServiceException(CatalogErrorCode.OFFER_NOT_AVAILABLE, `Offer ${offer.id} is withdrawn or expired.`);
      // Ordering found the listing on sale a moment ago, before this lock: an operator's
      // suspension (of the listing or its vendor) or the vendor's withdrawal since then must not
      // let an exclusive license of it be sold.
      if (!(await this.datasets.isPublicNow(offer.datasetId))) {
        throw new ServiceException(CatalogErrorCode.OFFER_NOT_AVAILABLE, `Offer ${offer.id} is of a listing that is no longer on sale.`);
      }
      await this.assertNoExclusiveConflict(offer.datasetId, offer.terms, startsAt, offer.id);
      const sold = { buyerOrgId: request.buyerOrgId, terms: offer.terms, startsAt, endsAt: licenseEndsAt(offer.terms, startsAt), status: 'live' as const, releasedAt: null };
      const sale = existing
        ? await this.offers.saveSale(Object.assign(existing, sold))
        : await this.offers.insertSale(Object.assign(new ExclusiveSale(), { id: randomUUID(), datasetId: offer.datasetId, offerId: offer.id, orderId: request.orderId, ...sold }));
      // The offers this sale blocks leave search (SearchIndexer.reindex).
      await this.indexer.datasetChanged(tx, offer.datasetId, 'exclusive-sold');
      return sale.toView();
    });
  }

  /**
   * The exclusive sale of an order stops blocking others: the order was refunded or cancelled,
   * or ordering never wrote it. Idempotent; it touches that order's sale only. The dataset is
   * locked first, as a sale locks it, so search is rebuilt from what the two left in turn.
   */
  async releaseExclusive(orderId: string): Promise<ExclusiveSaleView | null> {
    return this.unitOfWork.run(async (tx) => {
      const found = await this.offers.saleOfOrder(orderId);
      if (!found) return null;
      await this.datasets.lockAny(found.datasetId);
      const sale = (await this.offers.saleOfOrder(orderId, true))!;
      if (sale.status === 'live') {
        sale.status = 'released';
        sale.releasedAt = new Date();
        await this.offers.saveSale(sale);
        await this.indexer.datasetChanged(tx, sale.datasetId, 'exclusive-released');
      }
      return sale.toView();
    });
  }

  /**
   * Call with the dataset row locked: live exclusive sales cannot change meanwhile. With
   * `soldOffer`, the check of a sale at checkout, whose refusal ordering hands to the buyer: it
   * says the offer cannot be bought now, where the vendor creating an offer is told it cannot be
   * offered.
   */
  private async assertNoExclusiveConflict(datasetId: string, terms: LicenseTermsValue, at: Date, soldOffer?: string): Promise<void> {
    const live = await this.offers.liveExclusiveSales(datasetId);
    const conflict = findExclusiveConflict(terms, live.map((sale) => ({ terms: sale.terms, startsAt: sale.startsAt, endsAt: sale.endsAt, sale })), at);
    if (conflict) {
      const until = conflict.endsAt ? `until ${conflict.endsAt.toISOString()}` : 'with no end';
      const sold = conflict.terms.territories.join(', ');
      const own = terms.territories.join(', ');
      throw new ServiceException(
        CatalogErrorCode.EXCLUSIVITY_CONFLICT,
        soldOffer
          ? `Offer ${soldOffer} cannot be bought now: an exclusive license of its dataset for ${sold} is sold, ${until}, and an exclusive license for this offer's territory (${own}) would overlap it.`
          : `An exclusive license of this dataset for ${sold} is already sold, ${until}; an exclusive grant overlapping it in territory and time (${own}) cannot be offered.`,
      );
    }
  }
}

function plainPricing(pricing: CreateOfferRequest['pricing']): OfferView['pricing'] {
  return {
    model: pricing.model,
    ...(pricing.price ? { price: { amount: pricing.price.amount, currency: pricing.price.currency } } : {}),
    ...(pricing.period ? { period: pricing.period } : {}),
    ...(pricing.unit ? { unit: pricing.unit } : {}),
  };
}

/**
 * What an item of a metered offer without `quantity` buys, fixed when the offer is made: the
 * listing's volume in the offer's unit then (null when it declares none, or beyond what a whole
 * number holds exactly). Null for every other pricing model.
 */
function defaultQuantityOf(metadata: Record<string, unknown>, pricing: CreateOfferRequest['pricing']): number | null {
  if (pricing.model !== 'metered') return null;
  const volume = meteredVolume(metadata, pricing.unit ?? '');
  return volume !== null && Number.isSafeInteger(volume) ? volume : null;
}

/** Whether `units` of a metered offer make an order item ordering can place (see its linePrice). */
function orderable(pricing: CreateOfferRequest['pricing'], units: number): boolean {
  if (units > MAX_METERED_QUANTITY) return false;
  try {
    chargeFor(plainPricing(pricing), { units });
    return true;
  } catch (error) {
    if (error instanceof MoneyError) return false;
    throw error;
  }
}

function offerEvent(offer: Offer, dataset: Dataset, change: 'created' | 'withdrawn') {
  return {
    offerId: offer.id,
    datasetId: dataset.id,
    vendorOrganizationId: dataset.vendorOrganizationId,
    change,
    termsSha256: offer.termsSha256,
    exclusive: offer.exclusive,
    ...(offer.buyerOrgId ? { buyerOrgId: offer.buyerOrgId } : {}),
  };
}
