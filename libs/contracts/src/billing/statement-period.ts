import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { isMoment } from '../date-time';

/** The longest period one account statement covers: a year, a leap year's included. */
export const STATEMENT_MAX_DAYS = 366;
const MAX_PERIOD_MS = STATEMENT_MAX_DAYS * 24 * 60 * 60 * 1000;

/**
 * A moment that bounds a statement: an ISO 8601 date-time (`isDateTime`) with its offset, so that
 * `2027-01-01T00:00:00+08:00` (midnight in Beijing) and `2027-01-01T00:00:00Z` are never read as
 * one another. A date alone, or a date-time without an offset, would be read in some time zone the
 * vendor did not choose, and a statement's figures would move by eight hours of sales.
 */
export function isStatementMoment(value: unknown): value is string {
  return isMoment(value);
}

/** Why a statement's period (`from`, `to`) is not one; null when it is (or a bound is itself wrong, reported on its own). */
export function statementPeriodProblem(from: unknown, to: unknown): string | null {
  if (!isStatementMoment(from) || !isStatementMoment(to)) return null;
  const length = Date.parse(to) - Date.parse(from);
  if (length <= 0) return 'from must be before to';
  if (length > MAX_PERIOD_MS) return `the period from from to to must be at most ${STATEMENT_MAX_DAYS} days`;
  return null;
}

/**
 * A statement's bound as typed into a URL: `?from=2027-01-01T00:00:00+08:00` arrives with a space
 * where the `+` was (a query string's `+` is a space), and every vendor east of UTC, Beijing's
 * among them, was told the offset was missing. A space before a final `hh:mm` can only have been
 * that `+`; anything else is left as it came, for the validator to judge.
 */
export function restoreOffsetPlus({ value }: { value: unknown }): unknown {
  return typeof value === 'string' ? value.replace(/(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$/, '$1+$2') : value;
}

/**
 * `from` or `to` of a statement: a date-time with its offset, and the two a period of at most
 * `STATEMENT_MAX_DAYS` days with `from` before `to`. On both fields, so that a period the wrong
 * way round or too long names both.
 */
export function IsStatementBound(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isStatementBound',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => {
          if (!isStatementMoment(value)) return false;
          const period = args.object as { from?: unknown; to?: unknown };
          return statementPeriodProblem(period.from, period.to) === null;
        },
        defaultMessage: (args: ValidationArguments) => {
          if (!isStatementMoment(args.value)) {
            return `${args.property} must be an ISO 8601 date-time with its offset, such as 2027-01-01T00:00:00+08:00 or 2026-12-31T16:00:00Z`;
          }
          const period = args.object as { from?: unknown; to?: unknown };
          return statementPeriodProblem(period.from, period.to) ?? `${args.property} is not a statement's bound`;
        },
      },
    });
}
