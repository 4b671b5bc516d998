import { assertValidDate, licenseEndsAt } from './license-period';
import { WORLDWIDE, type LicenseTermsValue, type Territory } from './terms';

/** One grant (a sale, or an offer as if sold at `startsAt`) of a dataset under some terms. */
export interface LicenseGrant {
  datasetId?: string;
  terms: Pick<LicenseTermsValue, 'exclusive' | 'territories' | 'termMonths'>;
  startsAt: Date;
  /** Overrides the end the terms give (a grant revoked early); null is open-ended. */
  endsAt?: Date | null;
}

export function territoriesIntersect(a: readonly Territory[], b: readonly Territory[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  if (a.includes(WORLDWIDE) || b.includes(WORLDWIDE)) return true;
  return a.some((t) => b.includes(t));
}

function grantEnd(grant: LicenseGrant): Date | null {
  assertValidDate(grant.startsAt, 'startsAt');
  if (grant.endsAt === undefined) return licenseEndsAt(grant.terms, grant.startsAt);
  if (grant.endsAt !== null) assertValidDate(grant.endsAt, 'endsAt');
  return grant.endsAt;
}

/** Half-open periods [start, end): one ending exactly when the other starts does not overlap. */
export function grantsOverlapInTime(a: LicenseGrant, b: LicenseGrant): boolean {
  const aEnd = grantEnd(a);
  const bEnd = grantEnd(b);
  const aStartsBeforeBEnds = bEnd === null || a.startsAt.getTime() < bEnd.getTime();
  const bStartsBeforeAEnds = aEnd === null || b.startsAt.getTime() < aEnd.getTime();
  return aStartsBeforeBEnds && bStartsBeforeAEnds;
}

/**
 * Two exclusive grants of the same dataset collide when their territories intersect and their
 * periods overlap. Grants of different datasets (when both name one) never collide.
 */
export function exclusiveConflict(a: LicenseGrant, b: LicenseGrant): boolean {
  if (!a.terms.exclusive || !b.terms.exclusive) return false;
  if (a.datasetId !== undefined && b.datasetId !== undefined && a.datasetId !== b.datasetId) return false;
  return territoriesIntersect(a.terms.territories, b.terms.territories) && grantsOverlapInTime(a, b);
}

/**
 * Whether an exclusive grant (`sale`) keeps `grant` from being sold: exclusivity means no one
 * else is licensed the dataset in the sale's territory while it runs, whether the other license
 * is exclusive or not. Same territory and time test as `exclusiveConflict`; a sale that is not
 * exclusive blocks nothing.
 */
export function blockedByExclusiveSale(grant: LicenseGrant, sale: LicenseGrant): boolean {
  if (!sale.terms.exclusive) return false;
  if (grant.datasetId !== undefined && sale.datasetId !== undefined && grant.datasetId !== sale.datasetId) return false;
  return territoriesIntersect(grant.terms.territories, sale.terms.territories) && grantsOverlapInTime(grant, sale);
}

/**
 * The first live grant that an exclusive offer sold at `at` would collide with, or undefined.
 * Creating an exclusive offer and selling it both ask this with `at` = now.
 */
export function findExclusiveConflict<G extends LicenseGrant>(
  offerTerms: LicenseGrant['terms'],
  grants: readonly G[],
  at: Date,
): G | undefined {
  const candidate: LicenseGrant = { terms: offerTerms, startsAt: at };
  return grants.find((grant) => exclusiveConflict(candidate, { ...grant, datasetId: undefined }));
}
