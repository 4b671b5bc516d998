import { downloadGrant } from '../downloads/download-ticket';
import { UrlSigner } from '../signing/url-signer';
import { sampleGrant, sampleTicketFromUrl, sampleUrl, type SampleTicket } from './sample-ticket';

const NOW = Date.parse('2026-11-30T08:00:00Z');
const signer = new UrlSigner([{ id: 'k1', secret: Buffer.alloc(32, 7) }]);
const ticket: SampleTicket = {
  datasetId: '0b6f3c1e-4f7a-4d0e-9d1c-2a1f5e8b7c90',
  path: 'samples/普通话 (1)/utt_000001.wav',
  sha256: 'a'.repeat(64),
  contentType: 'audio/wav',
  expires: NOW / 1000 + 3600,
};

/** The route parameters and query a request to `url` arrives with, as Fastify hands them over. */
function routeOf(url: string): { route: { datasetId: string; path: string }; query: Record<string, string> } {
  const parsed = new URL(url);
  const [, , , datasetId, ...segments] = parsed.pathname.split('/');
  return { route: { datasetId, path: decodeURIComponent(segments.join('/')) }, query: Object.fromEntries(parsed.searchParams) };
}

describe('sample URLs', () => {
  const url = sampleUrl('https://files.trove.example.cn', ticket, signer.sign(sampleGrant(ticket)));

  it('carry the dataset, the path, the SHA-256 and the media type, and verify as they were signed', () => {
    expect(url.startsWith(`https://files.trove.example.cn/files/samples/${ticket.datasetId}/samples/`)).toBe(true);
    const { route, query } = routeOf(url);
    const parsed = sampleTicketFromUrl(route, query)!;
    expect(parsed.ticket).toEqual(ticket);
    expect(signer.verify(sampleGrant(parsed.ticket), parsed.signature, NOW)).toEqual({ ok: true });
  });

  it.each([
    ['another SHA-256 (the bytes of a replaced sample)', { sha256: 'b'.repeat(64) }],
    ['another media type', { type: 'text/html' }],
    ['no media type', { type: undefined }],
    ['a later expiry', { expires: String(ticket.expires + 86_400) }],
  ])('refuse %s', (_what, change) => {
    const { route, query } = routeOf(url);
    const changed = Object.fromEntries(Object.entries({ ...query, ...change }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const parsed = sampleTicketFromUrl(route, changed)!;
    expect(signer.verify(sampleGrant(parsed.ticket), parsed.signature, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['another path', { path: 'samples/utt_000002.wav' }],
    ['another dataset', { datasetId: '7e1d0c2b-9a8f-4e6d-8c5b-4a3f2e1d0c9b' }],
  ])('refuse %s', (_what, change) => {
    const { route, query } = routeOf(url);
    const parsed = sampleTicketFromUrl({ ...route, ...change }, query)!;
    expect(signer.verify(sampleGrant(parsed.ticket), parsed.signature, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('are not download URLs, nor download URLs sample URLs', () => {
    const download = { entitlementId: ticket.datasetId, versionId: ticket.datasetId, path: ticket.path, caller: { organizationId: '', keyId: '' }, expires: ticket.expires };
    expect(signer.verify(downloadGrant(download), signer.sign(sampleGrant(ticket)), NOW).ok).toBe(false);
    expect(signer.verify(sampleGrant(ticket), signer.sign(downloadGrant(download)), NOW).ok).toBe(false);
  });

  it('expire', () => {
    const { route, query } = routeOf(url);
    const parsed = sampleTicketFromUrl(route, query)!;
    expect(signer.verify(sampleGrant(parsed.ticket), parsed.signature, NOW + 3_600_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    ['no signature', { sig: undefined }],
    ['a SHA-256 that is not one', { sha256: 'A'.repeat(64) }],
    ['an expiry that is not a number', { expires: '1e9' }],
    // The same number as signed, but not the text that was: an edited URL, however it reads.
    ['an expiry written with a leading zero', { expires: `0${ticket.expires}` }],
    ['an expiry written with two leading zeros', { expires: `00${ticket.expires}` }],
    ['an expiry written with a plus sign', { expires: `+${ticket.expires}` }],
  ])('are not read from a URL with %s', (_what, change) => {
    const { route, query } = routeOf(url);
    const changed = Object.fromEntries(Object.entries({ ...query, ...change }).filter(([, v]) => v !== undefined));
    expect(sampleTicketFromUrl(route, changed)).toBeNull();
  });

  it('are not read for a dataset id that is not a UUID', () => {
    const { route, query } = routeOf(url);
    expect(sampleTicketFromUrl({ ...route, datasetId: '..' }, query)).toBeNull();
  });
});
