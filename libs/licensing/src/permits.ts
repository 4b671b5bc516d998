import { assertValidDate, licenseEndsAt } from './license-period';
import { WORLDWIDE, type LicenseTermsValue, type LicenseUse, type Territory } from './terms';

/** A use of the data, or `download`: getting a copy, which every license allows within its limits. */
export type LicenseAction = LicenseUse | 'download';

export interface UseRequest {
  use: LicenseAction;
  /** The buyer's territory (ISO 3166-1 alpha-2); left out, territory is not checked. */
  territory?: Territory;
  /** When the license was granted; left out, time is not checked. */
  grantedAt?: Date;
  /** The moment of the use; defaults to now. */
  at?: Date;
  /** Seats in use counting this one; left out, seats are not checked. */
  seatsInUse?: number;
  /** Downloads already made (of this file); checked for `download` only. */
  downloadsSoFar?: number;
}

export const USE_REFUSALS = [
  'USE_NOT_GRANTED',
  'OUTSIDE_TERRITORY',
  'LICENSE_NOT_STARTED',
  'LICENSE_EXPIRED',
  'SEATS_EXCEEDED',
  'DOWNLOAD_LIMIT_REACHED',
] as const;
export type UseRefusal = (typeof USE_REFUSALS)[number];

export type UseDecision = { permitted: true } | { permitted: false; reason: UseRefusal; detail: string };

function refuse(reason: UseRefusal, detail: string): UseDecision {
  return { permitted: false, reason, detail };
}

/** The answer to "may the holder of these terms do this, here, now, as one more seat?", with why not. */
export function checkUse(terms: LicenseTermsValue, request: LicenseAction | UseRequest): UseDecision {
  const req: UseRequest = typeof request === 'string' ? { use: request } : request;
  if (req.use !== 'download' && !terms.uses.includes(req.use)) {
    return refuse('USE_NOT_GRANTED', `the license does not grant ${req.use}`);
  }
  if (req.territory !== undefined && !terms.territories.includes(WORLDWIDE) && !terms.territories.includes(req.territory.toUpperCase())) {
    return refuse('OUTSIDE_TERRITORY', `the license covers ${terms.territories.join(', ')}, not ${req.territory}`);
  }
  if (req.grantedAt !== undefined) {
    const at = req.at ?? new Date();
    assertValidDate(req.grantedAt, 'grantedAt');
    assertValidDate(at, 'at');
    if (at.getTime() < req.grantedAt.getTime()) return refuse('LICENSE_NOT_STARTED', `the license starts at ${req.grantedAt.toISOString()}`);
    const end = licenseEndsAt(terms, req.grantedAt);
    if (end !== null && at.getTime() >= end.getTime()) return refuse('LICENSE_EXPIRED', `the license ended at ${end.toISOString()}`);
  }
  if (req.seatsInUse !== undefined && terms.seats !== null && req.seatsInUse > terms.seats) {
    return refuse('SEATS_EXCEEDED', `the license allows ${terms.seats} seats`);
  }
  const limit = terms.downloadLimit ?? null;
  if (req.use === 'download' && limit !== null && (req.downloadsSoFar ?? 0) >= limit) {
    return refuse('DOWNLOAD_LIMIT_REACHED', `the license allows ${limit} downloads`);
  }
  return { permitted: true };
}

/** Whether the terms permit the use (see checkUse for the reason when they do not). */
export function permits(terms: LicenseTermsValue, request: LicenseAction | UseRequest): boolean {
  return checkUse(terms, request).permitted;
}
