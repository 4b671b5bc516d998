import { MoneyError, money } from './money';
import { chargeFor, firstPeriodEndsAt, periodEndsAt, type BillingPeriod, type PricingValue, type Quantity } from './pricing';

const cny = (amount: number) => money(amount, 'CNY');

describe('chargeFor(pricing, quantity)', () => {
  it.each<[string, PricingValue, Quantity, ReturnType<typeof cny>]>([
    ['a one-time license', { model: 'one_time', price: cny(12_800_000) }, {}, cny(12_800_000)],
    ['a one-time license ignores quantities', { model: 'one_time', price: cny(12_800_000) }, { periods: 3, units: 9 }, cny(12_800_000)],
    ['one month of a subscription', { model: 'subscription', price: cny(990_000), period: 'month' }, {}, cny(990_000)],
    ['three years paid at once', { model: 'subscription', price: cny(36_000_000), period: 'year' }, { periods: 3 }, cny(108_000_000)],
    ['1,200 hours of speech at 350 yuan', { model: 'metered', price: cny(35_000), unit: 'hour' }, { units: 1200 }, cny(42_000_000)],
    ['no tokens used', { model: 'metered', price: cny(2), unit: '1k_tokens' }, { units: 0 }, cny(0)],
    ['a free listing', { model: 'free' }, {}, cny(0)],
  ])('%s', (_case, pricing, quantity, charge) => {
    expect(chargeFor(pricing, quantity)).toEqual(charge);
  });

  it('charges a free listing in the currency asked for', () => {
    expect(chargeFor({ model: 'free' }, {}, 'USD')).toEqual(money(0, 'USD'));
  });

  it.each<[string, PricingValue, Quantity]>([
    ['metered use without units', { model: 'metered', price: cny(35_000), unit: 'hour' }, {}],
    ['a fractional unit count', { model: 'metered', price: cny(35_000), unit: 'hour' }, { units: 1.5 }],
    ['a priced model without a price', { model: 'one_time' }, {}],
  ])('refuses %s', (_case, pricing, quantity) => {
    expect(() => chargeFor(pricing, quantity)).toThrow(MoneyError);
  });
});

describe('periodEndsAt', () => {
  it.each<[string, BillingPeriod, string]>([
    ['2025-01-31T00:00:00Z', 'month', '2025-02-28T00:00:00.000Z'],
    ['2025-01-31T00:00:00Z', 'quarter', '2025-04-30T00:00:00.000Z'],
    ['2024-02-29T12:00:00Z', 'year', '2025-02-28T12:00:00.000Z'],
  ])('%s + one %s = %s', (start, period, end) => {
    expect(periodEndsAt(new Date(start), period).toISOString()).toBe(end);
  });
});

describe('firstPeriodEndsAt', () => {
  it.each<[string, BillingPeriod, string | null, string]>([
    ['2026-01-31T04:00:00Z', 'month', null, '2026-02-28T04:00:00.000Z'],
    ['2026-03-15T02:00:00Z', 'year', '2027-09-15T02:00:00Z', '2027-03-15T02:00:00.000Z'],
    ['2026-03-15T02:00:00Z', 'year', '2026-06-15T02:00:00Z', '2026-06-15T02:00:00.000Z'],
    ['2026-03-15T02:00:00Z', 'month', '2026-03-01T00:00:00Z', '2026-03-15T02:00:00.000Z'],
  ])('charged %s by the %s, license ending %s: paid to %s', (chargedAt, period, licenseEnd, end) => {
    expect(firstPeriodEndsAt(new Date(chargedAt), period, licenseEnd ? new Date(licenseEnd) : null).toISOString()).toBe(end);
  });
});
