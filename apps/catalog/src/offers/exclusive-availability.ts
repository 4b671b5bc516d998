import { exclusiveConflict, type LicenseTermsValue } from '@trove/licensing';
import type { ExclusiveSale } from './exclusive-sale.entity';

export type LiveExclusiveSale = Pick<ExclusiveSale, 'terms' | 'startsAt' | 'endsAt'>;

/**
 * Whether an exclusive offer with `terms` could be sold at `at`, given its listing's live
 * exclusive sales: `undefined` when it could; otherwise when the last sale it collides with ends,
 * or null when one of them never does. The listing's page and search both answer from this, as
 * the sale itself checks with the same overlap test (OffersService.reserveExclusive).
 */
export function exclusiveSoldOutUntil(terms: LicenseTermsValue, live: readonly LiveExclusiveSale[], at: Date): Date | null | undefined {
  const candidate = { terms, startsAt: at };
  const colliding = live.filter((sale) => exclusiveConflict(candidate, { terms: sale.terms, startsAt: sale.startsAt, endsAt: sale.endsAt }));
  if (colliding.length === 0) return undefined;
  if (colliding.some((sale) => sale.endsAt === null)) return null;
  return new Date(Math.max(...colliding.map((sale) => sale.endsAt!.getTime())));
}
