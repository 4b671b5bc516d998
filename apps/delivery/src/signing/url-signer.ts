import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningKey } from './signing-keys';

/**
 * What a signed URL grants: one method on one object, for one caller, until `expires` (Unix
 * seconds). Downloads also name the entitlement, so that revoking it stops the URL.
 */
export interface UrlGrant {
  method: 'GET' | 'PUT';
  /** The object the URL is for, in a canonical form its route can rebuild from the URL. */
  object: string;
  entitlement?: string;
  /** Who asked for the URL (organization and key): the URL acts on their behalf. */
  caller: string;
  expires: number;
}

export interface UrlSignature {
  /** The id of the key that signed; verification uses that key, so keys rotate. */
  kid: string;
  /** HMAC-SHA256 of the grant, base64url. */
  sig: string;
}

export type Verdict = { ok: true } | { ok: false; reason: 'unknown-key' | 'bad-signature' | 'expired' };

/**
 * When a URL signed now for `caller` expires (Unix seconds): `ttlSeconds` from now, but never
 * after the caller's API key expires. A key made with an expiry is refused by the gateway from
 * then on, and a URL it was given must stop with it, as one signed for a revoked key does.
 */
export function urlExpiry(nowMs: number, ttlSeconds: number, caller: { keyExpiresAt?: number }): number {
  const expires = Math.floor(nowMs / 1000) + ttlSeconds;
  return caller.keyExpiresAt === undefined ? expires : Math.min(expires, Math.floor(caller.keyExpiresAt / 1000));
}

const VERSION = 'trove-url-v1';
const SIGNATURE_BYTES = 32;

/**
 * Signs and verifies URL grants with HMAC-SHA256 (pure: no clock of its own, no I/O). The first
 * key signs; any key verifies the URLs it signed.
 */
export class UrlSigner {
  private readonly byId: Map<string, SigningKey>;

  constructor(private readonly keys: SigningKey[]) {
    if (keys.length === 0) throw new Error('a URL signer needs at least one key');
    this.byId = new Map(keys.map((key) => [key.id, key]));
  }

  sign(grant: UrlGrant): UrlSignature {
    const key = this.keys[0];
    return { kid: key.id, sig: mac(key, canonical(grant)).toString('base64url') };
  }

  /**
   * The signature is checked before the expiry, so a URL whose expiry was edited is reported
   * as tampered, not as expired. `now` is in milliseconds.
   */
  verify(grant: UrlGrant, signature: UrlSignature, now: number): Verdict {
    const key = this.byId.get(signature.kid);
    if (!key) return { ok: false, reason: 'unknown-key' };
    let text: string;
    try {
      text = canonical(grant);
    } catch {
      return { ok: false, reason: 'bad-signature' };
    }
    const given = Buffer.from(signature.sig, 'base64url');
    // Buffer.from ignores characters outside the alphabet; the re-encoding must match exactly.
    if (given.length !== SIGNATURE_BYTES || given.toString('base64url') !== signature.sig) return { ok: false, reason: 'bad-signature' };
    if (!timingSafeEqual(given, mac(key, text))) return { ok: false, reason: 'bad-signature' };
    if (!Number.isSafeInteger(grant.expires) || grant.expires * 1000 <= now) return { ok: false, reason: 'expired' };
    return { ok: true };
  }
}

function mac(key: SigningKey, text: string): Buffer {
  return createHmac('sha256', key.secret).update(text, 'utf8').digest();
}

/** One field per line: a field containing a line break could forge another, so none may. */
function canonical(grant: UrlGrant): string {
  const fields = [VERSION, grant.method, grant.object, grant.entitlement ?? '', grant.caller, String(grant.expires)];
  if (fields.some((field) => /[\r\n]/.test(field))) throw new Error('a signed field contains a line break');
  return fields.join('\n');
}
