import { isISO8601, registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';

/**
 * A moment a client names: an ISO 8601 date or date-time that is also a moment JavaScript and
 * PostgreSQL read (`2027-06-30T00:00:00Z`, `2027-06-30T08:00:00+08:00`, `2027-06-30`). ISO 8601
 * has more forms, week dates (`2027-W26`), ordinal dates (`2027-181`) and the basic format
 * (`20270630`) among them, which `new Date` cannot read: accepted, they became an invalid date
 * that passed every comparison and failed in the database as a 500.
 */
export function isDateTime(value: unknown): value is string {
  return typeof value === 'string' && isISO8601(value, { strict: true }) && !Number.isNaN(Date.parse(value));
}

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
        defaultMessage: (args: ValidationArguments) => `${args.property} must be an ISO 8601 date-time such as 2027-06-30T00:00:00Z (week dates, ordinal dates and the basic format are not read)`,
      },
    });
}
