import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Max,
  Min,
  ValidateNested,
  registerDecorator,
  type ValidationArguments,
} from 'class-validator';

function compose(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, propertyKey) => decorators.forEach((decorate) => decorate(target, propertyKey));
}

/**
 * A finite number with at most `places` decimals. class-validator's own `maxDecimalPlaces`
 * reads the digits after a '.' in the number's text and throws on numbers JavaScript writes
 * with an exponent (`1e-7`, `5e-324`), which would turn a client's bad value into a 500.
 */
export function MaxDecimals(places: number, message?: (args: ValidationArguments) => string): PropertyDecorator {
  return (target, propertyKey) =>
    registerDecorator({
      name: 'maxDecimals',
      target: target.constructor,
      propertyName: propertyKey as string,
      constraints: [places],
      options: { message: message ?? (({ property }: ValidationArguments) => `${property} must have at most ${places} decimals`) },
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isFinite(value) && Number(value.toFixed(places)) === value,
      },
    });
}

/** An optional count of things (utterances, images, tokens): a non-negative safe integer. */
export function OptionalCount(description: string, example?: number): PropertyDecorator {
  return compose(
    ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description, example }),
    IsOptional(),
    IsInt({ message: ({ property }) => `${property} must be a non-negative integer` }),
    Min(0, { message: ({ property }) => `${property} must be a non-negative integer` }),
    Max(Number.MAX_SAFE_INTEGER),
  );
}

/** An optional share or accuracy from 0 to 1, with at most 4 decimals (0.9815 is 98.15 %). */
export function OptionalRatio(description: string, example?: number): PropertyDecorator {
  return compose(
    ApiPropertyOptional({ type: 'number', minimum: 0, maximum: 1, description, example }),
    IsOptional(),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: ({ property }) => `${property} must be a number from 0 to 1 with at most 4 decimals` }),
    MaxDecimals(4, ({ property }) => `${property} must be a number from 0 to 1 with at most 4 decimals`),
    Min(0),
    Max(1),
  );
}

/** The most hours of audio or video a listing may declare. */
const MAX_HOURS = 10_000_000;

/** Optional hours of audio or video: a non-negative number with at most 2 decimals (36 s). */
export function OptionalHours(description: string, example?: number): PropertyDecorator {
  return compose(
    ApiPropertyOptional({ type: 'number', minimum: 0, maximum: MAX_HOURS, description, example }),
    IsOptional(),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: ({ property }) => `${property} must be a non-negative number of hours with at most 2 decimals` }),
    MaxDecimals(2, ({ property }) => `${property} must be a non-negative number of hours with at most 2 decimals`),
    Min(0, { message: ({ property }) => `${property} must be a non-negative number of hours with at most 2 decimals` }),
    Max(MAX_HOURS),
  );
}

/**
 * A list without repeats, whose 400 names the entry given twice: class-validator's own message
 * ("All methods's elements must be unique") named neither the entry nor spoke the vendor's words.
 */
export function NoRepeats(): PropertyDecorator {
  return ArrayUnique({
    message: ({ property, value }: ValidationArguments) => {
      const seen = new Set<unknown>();
      const repeated = Array.isArray(value) ? value.find((item) => seen.size === seen.add(item).size) : undefined;
      return `${property} must not list ${repeated === undefined ? 'an entry' : JSON.stringify(repeated)} twice`;
    },
  });
}

/** An optional list of words from a vocabulary, without repeats. */
export function OptionalWords(words: readonly string[], description: string, maxSize = words.length): PropertyDecorator {
  return compose(
    ApiPropertyOptional({ enum: words, isArray: true, maxItems: maxSize, uniqueItems: true, description }),
    IsOptional(),
    IsArray(),
    NoRepeats(),
    ArrayMaxSize(maxSize),
    IsIn(words, { each: true }),
  );
}

/** An optional nested object validated by its own class. */
export function OptionalNested(type: () => new () => object, description: string): PropertyDecorator {
  // Swagger knows a lazy type only by its name being `type`, as in `{ type: () => X }`.
  return compose(ApiPropertyOptional({ type: () => type(), description }), IsOptional(), ValidateNested(), Type(type));
}

/** The numeric properties of an object add up to at most 1 (a mix of shares). */
export function SharesAtMostOne(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'sharesAtMostOne',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate(value: unknown) {
          if (value === undefined || value === null || typeof value !== 'object') return true;
          // Shares have at most 4 decimals: compare in ten-thousandths so 0.3 + 0.7 is exactly 1.
          const total = Object.values(value).reduce<number>((sum, share) => sum + (typeof share === 'number' ? Math.round(share * 10_000) : 0), 0);
          return total <= 10_000;
        },
        defaultMessage: (args: ValidationArguments) => `the shares in ${args.property} must add up to at most 1`,
      },
    });
}

const isFigure = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
/** The dimensions of a size such as a resolution, compared one by one. */
const DIMENSIONS = ['width', 'height'] as const;
type Size = Partial<Record<(typeof DIMENSIONS)[number], unknown>>;
const isSize = (value: unknown): value is Size => value !== null && typeof value === 'object' && !Array.isArray(value);
/** A size as `1920x1080`; one missing its width or height (reported on its own) shows what it has. */
const sizeText = (size: Size): string =>
  isFigure(size.width) && isFigure(size.height)
    ? `${size.width}x${size.height}`
    : DIMENSIONS.filter((d) => isFigure(size[d])).map((d) => `${d} ${String(size[d])}`).join(', ') || 'no size';
const figureText = (value: unknown): string => (isSize(value) ? sizeText(value) : String(value));

/**
 * A figure no larger than a sibling figure of the same object: a part no larger than its whole
 * (`annotatedFrames` and `frames`), a least no larger than a greatest. A size `{width, height}`
 * (`minResolution` and `maxResolution`) is compared in width and in height. Checked where both
 * are numbers; a figure of the wrong type or range reports itself. Put on the part or the least,
 * which the error names.
 */
export function AtMost(other: string): PropertyDecorator {
  const figureWithin = (value: unknown, limit: unknown): boolean => !isFigure(value) || !isFigure(limit) || value <= limit;
  const within = (value: unknown, limit: unknown): boolean =>
    isSize(value) && isSize(limit) ? DIMENSIONS.every((d) => figureWithin(value[d], limit[d])) : figureWithin(value, limit);
  return (target, propertyName) =>
    registerDecorator({
      name: 'atMost',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [other],
      validator: {
        validate: (value: unknown, args: ValidationArguments) => within(value, (args.object as Record<string, unknown>)[other]),
        defaultMessage(args: ValidationArguments) {
          const limit = (args.object as Record<string, unknown>)[other];
          const how = isSize(args.value) ? ' in width and in height' : '';
          return `${args.property} (${figureText(args.value)}) must be at most ${other} (${figureText(limit)})${how}`;
        },
      },
    });
}
