import type { OfferView } from '@trove/contracts';
import { blockedByExclusiveSale, type LicenseTermsValue } from '@trove/licensing';
import type { ExclusiveSale } from './exclusive-sale.entity';

export type LiveExclusiveSale = Pick<ExclusiveSale, 'terms' | 'startsAt' | 'endsAt'>;

/** A live exclusive sale with its buyer, who may still buy the listing's other licenses, and its order. */
export type LiveExclusiveSaleOf = LiveExclusiveSale & { buyerOrgId: string; orderId: string };

/** SQL: the live exclusive sales of the listing `d`, as a JSON list that `liveSalesOf` reads. */
export const LIVE_SALES_JSON_SQL = `coalesce((SELECT json_agg(json_build_object('terms', s.terms, 'startsAt', s.starts_at, 'endsAt', s.ends_at, 'buyerOrgId', s.buyer_org_id, 'orderId', s.order_id))
  FROM exclusive_sale s WHERE s.dataset_id = d.id AND s.status = 'live'), '[]'::json)`;

/** The sales LIVE_SALES_JSON_SQL listed, as JSON carried them. */
export interface LiveSaleJson {
  terms: LicenseTermsValue;
  startsAt: string;
  endsAt: string | null;
  buyerOrgId: string;
  orderId: string;
}

export function liveSalesOf(json: readonly LiveSaleJson[]): LiveExclusiveSaleOf[] {
  return json.map((sale) => ({ terms: sale.terms, startsAt: new Date(sale.startsAt), endsAt: sale.endsAt ? new Date(sale.endsAt) : null, buyerOrgId: sale.buyerOrgId, orderId: sale.orderId }));
}

/**
 * Whether an offer with `terms`, exclusive or not, could be sold at `at`, given its listing's
 * live exclusive sales: `undefined` when it could; otherwise when the last sale it collides with
 * ends, or null when one of them never does. An exclusive sale keeps every other license of the
 * dataset in its territory from being sold while it runs (`blockedByExclusiveSale`). The
 * listing's page, search and the offer as ordering sells it all answer from this, as the
 * exclusive sale itself checks with the same test (OffersService.reserveExclusive).
 */
export function exclusiveSoldOutUntil(terms: LicenseTermsValue, live: readonly LiveExclusiveSale[], at: Date): Date | null | undefined {
  const candidate = { terms, startsAt: at };
  const colliding = live.filter((sale) => blockedByExclusiveSale(candidate, { terms: sale.terms, startsAt: sale.startsAt, endsAt: sale.endsAt }));
  if (colliding.length === 0) return undefined;
  if (colliding.some((sale) => sale.endsAt === null)) return null;
  return new Date(Math.max(...colliding.map((sale) => sale.endsAt!.getTime())));
}

/**
 * The live exclusive sales that keep an offer from `buyer`: all of them from an exclusive offer
 * (a second exclusive license collides even with the buyer's own), and from any other offer
 * those of other buyers (the holder of an exclusive license may buy the dataset's other licenses).
 * The sale of `orderId`, the order being placed, is its own when `buyer` holds it: a retry of the
 * placement that reserved it is answered that sale again, not told the offer is sold.
 */
function salesBlocking<S extends LiveExclusiveSaleOf>(exclusiveOffer: boolean, live: readonly S[], buyer: string | undefined, orderId?: string): readonly S[] {
  const others = orderId === undefined ? live : live.filter((sale) => sale.orderId !== orderId || sale.buyerOrgId !== buyer);
  return exclusiveOffer ? others : others.filter((sale) => sale.buyerOrgId !== buyer);
}

/**
 * The offer as a buyer could order it at `at`: `exclusiveSoldOut` when live exclusive sales of
 * the listing collide with it, exclusive or not. Only an active offer can be sold out: a
 * withdrawn or expired one is not for sale anyway, and its vendor, who sees it, would be told
 * that a sale blocks it.
 */
export function withExclusiveAvailability(offer: OfferView, live: readonly LiveExclusiveSale[], at: Date): OfferView {
  if (offer.status !== 'active') return offer;
  const until = exclusiveSoldOutUntil(offer.license.terms, live, at);
  if (until === undefined) return offer;
  return { ...offer, exclusiveSoldOut: { until: until?.toISOString() ?? null } };
}

/**
 * Whether an offer, as the listing's page shows it (`offeredTo`), can be bought: active, and not
 * `exclusiveSoldOut`. Only such an offer names a license on the Croissant card, as search keeps
 * only the offers that `exclusiveSoldOutUntil` finds no live sale blocking (SearchIndexer.reindex).
 */
export function canBeBought(offer: Pick<OfferView, 'status' | 'exclusiveSoldOut'>): boolean {
  return offer.status === 'active' && offer.exclusiveSoldOut === undefined;
}

/** The offer as `buyer` could order it at `at` (in the order `orderId`), given its listing's live exclusive sales (`salesBlocking`). */
export function offeredTo(offer: OfferView, live: readonly LiveExclusiveSaleOf[], buyer: string | undefined, at: Date, orderId?: string): OfferView {
  return withExclusiveAvailability(offer, salesBlocking(offer.exclusive, live, buyer, orderId), at);
}
