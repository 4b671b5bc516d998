import { signedCount } from '../signing/signed-count';
import type { UrlGrant, UrlSignature } from '../signing/url-signer';

/**
 * What a signed sample URL allows: GET (and HEAD) of one sample of one dataset, as long as the
 * sample still has the bytes the listing showed (`sha256`), by whoever holds the URL. A sample
 * is a public preview: no entitlement and no caller are bound to it, the catalog decided who may
 * have the URL.
 */
export interface SampleTicket {
  datasetId: string;
  path: string;
  /** The SHA-256 of the bytes the URL is for: a sample replaced by other bytes is refused. */
  sha256: string;
  /** The media type the vendor uploaded the sample with; served as Content-Type. */
  contentType?: string;
  /** Unix seconds. */
  expires: number;
}

export const SAMPLE_ROUTE_PREFIX = '/files/samples';

/**
 * The grant a sample URL carries. Its object starts with `sample`, downloads' with `download`
 * and uploads' with `upload`, so no URL of one kind verifies as another; the caller is empty,
 * since anyone may hold the URL.
 */
export function sampleGrant(ticket: SampleTicket): UrlGrant {
  return {
    method: 'GET',
    object: JSON.stringify(['sample', ticket.datasetId, ticket.path, ticket.sha256, ticket.contentType ?? null]),
    caller: '',
    expires: ticket.expires,
  };
}

/** `<base>/files/samples/<dataset id>/<path>?sha256=&type=&expires=&kid=&sig=`, each path segment percent-encoded. */
export function sampleUrl(base: string, ticket: SampleTicket, signature: UrlSignature): string {
  const path = ticket.path.split('/').map(encodeURIComponent).join('/');
  const query = new URLSearchParams({
    sha256: ticket.sha256,
    ...(ticket.contentType !== undefined ? { type: ticket.contentType } : {}),
    expires: String(ticket.expires),
    kid: signature.kid,
    sig: signature.sig,
  });
  return `${base}${SAMPLE_ROUTE_PREFIX}/${ticket.datasetId}/${path}?${query.toString()}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SHA256 = /^[0-9a-f]{64}$/;

/** The ticket and signature a URL carries, or null when it is not one delivery could have made. */
export function sampleTicketFromUrl(route: { datasetId: string; path: string }, query: Record<string, unknown>): { ticket: SampleTicket; signature: UrlSignature } | null {
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  const [sha256, type, kid, sig] = ['sha256', 'type', 'kid', 'sig'].map(text);
  const expires = signedCount(text('expires'));
  if (!sha256 || !SHA256.test(sha256) || !kid || !sig || expires === null) return null;
  if (!UUID.test(route.datasetId) || !route.path) return null;
  return {
    ticket: { datasetId: route.datasetId, path: route.path, sha256, ...(type !== undefined ? { contentType: type } : {}), expires },
    signature: { kid, sig },
  };
}
