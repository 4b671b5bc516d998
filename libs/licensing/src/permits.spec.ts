import { addMonthsUtc, licenseEndsAt } from './license-period';
import { checkUse, permits, type UseRefusal, type UseRequest } from './permits';
import { defaultTerms } from './templates';
import type { LicenseTermsValue } from './terms';

const grantedAt = new Date('2025-01-31T10:00:00Z');
const research: LicenseTermsValue = {
  uses: ['model_training', 'fine_tuning', 'evaluation'],
  termMonths: 12,
  territories: ['CN', 'HK'],
  seats: 10,
  exclusive: false,
  downloadLimit: 3,
};

describe('permits(terms, use)', () => {
  it.each<[string, UseRequest | UseRequest['use']]>([
    ['a granted use, nothing else known', 'model_training'],
    ['a download, which every license allows', 'download'],
    ['training in mainland China', { use: 'model_training', territory: 'CN' }],
    ['fine-tuning in Hong Kong, lower-case code', { use: 'fine_tuning', territory: 'hk' }],
    ['evaluation on the first instant', { use: 'evaluation', grantedAt, at: grantedAt }],
    ['evaluation on the last instant of the term', { use: 'evaluation', grantedAt, at: new Date('2026-01-31T09:59:59.999Z') }],
    ['the tenth seat of ten', { use: 'model_training', seatsInUse: 10 }],
    ['the third download of three', { use: 'download', downloadsSoFar: 2 }],
    ['a seat count on a download', { use: 'download', seatsInUse: 1, downloadsSoFar: 0, territory: 'CN', grantedAt, at: new Date('2025-06-01T00:00:00Z') }],
  ])('permits %s', (_case, request) => {
    expect(checkUse(research, request)).toEqual({ permitted: true });
    expect(permits(research, request)).toBe(true);
  });

  it.each<[string, UseRequest | UseRequest['use'], UseRefusal]>([
    ['commercial deployment under research terms', 'commercial_deployment', 'USE_NOT_GRANTED'],
    ['selling model outputs', { use: 'sell_model_outputs', territory: 'CN' }, 'USE_NOT_GRANTED'],
    ['redistribution', 'redistribution', 'USE_NOT_GRANTED'],
    ['training in Macao (not listed; CN is mainland only)', { use: 'model_training', territory: 'MO' }, 'OUTSIDE_TERRITORY'],
    ['training in the United States', { use: 'model_training', territory: 'US' }, 'OUTSIDE_TERRITORY'],
    ['a download before the grant', { use: 'download', grantedAt, at: new Date('2025-01-31T09:59:59Z') }, 'LICENSE_NOT_STARTED'],
    ['evaluation when the 12 months are over', { use: 'evaluation', grantedAt, at: new Date('2026-01-31T10:00:00Z') }, 'LICENSE_EXPIRED'],
    ['a download years later', { use: 'download', grantedAt, at: new Date('2030-01-01T00:00:00Z') }, 'LICENSE_EXPIRED'],
    ['the eleventh seat of ten', { use: 'fine_tuning', seatsInUse: 11 }, 'SEATS_EXCEEDED'],
    ['the fourth download of three', { use: 'download', downloadsSoFar: 3 }, 'DOWNLOAD_LIMIT_REACHED'],
  ])('refuses %s', (_case, request, reason) => {
    expect(checkUse(research, request)).toMatchObject({ permitted: false, reason });
    expect(permits(research, request)).toBe(false);
  });

  it.each<[string, UseRequest]>([
    ['worldwide terms anywhere', { use: 'redistribution', territory: 'BR' }],
    ['perpetual terms a century later', { use: 'commercial_deployment', grantedAt, at: new Date('2125-01-01T00:00:00Z') }],
    ['unlimited seats', { use: 'model_training', seatsInUse: 100_000 }],
    ['unlimited downloads', { use: 'download', downloadsSoFar: 1_000_000 }],
  ])('open terms permit %s', (_case, request) => {
    expect(permits(defaultTerms('cc-by-4.0'), request)).toBe(true);
  });

  it('evaluation-only terms permit evaluation and nothing else', () => {
    const evaluation = defaultTerms('evaluation');
    expect(permits(evaluation, 'evaluation')).toBe(true);
    expect(permits(evaluation, 'model_training')).toBe(false);
    expect(permits(evaluation, 'fine_tuning')).toBe(false);
  });

  it.each<[string, UseRequest]>([
    ['an invalid grant date', { use: 'download', grantedAt: new Date('not a date') }],
    ['an invalid moment', { use: 'download', grantedAt, at: new Date(Number.NaN) }],
  ])('throws on %s rather than let it pass', (_case, request) => {
    expect(() => checkUse(research, request)).toThrow(TypeError);
  });

  it('says why in words', () => {
    expect(checkUse(research, { use: 'model_training', territory: 'US' })).toEqual({
      permitted: false,
      reason: 'OUTSIDE_TERRITORY',
      detail: 'the license covers CN, HK, not US',
    });
  });
});

describe('license periods in calendar months (UTC)', () => {
  it.each([
    ['2025-01-15T08:00:00Z', 1, '2025-02-15T08:00:00.000Z'],
    ['2025-01-31T10:00:00Z', 1, '2025-02-28T10:00:00.000Z'],
    ['2024-01-31T10:00:00Z', 1, '2024-02-29T10:00:00.000Z'],
    ['2025-01-31T10:00:00Z', 12, '2026-01-31T10:00:00.000Z'],
    ['2025-11-30T00:00:00Z', 3, '2026-02-28T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', 12, '2025-02-28T00:00:00.000Z'],
    ['2025-03-31T23:59:59Z', 1, '2025-04-30T23:59:59.000Z'],
  ])('%s + %p months = %s', (start, months, end) => {
    expect(addMonthsUtc(new Date(start), months).toISOString()).toBe(end);
  });

  it('a perpetual license never ends', () => {
    expect(licenseEndsAt({ termMonths: null }, grantedAt)).toBeNull();
  });
});
