import { createHash } from 'node:crypto';
import { LICENSE_USES, WORLDWIDE, type LicenseTermsValue } from './terms';

/**
 * The canonical form of terms: every field present (absent optional ones become their
 * default), uses in LICENSE_USES order, territories sorted, duplicates removed. Two sets of
 * terms that mean the same have the same canonical form; fields terms do not have are ignored.
 */
export function canonicalTerms(terms: LicenseTermsValue): LicenseTermsValue {
  const uses = LICENSE_USES.filter((use) => terms.uses.includes(use));
  const territories = [...new Set(terms.territories.map((t) => t.toUpperCase()))].sort();
  return {
    attributionRequired: terms.attributionRequired ?? false,
    downloadLimit: terms.downloadLimit ?? null,
    exclusive: terms.exclusive,
    seats: terms.seats ?? null,
    termMonths: terms.termMonths ?? null,
    territories: territories.includes(WORLDWIDE) ? [WORLDWIDE] : territories,
    uses,
  };
}

/**
 * JSON with object keys sorted by code point and no whitespace. For the values terms hold
 * (strings, safe integers, booleans, null, arrays, objects) this is RFC 8785's canonical JSON.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no NaN or Infinity');
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonical JSON cannot hold ${typeof value}`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of the terms: what an order line and a receipt record. */
export function termsSha256(terms: LicenseTermsValue): string {
  return createHash('sha256').update(canonicalJson(canonicalTerms(terms)), 'utf8').digest('hex');
}

/** Whether two sets of terms mean the same (same canonical form). */
export function sameTerms(a: LicenseTermsValue, b: LicenseTermsValue): boolean {
  return canonicalJson(canonicalTerms(a)) === canonicalJson(canonicalTerms(b));
}
