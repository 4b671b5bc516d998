/**
 * The currencies a price may be in, with their ISO 4217 minor-unit exponent: an amount is
 * always an integer count of minor units (fen for CNY, cents for USD, yen for JPY).
 */
export const CURRENCY_MINOR_UNITS = {
  CNY: 2,
  HKD: 2,
  MOP: 2,
  TWD: 2,
  USD: 2,
  EUR: 2,
  GBP: 2,
  JPY: 0,
  KRW: 0,
  SGD: 2,
} as const;

export type CurrencyCode = keyof typeof CURRENCY_MINOR_UNITS;

export const CURRENCY_CODES = Object.keys(CURRENCY_MINOR_UNITS) as CurrencyCode[];

export function isCurrencyCode(value: unknown): value is CurrencyCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CURRENCY_MINOR_UNITS, value);
}
