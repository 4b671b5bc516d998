import type { LicenseTermsValue } from './terms';

/** An invalid Date compares false with everything, which would let any check pass: refuse it. */
export function assertValidDate(value: Date, what: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${what} is not a valid date`);
}

/**
 * Adds calendar months in UTC, keeping the time of day; a day the target month lacks becomes
 * its last day (31 January + 1 month = 28 or 29 February).
 */
export function addMonthsUtc(start: Date, months: number): Date {
  assertValidDate(start, 'the start');
  const year = start.getUTCFullYear();
  const month = start.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const end = new Date(start.getTime());
  end.setUTCFullYear(year, month, Math.min(start.getUTCDate(), lastDay));
  return end;
}

/** When a grant made at `grantedAt` ends (exclusive bound), or null if it is perpetual. */
export function licenseEndsAt(terms: Pick<LicenseTermsValue, 'termMonths'>, grantedAt: Date): Date | null {
  return terms.termMonths === null ? null : addMonthsUtc(grantedAt, terms.termMonths);
}
