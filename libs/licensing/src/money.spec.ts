import 'reflect-metadata';
import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  MoneyError,
  Money,
  PositiveMoney,
  Price,
  addMoney,
  addTax,
  allocateMoney,
  formatMoney,
  compareMoney,
  money,
  multiplyMoney,
  percentOf,
  splitCommission,
  splitTaxIncluded,
  subtractMoney,
  sumMoney,
} from './money';

const cny = (amount: number) => money(amount, 'CNY');
const OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true };
const invalidFields = (cls: new () => object, body: unknown) =>
  validateSync(plainToInstance(cls, body) as object, OPTIONS).map((error) => error.property);

describe('money()', () => {
  it.each<[number | bigint, string]>([
    [129900, 'CNY'],
    [0, 'USD'],
    [-500, 'EUR'],
    [1500, 'JPY'],
    [Number.MAX_SAFE_INTEGER, 'HKD'],
    [12_345n, 'CNY'],
  ])('accepts %p %s', (amount, currency) => {
    expect(money(amount, currency)).toEqual({ amount: Number(amount), currency });
  });

  it.each<[string, number | bigint, string]>([
    ['a fraction of a fen', 12.5, 'CNY'],
    ['NaN', Number.NaN, 'CNY'],
    ['an unsafe integer', Number.MAX_SAFE_INTEGER + 1, 'CNY'],
    ['a bigint beyond safe', 2n ** 60n, 'CNY'],
    ['an unknown currency', 100, 'RMB'],
    ['a lower-case code', 100, 'cny'],
  ])('refuses %s', (_case, amount, currency) => {
    expect(() => money(amount, currency)).toThrow(MoneyError);
  });
});

describe('arithmetic', () => {
  it.each([
    ['add', () => addMoney(cny(129900), cny(100)), cny(130000)],
    ['subtract', () => subtractMoney(cny(100), cny(129900)), cny(-129800)],
    ['sum', () => sumMoney([cny(1), cny(2), cny(3)], 'CNY'), cny(6)],
    ['sum of nothing', () => sumMoney([], 'JPY'), money(0, 'JPY')],
    ['multiply by a metered quantity', () => multiplyMoney(cny(350), 1200), cny(420000)],
  ])('%s', (_case, compute, expected) => {
    expect(compute()).toEqual(expected);
  });

  it.each([
    ['adding across currencies', () => addMoney(cny(1), money(1, 'USD'))],
    ['comparing across currencies', () => compareMoney(cny(1), money(1, 'HKD'))],
    ['overflowing the safe range', () => addMoney(cny(Number.MAX_SAFE_INTEGER), cny(1))],
    ['multiplying by a fraction', () => multiplyMoney(cny(100), 1.5)],
    ['a stored fraction', () => addMoney({ amount: 0.1, currency: 'CNY' }, cny(1))],
  ])('refuses %s', (_case, compute) => {
    expect(compute).toThrow(MoneyError);
  });

  it.each([
    [cny(1), cny(2), -1],
    [cny(2), cny(2), 0],
    [cny(3), cny(2), 1],
  ])('compares %p with %p as %p', (a, b, expected) => {
    expect(compareMoney(a, b)).toBe(expected);
  });
});

describe('rates in basis points, rounded half away from zero', () => {
  it.each([
    // [amount, rate bp, share]
    [10_000, 2000, 2000],
    [129_900, 2000, 25_980],
    [5, 2000, 1], // 1.0 exactly
    [2, 2500, 1], // 0.5 rounds up
    [1, 2500, 0], // 0.25 rounds down
    [-2, 2500, -1], // -0.5 rounds away from zero
    [99, 0, 0],
    [99, 10_000, 99],
  ])('%p at %p bp is %p', (amount, rate, share) => {
    expect(percentOf(cny(amount), rate)).toEqual(cny(share));
  });

  it.each([-1, 10_001, 12.5, Number.NaN])('refuses a rate of %p', (rate) => {
    expect(() => percentOf(cny(100), rate)).toThrow(MoneyError);
  });

  it.each([
    // [gross, rate bp, net, tax]: prices include VAT, 6 % for data services
    [106, 600, 100, 6],
    [129_900, 600, 122_547, 7353],
    [1, 600, 1, 0],
    [9, 600, 8, 1], // 0.509 rounds to 1
    [0, 600, 0, 0],
    [113, 1300, 100, 13],
    [1000, 0, 1000, 0],
  ])('splits a gross of %p at %p bp into net %p + tax %p', (gross, rate, net, tax) => {
    expect(splitTaxIncluded(cny(gross), rate)).toEqual({ net: cny(net), tax: cny(tax), gross: cny(gross) });
  });

  it('adds tax on top of a net amount', () => {
    expect(addTax(cny(100_000), 600)).toEqual({ net: cny(100_000), tax: cny(6000), gross: cny(106_000) });
  });

  it('splits a sale into the 20 % commission and the vendor share', () => {
    expect(splitCommission(cny(129_900), 2000)).toEqual({ commission: cny(25_980), vendor: cny(103_920) });
    expect(splitCommission(money(333, 'JPY'), 2000)).toEqual({ commission: money(67, 'JPY'), vendor: money(266, 'JPY') });
  });

  it('never loses or makes a minor unit (any gross, any rate)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: 10_000 }), (gross, rate) => {
        const tax = splitTaxIncluded(cny(gross), rate);
        const sale = splitCommission(cny(gross), rate);
        return tax.net.amount + tax.tax.amount === gross && tax.tax.amount >= 0 && sale.commission.amount + sale.vendor.amount === gross;
      }),
    );
  });
});

describe('allocateMoney', () => {
  it.each([
    [100, [1, 1, 1], [34, 33, 33]],
    [100, [2, 1], [67, 33]],
    [-100, [1, 1, 1], [-34, -33, -33]],
    [5, [0, 1], [0, 5]],
    [1, [1, 1], [1, 0]],
    [129_900, [8000, 2000], [103_920, 25_980]],
  ])('splits %p by %p into %p', (amount, weights, shares) => {
    expect(allocateMoney(cny(amount), weights)).toEqual(shares.map(cny));
  });

  it.each([[[]], [[0, 0]], [[1, -1]], [[0.5, 1]]])('refuses weights %p', (weights) => {
    expect(() => allocateMoney(cny(100), weights)).toThrow(MoneyError);
  });

  it('always sums to the amount', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 12 }).filter((w) => w.some((x) => x > 0)),
        (amount, weights) => allocateMoney(cny(amount), weights).reduce((sum, share) => sum + share.amount, 0) === amount,
      ),
    );
  });
});

describe('Money and Price in requests', () => {
  it.each([
    [{ amount: 129900, currency: 'CNY' }, []],
    [{ amount: -100, currency: 'USD' }, []],
    [{ amount: 12.5, currency: 'CNY' }, ['amount']],
    [{ amount: '129900', currency: 'CNY' }, ['amount']],
    [{ amount: Number.MAX_SAFE_INTEGER + 2, currency: 'CNY' }, ['amount']],
    [{ amount: 100, currency: 'RMB' }, ['currency']],
    [{ amount: 100 }, ['currency']],
    [{ amount: 100, currency: 'CNY', tax: 6 }, ['tax']],
  ])('Money %p: wrong fields %p', (body, fields) => {
    expect(invalidFields(Money, body)).toEqual(fields);
  });

  it.each([
    [{ amount: 1, currency: 'CNY' }, []],
    [{ amount: 0, currency: 'CNY' }, ['amount']],
    [{ amount: -100, currency: 'CNY' }, ['amount']],
    [{ amount: 99.99, currency: 'USD' }, ['amount']],
    [{ amount: 100, currency: 'XYZ' }, ['currency']],
  ])('Price %p: wrong fields %p', (body, fields) => {
    expect(invalidFields(Price, body)).toEqual(fields);
    expect(invalidFields(PositiveMoney, body)).toEqual(fields);
  });
});

describe('formatMoney', () => {
  it.each([
    [{ amount: 200_000_000, currency: 'CNY' }, '2,000,000.00 CNY'],
    [{ amount: 129_900, currency: 'CNY' }, '1,299.00 CNY'],
    [{ amount: 8, currency: 'CNY' }, '0.08 CNY'],
    [{ amount: 0, currency: 'USD' }, '0.00 USD'],
    [{ amount: -1_031_840, currency: 'CNY' }, '-10,318.40 CNY'],
    [{ amount: 1_500_000, currency: 'JPY' }, '1,500,000 JPY'],
    [{ amount: '9007199254740991', currency: 'CNY' }, '90,071,992,547,409.91 CNY'],
  ])('%j reads %s', (value, text) => {
    expect(formatMoney(value)).toBe(text);
  });
});
