import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { CURRENCY_CODES, CURRENCY_MINOR_UNITS, isCurrencyCode, type CurrencyCode } from './currency';

/** An amount of money as it travels in JSON: integer minor units and an ISO 4217 code. */
export interface MoneyValue {
  amount: number;
  currency: CurrencyCode;
}

/** Money in a request or message: `{"amount": 129900, "currency": "CNY"}` is 1,299.00 yuan. */
export class Money implements MoneyValue {
  @ApiProperty({ type: 'integer', description: 'Integer minor units (fen for CNY, yen for JPY)', example: 129900 })
  @IsInt()
  @Min(-Number.MAX_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  amount: number;

  @ApiProperty({ enum: CURRENCY_CODES, example: 'CNY' })
  @IsIn(CURRENCY_CODES)
  currency: CurrencyCode;
}

/**
 * A price: the same shape as Money, and the amount is at least one minor unit. class-validator
 * drops a parent's rules for a property the subclass decorates, so every rule is repeated.
 */
export class Price extends Money {
  @ApiProperty({ type: 'integer', description: 'Integer minor units, at least 1', example: 129900, minimum: 1 })
  @IsInt({ message: 'amount must be a positive integer number of minor units' })
  @Min(1, { message: 'amount must be a positive integer number of minor units' })
  @Max(Number.MAX_SAFE_INTEGER)
  override amount: number;
}

/** The same rule for any amount that must be positive: a top-up, a payout. */
export const PositiveMoney = Price;
export type PositiveMoney = Price;

/** A rule of money arithmetic was broken: mixed currencies, a fraction, an overflow. */
export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

function toSafeNumber(value: bigint, what: string): number {
  if (value > MAX || value < -MAX) throw new MoneyError(`${what} is beyond the safe integer range`);
  return Number(value);
}

function minor(value: MoneyValue): bigint {
  if (!Number.isSafeInteger(value.amount)) {
    throw new MoneyError(`amount ${value.amount} is not a safe integer number of minor units`);
  }
  return BigInt(value.amount);
}

function sameCurrency(a: MoneyValue, b: MoneyValue): CurrencyCode {
  if (a.currency !== b.currency) throw new MoneyError(`cannot mix ${a.currency} and ${b.currency}`);
  return a.currency;
}

/**
 * Integer division rounded half away from zero (四舍五入, the rounding on a fapiao).
 * `divisor` is positive.
 */
function divideRounded(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  const remainder = dividend % divisor;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  if (twice >= divisor) return quotient + (dividend < 0n ? -1n : 1n);
  return quotient;
}

/** Builds a checked money value; throws MoneyError on fractions, unsafe integers or an unknown currency. */
export function money(amount: number | bigint, currency: string): MoneyValue {
  if (!isCurrencyCode(currency)) throw new MoneyError(`unknown currency ${currency}`);
  if (typeof amount === 'bigint') return { amount: toSafeNumber(amount, 'amount'), currency };
  if (!Number.isSafeInteger(amount)) throw new MoneyError(`amount ${amount} is not a safe integer number of minor units`);
  return { amount, currency };
}

export function zeroMoney(currency: CurrencyCode): MoneyValue {
  return money(0, currency);
}

export function addMoney(a: MoneyValue, b: MoneyValue): MoneyValue {
  const currency = sameCurrency(a, b);
  return { amount: toSafeNumber(minor(a) + minor(b), 'sum'), currency };
}

export function subtractMoney(a: MoneyValue, b: MoneyValue): MoneyValue {
  const currency = sameCurrency(a, b);
  return { amount: toSafeNumber(minor(a) - minor(b), 'difference'), currency };
}

/** Sums amounts of one currency; an empty list is zero of `currency`. */
export function sumMoney(values: readonly MoneyValue[], currency: CurrencyCode): MoneyValue {
  return values.reduce((total, value) => addMoney(total, value), zeroMoney(currency));
}

/** A unit price times an integer quantity (metered usage, seats). */
export function multiplyMoney(value: MoneyValue, quantity: number): MoneyValue {
  if (!Number.isSafeInteger(quantity)) throw new MoneyError(`quantity ${quantity} is not an integer`);
  return { amount: toSafeNumber(minor(value) * BigInt(quantity), 'product'), currency: value.currency };
}

/** -1, 0 or 1; only amounts of one currency compare. */
export function compareMoney(a: MoneyValue, b: MoneyValue): -1 | 0 | 1 {
  sameCurrency(a, b);
  const d = minor(a) - minor(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function isPositiveMoney(value: MoneyValue): boolean {
  return Number.isSafeInteger(value.amount) && value.amount > 0;
}

/** A rate in basis points: 600 is 6 %, 2000 is 20 %. An integer from 0 to 10,000. */
export type BasisPoints = number;

function checkRate(rate: BasisPoints, what: string): bigint {
  if (!Number.isInteger(rate) || rate < 0 || rate > 10_000) {
    throw new MoneyError(`${what} ${rate} must be an integer number of basis points from 0 to 10000`);
  }
  return BigInt(rate);
}

/** `rate` basis points of `value`, rounded half away from zero: 20 % of 0.05 is 0.01. */
export function percentOf(value: MoneyValue, rate: BasisPoints): MoneyValue {
  const bp = checkRate(rate, 'rate');
  return { amount: toSafeNumber(divideRounded(minor(value) * bp, 10_000n), 'share'), currency: value.currency };
}

export interface TaxSplit {
  net: MoneyValue;
  tax: MoneyValue;
  gross: MoneyValue;
}

/**
 * Splits a tax-inclusive price into net and tax (prices on Trove include VAT):
 * tax = round(gross x rate / (10000 + rate)), net = gross - tax, so net + tax is always gross.
 */
export function splitTaxIncluded(gross: MoneyValue, rate: BasisPoints): TaxSplit {
  const bp = checkRate(rate, 'tax rate');
  const g = minor(gross);
  const tax = divideRounded(g * bp, 10_000n + bp);
  return {
    net: { amount: toSafeNumber(g - tax, 'net'), currency: gross.currency },
    tax: { amount: toSafeNumber(tax, 'tax'), currency: gross.currency },
    gross: { amount: toSafeNumber(g, 'gross'), currency: gross.currency },
  };
}

/** Adds tax on top of a net amount: tax = round(net x rate / 10000), gross = net + tax. */
export function addTax(net: MoneyValue, rate: BasisPoints): TaxSplit {
  const tax = percentOf(net, rate);
  return { net: { ...net }, tax, gross: addMoney(net, tax) };
}

export interface CommissionSplit {
  commission: MoneyValue;
  vendor: MoneyValue;
}

/** The platform's commission on a sale and what is left for the vendor; the two always add up. */
export function splitCommission(gross: MoneyValue, rate: BasisPoints): CommissionSplit {
  const commission = percentOf(gross, rate);
  return { commission, vendor: subtractMoney(gross, commission) };
}

/**
 * Splits `value` in proportion to integer `weights` without losing a minor unit: each share is
 * rounded down, then the units left over go one each to the largest remainders (ties to the
 * earlier share). The shares always sum to `value`.
 */
export function allocateMoney(value: MoneyValue, weights: readonly number[]): MoneyValue[] {
  if (weights.length === 0) throw new MoneyError('allocation needs at least one weight');
  if (weights.some((w) => !Number.isSafeInteger(w) || w < 0)) throw new MoneyError('weights must be non-negative integers');
  const total = weights.reduce((sum, w) => sum + BigInt(w), 0n);
  if (total === 0n) throw new MoneyError('weights must not all be zero');
  const amount = minor(value);
  const negative = amount < 0n;
  const magnitude = negative ? -amount : amount;
  const shares = weights.map((w) => (magnitude * BigInt(w)) / total);
  const remainders = weights.map((w, index) => ({ index, remainder: (magnitude * BigInt(w)) % total }));
  let left = magnitude - shares.reduce((sum, s) => sum + s, 0n);
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of remainders) {
    if (left === 0n) break;
    shares[index] += 1n;
    left -= 1n;
  }
  return shares.map((s) => ({ amount: toSafeNumber(negative ? -s : s, 'share'), currency: value.currency }));
}

/**
 * Money as a person reads it in a message: `formatMoney({amount: 200000000, currency: 'CNY'})`
 * is `2,000,000.00 CNY`, never the raw minor units that read as a hundred times more. Exact for
 * any safe integer (no floating point); a negative amount keeps its sign.
 */
export function formatMoney(value: { amount: number | string | bigint; currency: string }): string {
  const exponent = isCurrencyCode(value.currency) ? CURRENCY_MINOR_UNITS[value.currency] : 0;
  const minor = BigInt(value.amount);
  const digits = (minor < 0n ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${minor < 0n ? '-' : ''}${whole}${fraction} ${value.currency}`;
}
