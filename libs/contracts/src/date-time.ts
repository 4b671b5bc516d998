import { isISO8601, registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/**
 * A moment a client names: an ISO 8601 date or date-time that is also a moment JavaScript and
 * PostgreSQL read (`2027-06-30T00:00:00Z`, `2027-06-30T08:00:00+08:00`, `2027-06-30`). ISO 8601
 * has more forms, week dates (`2027-W26`), ordinal dates (`2027-181`) and the basic format
 * (`20270630`) among them, which `new Date` cannot read: accepted, they became an invalid date
 * that passed every comparison and failed in the database as a 500.
 */
export function isDateTime(value: unknown): value is string {
  if (typeof value !== 'string' || !isISO8601(value, { strict: true })) return false;
  const at = Date.parse(value);
  return at >= FIRST_MOMENT && at <= LAST_MOMENT;
}

/**
 * The moments a client may name, in UTC: years 0001 to 9999. `9999-12-31T23:59:59-23:59` is in the
 * year 10000 in UTC, which JavaScript writes `+010000-01-01T...`: an offer expiring then was stored,
 * and every later read of its listing failed with a 500.
 */
const FIRST_MOMENT = Date.parse('0001-01-01T00:00:00Z');
const LAST_MOMENT = Date.parse('9999-12-31T23:59:59.999Z');

/** A string field held to `isDateTime`; the gateway's DTO and the NATS contract both carry it. */
export function IsDateTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isDateTime',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: isDateTime,
        defaultMessage: (args: ValidationArguments) =>
          notOnTheCalendar(args.property, args.value) ??
          `${args.property} must be an ISO 8601 date-time such as 2027-06-30T00:00:00Z, in the years 0001 to 9999 UTC (week dates, ordinal dates and the basic format are not read)`,
      },
    });
}

/** An explicit offset: `Z`, `+08:00` or `+0800` at the end of a date-time. */
const WITH_OFFSET = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * A moment that starts or ends something (an offer's or a statement's bound): `isDateTime` with
 * its UTC offset, so `2027-01-01T00:00:00+08:00` (midnight in Beijing) and `2027-01-01T00:00:00Z`
 * are never read as one another. A date alone, or a date-time without an offset, would be read in
 * a time zone its writer did not choose, eight hours off for a vendor in Beijing.
 */
export function isMoment(value: unknown): value is string {
  return isDateTime(value) && WITH_OFFSET.test(value);
}

/** A string field held to `isMoment`. */
export function IsMoment(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isMoment',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: isMoment,
        defaultMessage: (args: ValidationArguments) =>
          notOnTheCalendar(args.property, args.value) ??
          `${args.property} must be an ISO 8601 date-time with its UTC offset, such as 2027-06-30T00:00:00+08:00 or 2027-06-30T00:00:00Z, in the years 0001 to 9999 UTC: a time without an offset would be read as UTC`,
      },
    });
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Why a value written as a date (`2027-02-30T00:00:00+08:00`) names no day of the calendar, as
 * a 400 says it; undefined when it is one, or not written as a date at all. Such a value has
 * its offset, so the rule's own message (which asks for one) would send its writer looking for
 * what is already there.
 */
function notOnTheCalendar(property: string, value: unknown): string | undefined {
  const date = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})(?=T|$)/i.exec(value) : null;
  if (!date) return undefined;
  const [written, year, month, day] = [date[0], Number(date[1]), Number(date[2]), Number(date[3])];
  if (month < 1 || month > 12) return `${property} must be a real date: ${written} is not a day of the calendar (a year has 12 months)`;
  const days = daysIn(year, month);
  if (day >= 1 && day <= days) return undefined;
  return `${property} must be a real date: ${written} is not a day of the calendar (${MONTHS[month - 1]} ${date[1]} has ${days} days)`;
}

/** The days of a month (1 to 12) of a year of the proleptic Gregorian calendar, years 0 to 99 too. */
function daysIn(year: number, month: number): number {
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return last.getUTCDate();
}
