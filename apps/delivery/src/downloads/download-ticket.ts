import { signedCount } from '../signing/signed-count';
import type { UrlGrant, UrlSignature } from '../signing/url-signer';

/** What a signed download URL allows: GET (and HEAD) of one file of one version, under one entitlement, for one caller. */
export interface DownloadTicket {
  entitlementId: string;
  versionId: string;
  path: string;
  caller: { organizationId: string; keyId: string };
  /** Unix seconds. */
  expires: number;
}

export const DOWNLOAD_ROUTE_PREFIX = '/files/entitlements';

export function downloadGrant(ticket: DownloadTicket): UrlGrant {
  return {
    method: 'GET',
    object: JSON.stringify(['download', ticket.versionId, ticket.path]),
    entitlement: ticket.entitlementId,
    caller: `${ticket.caller.organizationId} ${ticket.caller.keyId}`,
    expires: ticket.expires,
  };
}

/** `<base>/files/entitlements/<id>/versions/<id>/<path>?org=&key=&expires=&kid=&sig=`, each path segment percent-encoded. */
export function downloadUrl(base: string, ticket: DownloadTicket, signature: UrlSignature): string {
  const path = ticket.path.split('/').map(encodeURIComponent).join('/');
  const query = new URLSearchParams({
    org: ticket.caller.organizationId,
    key: ticket.caller.keyId,
    expires: String(ticket.expires),
    kid: signature.kid,
    sig: signature.sig,
  });
  return `${base}${DOWNLOAD_ROUTE_PREFIX}/${ticket.entitlementId}/versions/${ticket.versionId}/${path}?${query.toString()}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The ticket and signature a URL carries, or null when it is not one of ours. */
export function downloadTicketFromUrl(
  route: { entitlementId: string; versionId: string; path: string },
  query: Record<string, unknown>,
): { ticket: DownloadTicket; signature: UrlSignature } | null {
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const [org, key, kid, sig] = ['org', 'key', 'kid', 'sig'].map(text);
  const expires = signedCount(text('expires'));
  if (!org || !key || !kid || !sig || expires === null) return null;
  if (!UUID.test(route.entitlementId) || !UUID.test(route.versionId) || !route.path) return null;
  return {
    ticket: { entitlementId: route.entitlementId, versionId: route.versionId, path: route.path, caller: { organizationId: org, keyId: key }, expires },
    signature: { kid, sig },
  };
}
