import { canonicalJson, canonicalTerms, sameTerms, termsSha256 } from './terms-hash';
import { defaultTerms } from './templates';
import type { LicenseTermsValue } from './terms';

const terms: LicenseTermsValue = {
  uses: ['model_training', 'fine_tuning', 'evaluation', 'commercial_deployment'],
  termMonths: 24,
  territories: ['CN', 'HK'],
  seats: 50,
  exclusive: false,
};

describe('termsSha256', () => {
  it('is the SHA-256 of the canonical JSON, pinned so stored receipts stay checkable', () => {
    expect(canonicalJson(canonicalTerms(terms))).toBe(
      '{"attributionRequired":false,"downloadLimit":null,"exclusive":false,"seats":50,"termMonths":24,' +
        '"territories":["CN","HK"],"uses":["model_training","fine_tuning","evaluation","commercial_deployment"]}',
    );
    expect(termsSha256(terms)).toBe('9f1782bb0aa46d20b773450a85d699b12e8beb79fc670c6a0a30380f8ad54737');
  });

  it.each<[string, LicenseTermsValue]>([
    ['keys in another order', { exclusive: false, seats: 50, territories: ['CN', 'HK'], termMonths: 24, uses: terms.uses }],
    ['uses in another order', { ...terms, uses: ['commercial_deployment', 'evaluation', 'fine_tuning', 'model_training'] }],
    ['territories in another order', { ...terms, territories: ['HK', 'CN'] }],
    ['a repeated territory', { ...terms, territories: ['CN', 'HK', 'CN'] }],
    ['defaults spelled out', { ...terms, downloadLimit: null, attributionRequired: false }],
    ['an optional field present but undefined', { ...terms, downloadLimit: undefined }],
    ['fields terms do not have', { ...terms, note: 'ignored' } as LicenseTermsValue],
  ])('is the same for the same terms with %s', (_case, same) => {
    expect(termsSha256(same)).toBe(termsSha256(terms));
    expect(sameTerms(same, terms)).toBe(true);
  });

  it.each<[string, Partial<LicenseTermsValue>]>([
    ['one use more', { uses: [...terms.uses, 'sell_model_outputs'] }],
    ['one use fewer', { uses: ['model_training'] }],
    ['a longer term', { termMonths: 36 }],
    ['a perpetual term', { termMonths: null }],
    ['another territory', { territories: ['CN', 'MO'] }],
    ['worldwide', { territories: ['WORLDWIDE'] }],
    ['more seats', { seats: 51 }],
    ['unlimited seats', { seats: null }],
    ['exclusivity', { exclusive: true }],
    ['a download limit', { downloadLimit: 3 }],
    ['attribution', { attributionRequired: true }],
  ])('changes with %s', (_case, change) => {
    expect(termsSha256({ ...terms, ...change })).not.toBe(termsSha256(terms));
  });

  it('gives each template a hash of its own', () => {
    const hashes = (['evaluation', 'research', 'commercial', 'commercial_exclusive', 'cc-by-4.0'] as const).map((t) => termsSha256(defaultTerms(t)));
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe('canonicalJson', () => {
  it.each<[unknown, string]>([
    [{ b: 1, a: [true, null, 'x'] }, '{"a":[true,null,"x"],"b":1}'],
    [{ '中': 1, z: 2, A: 3 }, '{"A":3,"z":2,"中":1}'],
    [{ nested: { y: 1, x: 2 } }, '{"nested":{"x":2,"y":1}}'],
    ['普通话 "quoted"', '"普通话 \\"quoted\\""'],
  ])('writes %p as %s', (value, json) => {
    expect(canonicalJson(value)).toBe(json);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, () => 1, Symbol('x')])('refuses %p', (value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });
});
