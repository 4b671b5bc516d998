import { Transform } from 'class-transformer';
import { registerDecorator, type ValidationArguments } from 'class-validator';

/**
 * An integer as a query string writes it: decimal digits, a minus sign for a negative, no
 * leading zeros. `Number()` takes far more (`0x10`, `1e1`, ` 5`, `+5`, `5.0`, `0b11`, and `''`
 * as 0): each of those is a client's bug that the answer should name, not a page size.
 */
const DECIMAL_INTEGER = /^(?:0|-?[1-9][0-9]*)$/;

/**
 * The value a query parameter holds after reading: a decimal integer's number, anything else
 * unchanged for the validator to refuse. A number is kept as it is, because the same classes
 * validate the message again on NATS, where the gateway has already read it. Past 2^53 the
 * number is no longer exact, but it is then above every bound, which are all safe integers.
 */
export function readQueryInteger(value: unknown): unknown {
  return typeof value === 'string' && DECIMAL_INTEGER.test(value) ? Number(value) : value;
}

export interface QueryIntegerBounds {
  /** The smallest value taken; `-Number.MAX_SAFE_INTEGER` when left out. */
  min?: number;
  /** The largest value taken; `Number.MAX_SAFE_INTEGER` (the largest Money amount) when left out. */
  max?: number;
}

/**
 * What is wrong with a query parameter's value after reading, or null when it is taken. One
 * problem only: `@Min` and `@Max` beside it would also speak of a value that is not a number.
 */
export function queryIntegerProblem(property: string, value: unknown, bounds: QueryIntegerBounds = {}): string | null {
  const { min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
  if (Array.isArray(value)) return `${property} must be given once`;
  // 400 digits read as Infinity, which is above the bound like any other large integer.
  if (typeof value !== 'number' || Number.isNaN(value) || (Number.isFinite(value) && !Number.isInteger(value))) {
    return `${property} must be an integer in decimal digits such as 20 (no sign +, spaces, leading zeros, fraction, exponent or 0x)`;
  }
  if (value < min) return `${property} must not be less than ${min}`;
  if (value > max) return `${property} must not be greater than ${max}`;
  return null;
}

/**
 * The one way a query DTO reads an integer: strictly decimal, given once, within its bounds,
 * and exact (the bounds are safe integers). The same class validates the message on NATS.
 */
export function QueryInteger(bounds: QueryIntegerBounds = {}): PropertyDecorator {
  for (const bound of [bounds.min, bounds.max]) {
    if (bound !== undefined && !Number.isSafeInteger(bound)) throw new Error(`a query integer's bound must be a safe integer, not ${bound}`);
  }
  const read = Transform(({ value }) => readQueryInteger(value), { toClassOnly: true });
  return (target, propertyName) => {
    read(target, propertyName);
    registerDecorator({
      name: 'isQueryInteger',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => queryIntegerProblem(args?.property ?? '', value, bounds) === null,
        defaultMessage: (args?: ValidationArguments) => queryIntegerProblem(args?.property ?? '', args?.value, bounds) ?? '',
      },
    });
  };
}
