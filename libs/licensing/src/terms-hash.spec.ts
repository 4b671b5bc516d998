import fc from 'fast-check';
import { canonicalJson, canonicalTerms, sameTerms, termsSha256 } from './terms-hash';
import { defaultTerms } from './templates';
import { LICENSE_USES, type LicenseTermsValue } from './terms';

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

describe('termsSha256 over any terms', () => {
  const anyTerms = fc.record({
    uses: fc.uniqueArray(fc.constantFrom(...LICENSE_USES), { minLength: 1 }),
    termMonths: fc.option(fc.integer({ min: 1, max: 1200 }), { nil: null }),
    territories: fc.uniqueArray(fc.constantFrom('CN', 'HK', 'MO', 'TW', 'SG', 'US', 'JP'), { minLength: 1 }),
    seats: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
    exclusive: fc.boolean(),
    downloadLimit: fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }),
  });

  /** The same terms written another way: keys and both lists in another order. */
  function rewritten(terms: LicenseTermsValue, seed: number): LicenseTermsValue {
    const shuffle = <T>(items: T[]) => items.map((item, i) => ({ item, key: (i * 7919 + seed) % 101 })).sort((a, b) => a.key - b.key).map((x) => x.item);
    const entries = shuffle(Object.entries({ ...terms, uses: shuffle([...terms.uses]), territories: shuffle([...terms.territories]) }));
    return Object.fromEntries(entries) as LicenseTermsValue;
  }

  it('does not depend on how the terms are written', () => {
    fc.assert(fc.property(anyTerms, fc.nat(), (terms, seed) => termsSha256(rewritten(terms, seed)) === termsSha256(terms)));
  });

  /** Equal in meaning: the same sets of uses and territories and the same scalar fields. */
  function meanTheSame(a: LicenseTermsValue, b: LicenseTermsValue): boolean {
    const sameSet = (x: string[], y: string[]) => x.length === y.length && x.every((item) => y.includes(item));
    return (
      sameSet(a.uses, b.uses) &&
      sameSet(a.territories, b.territories) &&
      a.termMonths === b.termMonths &&
      a.seats === b.seats &&
      a.exclusive === b.exclusive &&
      (a.downloadLimit ?? null) === (b.downloadLimit ?? null)
    );
  }

  it('is the same exactly when the terms mean the same', () => {
    const near = anyTerms.chain((a) => fc.tuple(fc.constant(a), fc.oneof(anyTerms, fc.constant({ ...a, seats: a.seats === null ? 1 : null }), fc.constant(a))));
    fc.assert(
      fc.property(near, ([a, b]) => (termsSha256(a) === termsSha256(b)) === meanTheSame(a, b)),
      { numRuns: 1000 },
    );
  });
});
