import { randomBytes } from 'node:crypto';
import { parseSigningKeys, type SigningKey } from './signing-keys';
import { UrlSigner, urlExpiry, type UrlGrant, type UrlSignature } from './url-signer';

const NOW = Date.parse('2026-11-30T08:00:00Z');
const IN_AN_HOUR = NOW / 1000 + 3600;
const kid1: SigningKey = { id: 'kid1', secret: Buffer.alloc(32, 1) };
const kid0: SigningKey = { id: 'kid0', secret: Buffer.alloc(32, 2) };

const grant: UrlGrant = {
  method: 'PUT',
  object: JSON.stringify(['upload', 'version-file', '0b6f3c1e-4f7a-4d0e-9d1c-2a1f5e8b7c90', 'audio/zh-CN/普通话_0001.wav']),
  caller: '5d2c9a4e-1b3f-4c6d-8e7f-9a0b1c2d3e4f/3f2a',
  expires: IN_AN_HOUR,
};

describe('UrlSigner', () => {
  const signer = new UrlSigner([kid1, kid0]);
  const signature = signer.sign(grant);

  it('signs with the first key and verifies its own signature', () => {
    expect(signature.kid).toBe('kid1');
    expect(signature.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signer.verify(grant, signature, NOW)).toEqual({ ok: true });
  });

  it('verifies URLs signed by an older key that is still listed, and refuses them once it is dropped', () => {
    const old = new UrlSigner([kid0]).sign(grant);
    expect(old.kid).toBe('kid0');
    expect(signer.verify(grant, old, NOW)).toEqual({ ok: true });
    expect(new UrlSigner([kid1]).verify(grant, old, NOW)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  const flip = (sig: string) => (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
  const tampered: [string, Partial<UrlGrant> | null, Partial<UrlSignature> | null][] = [
    ['another method', { method: 'GET' }, null],
    ['another object', { object: grant.object.replace('0001', '0002') }, null],
    ['another caller', { caller: '7e1d0c2b-9a8f-4e6d-8c5b-4a3f2e1d0c9b/3f2a' }, null],
    ['an entitlement added', { entitlement: 'c0ffee00-0000-4000-8000-000000000001' }, null],
    ['a later expiry', { expires: IN_AN_HOUR + 86_400 }, null],
    ['one character of the signature changed', null, { sig: flip(signature.sig) }],
    ['a truncated signature', null, { sig: signature.sig.slice(0, 42) }],
    ['a signature with characters outside base64url', null, { sig: `${signature.sig.slice(0, 42)}=` }],
    ['an empty signature', null, { sig: '' }],
    ['the signature of another key id', null, { kid: 'kid0' }],
    ['a line break smuggled into a field', { caller: `${grant.caller}\n` }, null],
  ];
  it.each(tampered)('refuses %s', (_what, grantChange, signatureChange) => {
    const verdict = signer.verify({ ...grant, ...grantChange }, { ...signature, ...signatureChange }, NOW);
    expect(verdict).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    ['one second before expiry', NOW + 3_599_000, { ok: true }],
    ['at the expiry', NOW + 3_600_000, { ok: false, reason: 'expired' }],
    ['a day later', NOW + 86_400_000, { ok: false, reason: 'expired' }],
  ])('%s', (_what, now, verdict) => {
    expect(signer.verify(grant, signature, now)).toEqual(verdict);
  });

  it('refuses an unknown key id', () => {
    expect(signer.verify(grant, { ...signature, kid: 'kid9' }, NOW)).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('will not sign a field with a line break', () => {
    expect(() => signer.sign({ ...grant, object: 'a\nb' })).toThrow(/line break/);
  });
});

describe('urlExpiry', () => {
  const now = Date.UTC(2027, 0, 4, 9, 30, 0, 250);
  const ttl = 6 * 3600;

  it.each([
    ['a key without an expiry', {}, Math.floor(now / 1000) + ttl],
    ['a key expiring after the TTL', { keyExpiresAt: now + 7 * 3600_000 }, Math.floor(now / 1000) + ttl],
    ['a key expiring in ten minutes', { keyExpiresAt: now + 600_000 }, Math.floor(now / 1000) + 600],
    ['a key expiring mid-second', { keyExpiresAt: now + 1_999 }, Math.floor((now + 1_999) / 1000)],
  ])('for %s', (_what, caller, expected) => {
    expect(urlExpiry(now, ttl, caller)).toBe(expected);
  });
});

describe('parseSigningKeys', () => {
  const b64 = randomBytes(32).toString('base64');
  const b64url = randomBytes(48).toString('base64url');

  it('reads key ids and secrets in order, the first one signing', () => {
    const keys = parseSigningKeys(`kid1:${b64}, kid0:${b64url}`);
    expect(keys.map((k) => k.id)).toEqual(['kid1', 'kid0']);
    expect(keys[0].secret).toEqual(Buffer.from(b64, 'base64'));
    expect(keys[1].secret.length).toBe(48);
  });

  it.each([
    ['nothing', '', /at least one key/],
    ['a secret without an id', b64, /needs an id/],
    ['an id with a space', `my key:${b64}`, /needs an id/],
    ['a secret that is not base64', 'kid1:这不是密钥这不是密钥这不是密钥这不是密钥这不是密钥', /not base64/],
    ['a short secret', `kid1:${randomBytes(16).toString('base64')}`, /16 bytes; at least 32/],
    ['the same id twice', `kid1:${b64},kid1:${b64url}`, /appears twice/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseSigningKeys(text)).toThrow(message);
  });

  it('never puts a secret in its error messages', () => {
    const short = randomBytes(16).toString('base64');
    expect(() => parseSigningKeys(`kid1:${short}`)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(short) }));
  });
});
