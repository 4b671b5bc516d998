import type { DatasetStatus } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import type { LicenseTermsValue, PricingValue } from '@trove/licensing';
import { meteredVolume } from '@trove/dataset';
import { TransactionalRepository } from '@trove/messaging';
import { bigintNumber } from '../columns';
import { VENDOR_SUSPENDED_SQL } from '../datasets/dataset.repository';
import { LIVE_SALES_JSON_SQL, liveSalesOf, type LiveExclusiveSaleOf, type LiveSaleJson } from './exclusive-availability';
import { ExclusiveSale } from './exclusive-sale.entity';
import { Offer } from './offer.entity';

/** Offers and the exclusive sales made of them, on the unit of work in progress. */
@Injectable()
export class OfferRepository extends TransactionalRepository {
  async insert(offer: Offer): Promise<Offer> {
    await this.transaction.save(Offer, offer);
    return this.transaction.findOneByOrFail(Offer, { id: offer.id });
  }

  save(offer: Offer): Promise<Offer> {
    return this.transaction.save(Offer, offer);
  }

  findById(id: string): Promise<Offer | null> {
    return this.manager.findOneBy(Offer, { id });
  }

  /**
   * What ordering's `catalog.offer.get` needs, in one statement (one round trip, no entity
   * hydration): the offer, its dataset's vendor (and whether it is suspended), status and title, and the dataset's released
   * versions (oldest release first). Null when the offer, or its dataset, does not exist.
   */
  async findForSnapshot(id: string): Promise<OfferForSnapshot | null> {
    const rows = (await this.manager.query(
      `SELECT o.id, o.dataset_id, o.template, o.terms, o.terms_sha256, o.exclusive, o.pricing, o.price_amount, o.currency,
              o.requires_approval, o.buyer_org_id, o.expires_at, o.status, o.default_quantity, o.created_at, o.updated_at,
              d.vendor_organization_id, ${VENDOR_SUSPENDED_SQL} AS vendor_suspended, d.status AS dataset_status, d.title AS dataset_title,
              -- The profiles that declare a listing's volume, for a metered offer only (meteredVolume).
              CASE WHEN o.pricing ->> 'model' = 'metered' THEN jsonb_build_object(
                'speech', d.metadata -> 'speech', 'image', d.metadata -> 'image', 'video', d.metadata -> 'video', 'text', d.metadata -> 'text',
                'dialogue', d.metadata -> 'dialogue', 'pointCloud', d.metadata -> 'pointCloud', 'multimodal', d.metadata -> 'multimodal') END AS profiles,
              ARRAY(SELECT v.id::text FROM dataset_version v
                     WHERE v.dataset_id = d.id AND v.status = 'released'
                     ORDER BY v.released_at, v.id) AS released_version_ids,
              ${LIVE_SALES_JSON_SQL} AS live_sales
         FROM offer o
         JOIN dataset d ON d.id = o.dataset_id
        WHERE o.id = $1`,
      [id],
    )) as SnapshotRow[];
    if (rows.length === 0) return null;
    const row = rows[0];
    const offer = Object.assign(new Offer(), {
      id: row.id,
      datasetId: row.dataset_id,
      template: row.template,
      terms: row.terms,
      termsSha256: row.terms_sha256,
      exclusive: row.exclusive,
      pricing: row.pricing,
      priceAmount: bigintNumber.from(row.price_amount) as number,
      currency: row.currency,
      requiresApproval: row.requires_approval,
      buyerOrgId: row.buyer_org_id,
      expiresAt: row.expires_at,
      status: row.status,
      defaultQuantity: bigintNumber.from(row.default_quantity) as number | null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    });
    return {
      offer,
      vendorOrganizationId: row.vendor_organization_id,
      vendorSuspended: row.vendor_suspended,
      datasetStatus: row.dataset_status,
      datasetTitle: row.dataset_title,
      releasedVersionIds: row.released_version_ids,
      meteredVolume: offer.pricing.model === 'metered' && row.profiles ? meteredVolume(row.profiles, offer.pricing.unit ?? '') : null,
      liveExclusiveSales: liveSalesOf(row.live_sales),
    };
  }

  /**
   * After an edit of the listing's metadata: each metered offer's `defaultQuantity` comes down to
   * what the listing now declares of its unit (to none, when it declares none), and never goes
   * back up. So no edit, before publication or after, lets one `{offerId}` buy more than the
   * least the listing has declared since the offer was made. Call with the dataset row locked.
   */
  async lowerDefaultQuantities(datasetId: string, metadata: Record<string, unknown>): Promise<void> {
    const offers = (await this.transaction.query(
      `SELECT id, pricing ->> 'unit' AS unit, default_quantity FROM offer WHERE dataset_id = $1 AND pricing ->> 'model' = 'metered' AND default_quantity IS NOT NULL`,
      [datasetId],
    )) as { id: string; unit: string | null; default_quantity: string }[];
    for (const offer of offers) {
      const fixed = bigintNumber.from(offer.default_quantity) as number;
      const volume = meteredVolume(metadata, offer.unit ?? '');
      const lowered = volume === null || !Number.isSafeInteger(volume) ? null : Math.min(fixed, volume);
      if (lowered !== fixed) await this.transaction.query(`UPDATE offer SET default_quantity = $2, updated_at = now() WHERE id = $1`, [offer.id, lowered]);
    }
  }

  findInDataset(datasetId: string, id: string): Promise<Offer | null> {
    return this.manager.findOneBy(Offer, { id, datasetId });
  }

  /** Offers of the dataset that can be bought now (active, not expired); call with the dataset row locked. */
  async liveCount(datasetId: string): Promise<number> {
    const rows = (await this.manager.query(`SELECT count(*)::int AS n FROM offer WHERE dataset_id = $1 AND status = 'active' AND (expires_at IS NULL OR expires_at > now())`, [
      datasetId,
    ])) as { n: number }[];
    return rows[0].n;
  }

  /** The terms of the offers of the dataset that can be bought now; call with the dataset row locked. */
  async liveTerms(datasetId: string): Promise<{ id: string; terms: LicenseTermsValue }[]> {
    return (await this.manager.query(`SELECT id, terms FROM offer WHERE dataset_id = $1 AND status = 'active' AND (expires_at IS NULL OR expires_at > now()) ORDER BY created_at, id`, [
      datasetId,
    ])) as { id: string; terms: LicenseTermsValue }[];
  }

  /**
   * The live metered offers of the listing, except per `gib` (counted at download), that a
   * listing with this metadata would leave with no volume to measure a buyer's part by. Call
   * with the dataset row locked.
   */
  async liveOffersLosingVolume(datasetId: string, metadata: Record<string, unknown>): Promise<{ id: string; unit: string }[]> {
    const rows = (await this.manager.query(
      `SELECT id, pricing ->> 'unit' AS unit FROM offer
        WHERE dataset_id = $1 AND status = 'active' AND (expires_at IS NULL OR expires_at > now())
          AND pricing ->> 'model' = 'metered' AND pricing ->> 'unit' <> 'gib'
        ORDER BY created_at, id`,
      [datasetId],
    )) as { id: string; unit: string }[];
    return rows.filter((offer) => {
      const volume = meteredVolume(metadata, offer.unit);
      return volume === null || !Number.isSafeInteger(volume);
    });
  }

  /** Call with the dataset row locked, so no sale is added meanwhile. */
  liveExclusiveSales(datasetId: string): Promise<ExclusiveSale[]> {
    return this.manager.find(ExclusiveSale, { where: { datasetId, status: 'live' } });
  }

  saleOfOrder(orderId: string, lock = false): Promise<ExclusiveSale | null> {
    return lock
      ? this.transaction.findOne(ExclusiveSale, { where: { orderId }, lock: { mode: 'pessimistic_write' } })
      : this.manager.findOneBy(ExclusiveSale, { orderId });
  }

  async insertSale(sale: ExclusiveSale): Promise<ExclusiveSale> {
    await this.transaction.save(ExclusiveSale, sale);
    return this.transaction.findOneByOrFail(ExclusiveSale, { id: sale.id });
  }

  saveSale(sale: ExclusiveSale): Promise<ExclusiveSale> {
    return this.transaction.save(ExclusiveSale, sale);
  }
}

/** An offer with what its snapshot tells of its dataset. */
export interface OfferForSnapshot {
  offer: Offer;
  vendorOrganizationId: string;
  /** An operator suspended the vendor: none of its offers can be ordered meanwhile. */
  vendorSuspended: boolean;
  datasetStatus: DatasetStatus;
  datasetTitle: string;
  releasedVersionIds: string[];
  /** How many units of a metered offer's unit the listing declares; null otherwise. */
  meteredVolume: number | null;
  /** The listing's live exclusive sales, which may keep this offer from being sold now, each with its buyer. */
  liveExclusiveSales: LiveExclusiveSaleOf[];
}

interface SnapshotRow {
  live_sales: LiveSaleJson[];
  id: string;
  dataset_id: string;
  template: string;
  terms: LicenseTermsValue;
  terms_sha256: string;
  exclusive: boolean;
  pricing: PricingValue;
  price_amount: string;
  currency: string;
  requires_approval: boolean;
  buyer_org_id: string | null;
  expires_at: Date | null;
  status: 'active' | 'withdrawn';
  default_quantity: string | null;
  created_at: Date;
  updated_at: Date;
  vendor_organization_id: string;
  vendor_suspended: boolean;
  dataset_status: DatasetStatus;
  dataset_title: string;
  released_version_ids: string[];
  profiles: Record<string, object | null> | null;
}
