import { displayPrefixOf, issueKey, KEY_PATTERN, parseKey, secretMatches } from './api-key-token';

describe('API key tokens', () => {
  it('issues a recognisable key whose id and secret parse back out of it', () => {
    const key = issueKey();
    expect(key.token).toMatch(KEY_PATTERN);
    const parsed = parseKey(key.token)!;
    expect(parsed.id).toBe(key.id);
    expect(secretMatches(parsed.secret, key.secretHash)).toBe(true);
    expect(displayPrefixOf(parsed)).toBe(key.displayPrefix);
    expect(key.token.startsWith(key.displayPrefix)).toBe(true);
  });

  it('never stores anything from which the key can be read back', () => {
    const key = issueKey();
    const secret = parseKey(key.token)!.secret;
    expect(key.secretHash.toString('hex')).not.toContain(secret);
    expect(key.secretHash.toString('base64url')).not.toContain(secret);
    expect(key.displayPrefix.length).toBeLessThan(16);
  });

  it('gives every key a different secret', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => issueKey().token));
    expect(tokens.size).toBe(200);
  });

  it('refuses a secret that differs in one character', () => {
    const key = issueKey();
    const { secret } = parseKey(key.token)!;
    const flipped = (secret[0] === 'A' ? 'B' : 'A') + secret.slice(1);
    expect(secretMatches(flipped, key.secretHash)).toBe(false);
  });

  it.each([
    '',
    'trv_',
    'Bearer trv_0123',
    'trv_0123456789abcdef0123456789abcdef',
    'trv_0123456789ABCDEF0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'trv_0123456789abcdef0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'trv_0123456789abcdef0123456789abcdef_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ',
    'sk_live_0123456789abcdef0123456789abcdef',
  ])('does not parse %j', (token) => {
    expect(parseKey(token)).toBeUndefined();
  });
});
