import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * An API key is `trv_<key id: 32 hex>_<secret: 43 base64url>`. The key id (a UUID without
 * dashes) finds the key's row by primary key, so checking a key is one indexed lookup; the
 * 256-bit secret is stored only as its SHA-256 (with that much entropy a slow hash buys
 * nothing). `trv_` makes a leaked key recognisable to secret scanners.
 */
export const KEY_PATTERN = /^trv_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface IssuedKey {
  id: string;
  /** The whole key: shown to its owner once, never stored. */
  token: string;
  secretHash: Buffer;
  /** What lists and logs may show: enough to recognise a key, useless to use one. */
  displayPrefix: string;
}

export function issueKey(id: string = randomUUID()): IssuedKey {
  const secret = randomBytes(32).toString('base64url');
  const compact = id.replace(/-/g, '');
  return { id, token: `trv_${compact}_${secret}`, secretHash: hashSecret(secret), displayPrefix: `trv_${compact.slice(0, 8)}` };
}

export interface ParsedKey {
  id: string;
  secret: string;
}

export function parseKey(token: string): ParsedKey | undefined {
  const match = KEY_PATTERN.exec(token);
  if (!match) return undefined;
  const hex = match[1];
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { id, secret: match[2] };
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const candidate = hashSecret(secret);
  return candidate.length === storedHash.length && timingSafeEqual(candidate, storedHash);
}

/** The display prefix of a key given in full (for TROVE_ADMIN_KEY). */
export function displayPrefixOf(parsed: ParsedKey): string {
  return `trv_${parsed.id.replace(/-/g, '').slice(0, 8)}`;
}
