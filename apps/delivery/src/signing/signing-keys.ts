/** A key that signs and verifies URLs; `id` travels in the URL so that keys can rotate. */
export interface SigningKey {
  id: string;
  secret: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;
export const MIN_SECRET_BYTES = 32;

/**
 * Parses `DELIVERY_SIGNING_KEYS`: `kid1:<base64 secret>,kid0:<base64 secret>`. The first key
 * signs, every key verifies, so a new key goes first and an old one stays until the URLs it
 * signed have expired. Throws an Error whose message never contains a secret.
 */
export function parseSigningKeys(text: string): SigningKey[] {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error('at least one key is needed, as <key id>:<base64 secret>');
  const keys = entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const encoded = colon > 0 ? entry.slice(colon + 1) : '';
    if (!KEY_ID.test(id)) throw new Error(`key ${index + 1} needs an id of 1-32 letters, digits, - or _ before a colon`);
    if (!BASE64.test(encoded)) throw new Error(`key "${id}" is not base64`);
    const secret = Buffer.from(encoded, encoded.includes('-') || encoded.includes('_') ? 'base64url' : 'base64');
    if (secret.length < MIN_SECRET_BYTES) throw new Error(`key "${id}" has ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed`);
    return { id, secret };
  });
  const ids = new Set<string>();
  for (const key of keys) {
    if (ids.has(key.id)) throw new Error(`key id "${key.id}" appears twice`);
    ids.add(key.id);
  }
  return keys;
}
