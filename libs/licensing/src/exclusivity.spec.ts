import fc from 'fast-check';
import { blockedByExclusiveSale, exclusiveConflict, findExclusiveConflict, territoriesIntersect, type LicenseGrant } from './exclusivity';
import { licenseEndsAt } from './license-period';

const DATASET = '7d0f4c2a-1b3e-4f5a-9c6d-2e8f0a1b3c4d';
const at = (iso: string) => new Date(`${iso}T00:00:00Z`);

/** An exclusive grant of the dataset: territories, start date, term in months (null: perpetual). */
function grant(territories: string[], start: string, termMonths: number | null, extra: Partial<LicenseGrant> = {}): LicenseGrant {
  return { datasetId: DATASET, terms: { exclusive: true, territories, termMonths }, startsAt: at(start), ...extra };
}

describe('exclusiveConflict(a, b)', () => {
  it.each<[string, LicenseGrant, LicenseGrant, boolean]>([
    ['the same territory and period', grant(['CN'], '2025-01-01', 12), grant(['CN'], '2025-01-01', 12), true],
    ['overlapping periods in the same territory', grant(['CN'], '2025-01-01', 12), grant(['CN'], '2025-12-01', 12), true],
    ['one period inside the other', grant(['CN'], '2025-01-01', 24), grant(['CN'], '2025-06-01', 3), true],
    ['adjacent periods: one ends as the other starts', grant(['CN'], '2025-01-01', 12), grant(['CN'], '2026-01-01', 12), false],
    ['adjacent periods the other way round', grant(['CN'], '2026-01-01', 12), grant(['CN'], '2025-01-01', 12), false],
    ['periods a day apart', grant(['CN'], '2025-01-01', 12), grant(['CN'], '2026-01-02', 12), false],
    ['worldwide against mainland China', grant(['WORLDWIDE'], '2025-01-01', 12), grant(['CN'], '2025-03-01', 12), true],
    ['mainland China against worldwide', grant(['CN'], '2025-01-01', 12), grant(['WORLDWIDE'], '2025-03-01', 12), true],
    ['worldwide against worldwide', grant(['WORLDWIDE'], '2025-01-01', 1), grant(['WORLDWIDE'], '2025-01-15', 1), true],
    ['mainland China against Hong Kong', grant(['CN'], '2025-01-01', 12), grant(['HK'], '2025-01-01', 12), false],
    ['lists sharing one country', grant(['CN', 'SG'], '2025-01-01', 12), grant(['JP', 'SG'], '2025-01-01', 12), true],
    ['disjoint lists', grant(['CN', 'HK', 'MO'], '2025-01-01', 12), grant(['JP', 'KR'], '2025-01-01', 12), false],
    ['a perpetual grant against a later one', grant(['CN'], '2020-01-01', null), grant(['CN'], '2040-01-01', 12), true],
    ['a later perpetual grant against an earlier term', grant(['CN'], '2025-01-01', 12), grant(['CN'], '2026-01-01', null), false],
    ['a perpetual grant starting inside a term', grant(['CN'], '2025-01-01', 12), grant(['CN'], '2025-12-31', null), true],
    ['two perpetual grants', grant(['CN'], '2025-01-01', null), grant(['CN'], '2090-01-01', null), true],
    ['a grant revoked before the other starts', grant(['CN'], '2025-01-01', null, { endsAt: at('2025-03-01') }), grant(['CN'], '2025-03-01', 12), false],
    ['a revoked grant that still overlapped', grant(['CN'], '2025-01-01', null, { endsAt: at('2025-03-02') }), grant(['CN'], '2025-03-01', 12), true],
    ['a non-exclusive grant', grant(['CN'], '2025-01-01', 12), { ...grant(['CN'], '2025-01-01', 12), terms: { exclusive: false, territories: ['CN'], termMonths: 12 } }, false],
    ['another dataset', grant(['CN'], '2025-01-01', 12), grant(['CN'], '2025-01-01', 12, { datasetId: 'a1b2c3d4-0000-4000-8000-000000000000' }), false],
  ])('%s: %p', (_case, a, b, collide) => {
    expect(exclusiveConflict(a, b)).toBe(collide);
    expect(exclusiveConflict(b, a)).toBe(collide);
  });
});

describe('blockedByExclusiveSale(grant, sale)', () => {
  const open = (territories: string[], start: string, termMonths: number | null): LicenseGrant => ({ ...grant(territories, start, termMonths), terms: { exclusive: false, territories, termMonths } });
  it.each<[string, LicenseGrant, LicenseGrant, boolean]>([
    ['a non-exclusive license in the sale territory while it runs', open(['CN'], '2025-06-01', 12), grant(['CN'], '2025-01-01', 24), true],
    ['a perpetual non-exclusive license sold while the sale runs', open(['CN'], '2025-06-01', null), grant(['CN'], '2025-01-01', 24), true],
    ['a worldwide non-exclusive license against a sale in mainland China', open(['WORLDWIDE'], '2025-06-01', 12), grant(['CN'], '2025-01-01', 24), true],
    ['a non-exclusive license in Hong Kong only', open(['HK'], '2025-06-01', 12), grant(['CN'], '2025-01-01', 24), false],
    ['a non-exclusive license sold as the sale ends', open(['CN'], '2027-01-01', 12), grant(['CN'], '2025-01-01', 24), false],
    ['an exclusive one, as exclusiveConflict has it', grant(['CN'], '2025-06-01', 12), grant(['CN'], '2025-01-01', 24), true],
    ['a sale that is not exclusive', open(['CN'], '2025-06-01', 12), open(['CN'], '2025-01-01', 24), false],
  ])('%s: %p', (_case, candidate, sale, blocked) => {
    expect(blockedByExclusiveSale(candidate, sale)).toBe(blocked);
  });
});

describe('exclusiveConflict with a broken date', () => {
  it.each<[string, LicenseGrant]>([
    ['an invalid start', { ...grant(['CN'], '2025-01-01', 12), startsAt: new Date('2025-13-45') }],
    ['an invalid end', grant(['CN'], '2025-01-01', null, { endsAt: new Date(Number.NaN) })],
  ])('throws on %s rather than call it no conflict', (_case, broken) => {
    expect(() => exclusiveConflict(broken, grant(['CN'], '2025-01-01', 12))).toThrow(TypeError);
  });
});

describe('territoriesIntersect', () => {
  it.each<[string[], string[], boolean]>([
    [['CN'], ['CN'], true],
    [['CN'], ['TW'], false],
    [['WORLDWIDE'], ['US'], true],
    [[], ['WORLDWIDE'], false],
  ])('%p and %p: %p', (a, b, expected) => {
    expect(territoriesIntersect(a, b)).toBe(expected);
  });
});

describe('findExclusiveConflict: creating or selling an exclusive offer against live sales', () => {
  const sales = [
    { id: 'sale-1', ...grant(['CN'], '2025-01-01', 12) },
    { id: 'sale-2', ...grant(['JP'], '2024-01-01', 12) },
  ];

  it.each<[string, LicenseGrant['terms'], string, string | undefined]>([
    ['mainland China while sale-1 lives', { exclusive: true, territories: ['CN'], termMonths: 6 }, '2025-06-01', 'sale-1'],
    ['worldwide while sale-1 lives', { exclusive: true, territories: ['WORLDWIDE'], termMonths: 6 }, '2025-06-01', 'sale-1'],
    ['mainland China the moment sale-1 ends', { exclusive: true, territories: ['CN'], termMonths: 6 }, '2026-01-01', undefined],
    ['Japan after sale-2 ended', { exclusive: true, territories: ['JP'], termMonths: null }, '2025-06-01', undefined],
    ['Hong Kong while sale-1 lives', { exclusive: true, territories: ['HK'], termMonths: 12 }, '2025-06-01', undefined],
    ['a non-exclusive offer', { exclusive: false, territories: ['CN'], termMonths: 12 }, '2025-06-01', undefined],
  ])('%s', (_case, terms, now, collidesWith) => {
    expect(findExclusiveConflict(terms, sales, at(now))?.id).toBe(collidesWith);
  });
});

describe('exclusiveConflict against a second formulation', () => {
  const territory = fc.constantFrom('CN', 'HK', 'JP', 'WORLDWIDE');
  const exclusiveGrant = fc.record({
    territories: fc.uniqueArray(territory, { minLength: 1, maxLength: 3 }).map((t) => (t.includes('WORLDWIDE') ? ['WORLDWIDE'] : t)),
    day: fc.integer({ min: 0, max: 1500 }),
    termMonths: fc.constantFrom(1, 3, 12, 24, null),
  });
  const toGrant = (g: { territories: string[]; day: number; termMonths: number | null }): LicenseGrant =>
    grant(g.territories, new Date(Date.UTC(2025, 0, 1 + g.day)).toISOString().slice(0, 10), g.termMonths);

  /** Half-open periods overlap exactly when one starts while the other runs. */
  function runsAt(g: LicenseGrant, instant: Date): boolean {
    const end = licenseEndsAt(g.terms, g.startsAt);
    return g.startsAt.getTime() <= instant.getTime() && (end === null || instant.getTime() < end.getTime());
  }

  it('collides exactly when the territories meet and one grant starts while the other runs', () => {
    fc.assert(
      fc.property(exclusiveGrant, exclusiveGrant, (x, y) => {
        const a = toGrant(x);
        const b = toGrant(y);
        const territoriesMeet = a.terms.territories.some((t) => t === 'WORLDWIDE' || b.terms.territories.includes(t) || b.terms.territories.includes('WORLDWIDE'));
        const expected = territoriesMeet && (runsAt(a, b.startsAt) || runsAt(b, a.startsAt));
        return exclusiveConflict(a, b) === expected && exclusiveConflict(b, a) === expected;
      }),
      { numRuns: 2000 },
    );
  });
});
