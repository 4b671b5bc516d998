import { WORLDWIDE } from '@trove/licensing';

/** A live exclusive grant that keeps an offer from a buyer: what it covers, until when, and whose. */
export interface BlockingSale {
  territories: readonly string[];
  /** When the grant ends; null for a perpetual one. */
  endsAt: Date | null;
  /** The order holding it, named when it is the buyer's own. */
  yours?: string;
}

/**
 * The exclusive license sold, named by the territory it covers and how that meets the ordered
 * offer's: "an exclusive license for CN, which this offer's territory (WORLDWIDE) includes,".
 * Naming the offer's own territory as the one sold told a buyer of a worldwide license that the
 * whole world was sold, when mainland China was.
 */
export function soldLicense(sold: readonly string[], offered: readonly string[]): string {
  const list = (territories: readonly string[]) => territories.join(', ');
  const holds = (outer: readonly string[], inner: readonly string[]) => outer.includes(WORLDWIDE) || inner.every((territory) => outer.includes(territory));
  const offer = `this offer's territory (${list(offered)})`;
  if (holds(sold, offered) && holds(offered, sold)) return `an exclusive license for ${offer}`;
  if (holds(offered, sold)) return `an exclusive license for ${list(sold)}, which ${offer} includes,`;
  if (holds(sold, offered)) return `an exclusive license for ${list(sold)}, which includes ${offer},`;
  const shared = sold.filter((territory) => offered.includes(territory));
  return `an exclusive license for ${list(sold)}, which shares ${list(shared)} with ${offer},`;
}

/**
 * The detail of 409 EXCLUSIVITY_CONFLICT for an offer that live exclusive sales keep from the
 * buyer: each sale by the territory it covers and its end. `until` is the catalog's answer (when
 * the last of them ends), said when ordering knows none of the sales itself (one it has ended may
 * still be live in the catalog until the catalog takes the release).
 */
export function soldOutDetail(offerId: string, offered: readonly string[], sales: readonly BlockingSale[], until: string | null): string {
  const end = (endsAt: Date | null) => (endsAt ? `until ${endsAt.toISOString()}` : 'with no end');
  if (sales.length === 0) {
    return `Offer ${offerId} cannot be bought now: an exclusive license of its dataset that meets this offer's territory (${offered.join(', ')}) is sold, ${until ? `until ${until}` : 'with no end'}.`;
  }
  const ordered = [...sales].sort((a, b) => a.territories.join(',').localeCompare(b.territories.join(',')) || (a.endsAt?.getTime() ?? Infinity) - (b.endsAt?.getTime() ?? Infinity));
  const each = ordered.map((sale) => `${soldLicense(sale.territories, offered)} is sold${sale.yours ? ` to you (order ${sale.yours})` : ''}, ${end(sale.endsAt)}`);
  return `Offer ${offerId} cannot be bought now: ${each.join('; and ')}.`;
}
