import type { OfferView } from '@trove/contracts';
import type { LicenseTermsValue } from '@trove/licensing';
import { exclusiveSoldOutUntil, withExclusiveAvailability, type LiveExclusiveSale } from './exclusive-availability';

const at = new Date('2026-12-01T02:00:00Z');

function terms(territories: string[], termMonths: number | null): LicenseTermsValue {
  return { uses: ['model_training', 'fine_tuning', 'commercial_deployment'], termMonths, territories, seats: null, exclusive: true } as LicenseTermsValue;
}

function sale(territories: string[], startsAt: string, endsAt: string | null): LiveExclusiveSale {
  return { terms: terms(territories, null), startsAt: new Date(startsAt), endsAt: endsAt ? new Date(endsAt) : null };
}

describe('exclusiveSoldOutUntil', () => {
  const mainland = sale(['CN'], '2026-06-01T00:00:00Z', '2028-06-01T00:00:00Z');
  const hongKong = sale(['HK'], '2026-01-01T00:00:00Z', '2029-01-01T00:00:00Z');
  const forever = sale(['CN'], '2026-03-01T00:00:00Z', null);
  const over = sale(['CN'], '2024-01-01T00:00:00Z', '2026-01-01T00:00:00Z');

  it.each([
    ['no sale', terms(['CN'], 12), [], undefined],
    ['a sale elsewhere', terms(['SG'], 12), [mainland, hongKong], undefined],
    ['a sale that has ended', terms(['CN'], 12), [over], undefined],
    ['a sale of the same territory: until it ends', terms(['CN'], 12), [mainland], '2028-06-01T00:00:00.000Z'],
    ['two colliding sales: until the later ends', terms(['CN', 'HK'], 12), [mainland, hongKong], '2029-01-01T00:00:00.000Z'],
    ['WORLDWIDE against one territory', terms(['WORLDWIDE'], 6), [hongKong], '2029-01-01T00:00:00.000Z'],
    ['a perpetual sale: never', terms(['CN'], 12), [mainland, forever], null],
    ['a non-exclusive license of the same territory: until the sale ends', { ...terms(['CN'], 12), exclusive: false }, [mainland], '2028-06-01T00:00:00.000Z'],
    ['a non-exclusive license elsewhere', { ...terms(['SG'], 12), exclusive: false }, [mainland, hongKong], undefined],
  ])('%s', (_case, offerTerms, live, expected) => {
    const until = exclusiveSoldOutUntil(offerTerms, live, at);
    expect(until === undefined || until === null ? until : until.toISOString()).toBe(expected);
  });
});

describe('withExclusiveAvailability', () => {
  const live = [sale(['CN'], '2026-06-01T00:00:00Z', '2028-06-01T00:00:00Z')];
  const offer = (status: OfferView['status'], exclusive = true) =>
    ({ id: 'offer', status, exclusive, license: { template: exclusive ? 'commercial_exclusive' : 'commercial', terms: { ...terms(['CN'], 24), exclusive } } }) as OfferView;

  it('marks an active exclusive offer that a live sale blocks, with when it ends', () => {
    expect(withExclusiveAvailability(offer('active'), live, at).exclusiveSoldOut).toEqual({ until: '2028-06-01T00:00:00.000Z' });
  });

  it.each([['withdrawn'], ['expired']] as const)('leaves a %s offer as it is: it is not for sale, blocked or not', (status) => {
    expect(withExclusiveAvailability(offer(status), live, at)).not.toHaveProperty('exclusiveSoldOut');
  });

  it('marks a non-exclusive offer of the territory too: no one else is licensed the data there while the sale runs', () => {
    expect(withExclusiveAvailability(offer('active', false), live, at).exclusiveSoldOut).toEqual({ until: '2028-06-01T00:00:00.000Z' });
  });
});
