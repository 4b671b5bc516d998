import { isRole, type Role, type UploadTarget } from '@trove/contracts';
import { signedCount } from '../signing/signed-count';
import type { UrlGrant, UrlSignature } from '../signing/url-signer';

/** Everything a signed upload URL allows, and for whom. Every field is covered by the signature. */
export interface UploadTicket {
  target: UploadTarget;
  datasetId: string;
  /** Set for a version file, absent for a sample. */
  versionId?: string;
  path: string;
  size?: number;
  sha256?: string;
  maxBytes?: number;
  caller: { organizationId: string; role: Role; keyId: string };
  /** Unix seconds. */
  expires: number;
  /**
   * This URL's own random name (URL_NONCE_PATTERN): once an upload through it is recorded, the
   * URL is spent (SpentUploadUrls). URLs signed before there was one have none, and work as they
   * did until they expire.
   */
  nonce?: string;
}

/** 128 random bits, base64url. */
export const URL_NONCE_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export const UPLOAD_ROUTE_PREFIX = '/files/uploads/datasets';

/** The grant an upload URL carries: PUT of exactly this file, with these limits, by this caller. */
export function uploadGrant(ticket: UploadTicket): UrlGrant {
  return {
    method: 'PUT',
    // JSON: one unambiguous string, whatever characters the path holds.
    object: JSON.stringify([
      'upload',
      ticket.target,
      ticket.datasetId,
      ticket.versionId ?? null,
      ticket.path,
      ticket.size ?? null,
      ticket.sha256 ?? null,
      ticket.maxBytes ?? null,
      // Appended only when there is one, so that URLs signed without it keep their signature.
      ...(ticket.nonce !== undefined ? [ticket.nonce] : []),
    ]),
    caller: [ticket.caller.organizationId, ticket.caller.role, ticket.caller.keyId].join(' '),
    expires: ticket.expires,
  };
}

/**
 * `<base>/files/uploads/datasets/<id>/versions/<id>/<path>` or `.../samples/<path>`, each path
 * segment percent-encoded, with the caller, limits, expiry and signature in the query.
 */
export function uploadUrl(base: string, ticket: UploadTicket, signature: UrlSignature): string {
  const path = ticket.path.split('/').map(encodeURIComponent).join('/');
  const where = ticket.target === 'version-file' ? `versions/${ticket.versionId}/${path}` : `samples/${path}`;
  const query = new URLSearchParams({
    org: ticket.caller.organizationId,
    role: ticket.caller.role,
    key: ticket.caller.keyId,
    ...(ticket.size !== undefined ? { size: String(ticket.size) } : {}),
    ...(ticket.sha256 !== undefined ? { sha256: ticket.sha256 } : {}),
    ...(ticket.maxBytes !== undefined ? { max: String(ticket.maxBytes) } : {}),
    expires: String(ticket.expires),
    ...(ticket.nonce !== undefined ? { n: ticket.nonce } : {}),
    kid: signature.kid,
    sig: signature.sig,
  });
  return `${base}${UPLOAD_ROUTE_PREFIX}/${ticket.datasetId}/${where}?${query.toString()}`;
}

export interface UploadRoute {
  datasetId: string;
  versionId?: string;
  /** The file path, decoded from the URL's path. */
  path: string;
}

/**
 * The ticket and signature a PUT presents, or null when the URL is not one delivery could have
 * made (a part missing or malformed): the caller answers that as an invalid URL.
 */
export function ticketFromUrl(route: UploadRoute, query: Record<string, unknown>): { ticket: UploadTicket; signature: UrlSignature } | null {
  const text = (name: string): string | undefined => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const count = (name: string): number | undefined | null => {
    const value = text(name);
    return value === undefined ? undefined : signedCount(value);
  };
  const [org, role, key, kid, sig, sha256, nonce] = ['org', 'role', 'key', 'kid', 'sig', 'sha256', 'n'].map(text);
  const [size, maxBytes, expires] = ['size', 'max', 'expires'].map(count);
  if (!org || !key || !kid || !sig || !expires || !isRole(role)) return null;
  if (size === null || maxBytes === null) return null;
  if (nonce !== undefined && !URL_NONCE_PATTERN.test(nonce)) return null;
  return {
    ticket: {
      target: route.versionId === undefined ? 'sample' : 'version-file',
      datasetId: route.datasetId,
      ...(route.versionId !== undefined ? { versionId: route.versionId } : {}),
      path: route.path,
      ...(size !== undefined ? { size } : {}),
      ...(sha256 !== undefined ? { sha256 } : {}),
      ...(maxBytes !== undefined ? { maxBytes } : {}),
      caller: { organizationId: org, role, keyId: key },
      expires,
      ...(nonce !== undefined ? { nonce } : {}),
    },
    signature: { kid, sig },
  };
}
