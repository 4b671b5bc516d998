import type { ValidationError } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsOptional, Min, ValidateNested } from 'class-validator';
import type { ServiceException } from './problem';
import { httpValidationPipe, MAX_NESTING_DEPTH, MAX_REPORTED_FIELDS, tooDeeplyNested, validateMessage, validationFailed } from './validation';

const unknownField = (property: string): ValidationError => ({ property, constraints: { whitelistValidation: `property ${property} should not exist` }, children: [] });

describe('validationFailed', () => {
  it('names every broken field of an ordinary request', () => {
    const error = validationFailed([
      { property: 'amount', children: [{ property: 'amount', constraints: { isInt: 'amount must be a positive integer number of minor units' }, children: [] }] },
      { property: 'reference', constraints: { length: 'reference must be 1 to 200 characters' }, children: [] },
    ]);
    expect(error.message).toBe('amount.amount: amount must be a positive integer number of minor units; reference: reference must be 1 to 200 characters');
    expect(error.errors?.map((e) => e.field)).toEqual(['amount.amount', 'reference']);
  });

  it(`names the first ${MAX_REPORTED_FIELDS} of 2,000 broken fields and counts the rest, so the answer stays small`, () => {
    const error = validationFailed(Array.from({ length: 2000 }, (_, i) => unknownField(`utt_${i}`)));
    expect(error.errors).toHaveLength(MAX_REPORTED_FIELDS);
    expect(error.errors?.[0]).toEqual({ field: 'utt_0', problems: ['property utt_0 should not exist'] });
    expect(error.message).toMatch(new RegExp(`^utt_0: property utt_0 should not exist; .*; and ${2000 - MAX_REPORTED_FIELDS} more fields$`));
    expect(JSON.stringify({ detail: error.message, errors: error.errors }).length).toBeLessThan(4096);
  });

  it('counts nested fields too', () => {
    const items = Array.from({ length: 500 }, (_, i): ValidationError => ({ property: String(i), children: [{ property: 'offerId', constraints: { isUuid: 'offerId must be a UUID' }, children: [] }] }));
    const error = validationFailed([{ property: 'items', constraints: { arrayMaxSize: 'items must contain no more than 20 elements' }, children: items }]);
    expect(error.errors).toHaveLength(MAX_REPORTED_FIELDS);
    expect(error.errors?.[0].field).toBe('items');
    expect(error.message).toMatch(/; and 481 more fields$/);
  });
});

class Price {
  @IsInt()
  @Min(1)
  amount: number;

  @IsIn(['CNY'])
  currency: string;
}

class TopUpInput {
  @ValidateNested()
  @Type(() => Price)
  amount: Price;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => Price)
  instalments?: Price[];
}

describe('a nested object given as a list', () => {
  const refusal = async (payload: unknown) => {
    const viaBus = (() => {
      try {
        validateMessage(TopUpInput, payload);
        return 'accepted';
      } catch (error) {
        return (error as ServiceException).errors;
      }
    })();
    const viaHttp = await httpValidationPipe()
      .transform(payload, { type: 'body', metatype: TopUpInput })
      .then(() => 'accepted')
      .catch((error: ServiceException) => error.errors);
    expect(viaHttp).toEqual(viaBus);
    return viaBus;
  };

  it('is refused at both edges, where class-validator checked each entry of the list (none) and passed it on', async () => {
    // Billing stored a top-up of `amount: []` as a null amount (a 500), and the catalog an offer priced `[]` at 0.
    expect(await refusal({ amount: [] })).toEqual([{ field: 'amount', problems: ['amount must be an object, not a list'] }]);
    expect(await refusal({ amount: [{ amount: 2_000_000, currency: 'CNY' }] })).toEqual([{ field: 'amount', problems: ['amount must be an object, not a list'] }]);
  });

  it('tells a number or a string where an object belongs what it is, without offering a list', async () => {
    // class-validator said "nested property amount must be either object or array", and a list is refused.
    expect(await refusal({ amount: 2_000_000 })).toEqual([{ field: 'amount', problems: ['amount must be an object, not a number'] }]);
    expect(await refusal({ amount: '20000.00 CNY' })).toEqual([{ field: 'amount', problems: ['amount must be an object, not a string'] }]);
    expect(await refusal({ amount: true })).toEqual([{ field: 'amount', problems: ['amount must be an object, not a boolean'] }]);
  });

  it('tells a string or a number where a list of objects belongs that it wants a list', async () => {
    const amount = { amount: 2_000_000, currency: 'CNY' };
    expect(await refusal({ amount, instalments: 'x' })).toEqual([{ field: 'instalments', problems: ['instalments must be a list, not a string'] }]);
    expect(await refusal({ amount, instalments: 3 })).toEqual([{ field: 'instalments', problems: ['instalments must be a list, not a number'] }]);
  });

  it('leaves objects, and lists declared as lists, to the rules they had', async () => {
    expect(await refusal({ amount: { amount: 2_000_000, currency: 'CNY' }, instalments: [] })).toBe('accepted');
    expect(await refusal({ amount: { amount: 0, currency: 'CNY' } })).toEqual([{ field: 'amount.amount', problems: ['amount must not be less than 1'] }]);
    expect(await refusal({ amount: { amount: 100, currency: 'CNY' }, instalments: [{ amount: 100, currency: 'USD' }] })).toEqual([
      { field: 'instalments.0.currency', problems: ['currency must be one of the following values: CNY'] },
    ]);
  });
});

describe("a field named as one of Object.prototype's", () => {
  const viaHttp = (type: 'body' | 'query', payload: unknown) =>
    httpValidationPipe()
      .transform(payload, { type, metatype: TopUpInput })
      .then(() => 'accepted')
      .catch((error: ServiceException) => error.errors);
  const viaBus = (payload: unknown) => {
    try {
      validateMessage(TopUpInput, payload);
      return 'accepted';
    } catch (error) {
      return (error as ServiceException).errors;
    }
  };

  it('is refused by name like any unknown field, where class-transformer dropped it unseen', async () => {
    const amount = { amount: 2_000_000, currency: 'CNY' };
    for (const name of ['toString', 'constructor', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__']) {
      const expected = [{ field: name, problems: [`property ${name} should not exist`] }];
      expect(await viaHttp('query', { amount, [name]: '1' })).toEqual([{ field: name, problems: ['this route takes no such query parameter'] }]);
      expect(await viaHttp('body', { amount, [name]: 1 })).toEqual(expected);
      expect(viaBus({ amount, [name]: 1 })).toEqual(expected);
    }
    expect(await viaHttp('body', { amount: { ...amount, toString: 1 }, instalments: [{ ...amount, valueOf: 2 }] })).toEqual([
      { field: 'amount.toString', problems: ['property toString should not exist'] },
      { field: 'instalments.0.valueOf', problems: ['property valueOf should not exist'] },
    ]);
    expect(await viaHttp('body', { amount })).toBe('accepted');
  });
});

describe('a query parameter given twice', () => {
  const query = (value: unknown, metatype: unknown, data?: string) =>
    httpValidationPipe()
      .transform(value, { type: 'query', metatype: metatype as never, data })
      .then(() => 'accepted')
      .catch((error: ServiceException) => error.errors);

  it('is refused by name, with the rest of the query checked in the same answer', async () => {
    expect(await query({ amount: [{ amount: 1, currency: 'CNY' }, { amount: 2, currency: 'CNY' }] }, TopUpInput)).toEqual([{ field: 'amount', problems: ['amount must be given once'] }]);
    expect(await query({ amount: ['1', '2'], extra: 'x' }, TopUpInput)).toEqual([
      { field: 'amount', problems: ['amount must be given once'] },
      { field: 'extra', problems: ['this route takes no such query parameter'] },
    ]);
  });

  it('is taken where the class takes a list, and a single scalar read by name is refused when repeated', async () => {
    expect(await query({ amount: { amount: 1, currency: 'CNY' }, instalments: [] }, TopUpInput)).toBe('accepted');
    expect(await query(['c2VlZA', 'b3RoZXI'], String, 'cursor')).toEqual([{ field: 'cursor', problems: ['cursor must be given once'] }]);
    expect(await query('c2VlZA', String, 'cursor')).toBe('accepted');
  });
});

describe('what a broken field is told', () => {
  class Line {
    @IsInt({ message: 'quantity must be a whole number of units' })
    @Min(1)
    quantity: number;
  }
  class Order {
    @IsArray()
    @ValidateNested({ each: true })
    @Type(() => Line)
    items: Line[];

    @IsOptional()
    @IsIn(['CNY', 'USD'])
    currency?: string;
  }
  const problems = (payload: unknown): { field: string; problems: string[] }[] => {
    try {
      validateMessage(Order, payload);
      return [];
    } catch (error) {
      return (error as ServiceException).errors ?? [];
    }
  };

  it('a required field left out, or sent as null, is required, and nothing else is said of it', () => {
    expect(problems({})).toEqual([{ field: 'items', problems: ['items is required'] }]);
    expect(problems({ items: null })).toEqual([{ field: 'items', problems: ['items is required (null was sent)'] }]);
  });

  it('a value of the wrong kind is told its kind only, not the ranges it cannot be measured against', () => {
    expect(problems({ items: [{ quantity: '10' }] })).toEqual([{ field: 'items.0.quantity', problems: ['quantity must be a whole number of units'] }]);
    expect(problems({ items: [{ quantity: 0 }] })).toEqual([{ field: 'items.0.quantity', problems: ['quantity must not be less than 1'] }]);
    expect(problems({ items: [{ quantity: 2 }], currency: 'EUR' })).toEqual([{ field: 'currency', problems: [expect.stringMatching(/^currency must be one of/)] }]);
  });
});

describe('a message nested too deep to walk', () => {
  /** `levels` lists, one inside the other, around `inside`: `[[[inside]]]`. */
  const lists = (levels: number, inside: unknown = 1): unknown => JSON.parse('['.repeat(levels) + JSON.stringify(inside) + ']'.repeat(levels));
  /** `levels` objects, one inside the other: `{"a":{"a":…1}}`. */
  const objects = (levels: number): unknown => JSON.parse('{"a":'.repeat(levels) + '1' + '}'.repeat(levels));
  const viaBus = (payload: unknown) => {
    try {
      validateMessage(TopUpInput, payload);
      return 'accepted';
    } catch (error) {
      return error instanceof Error && 'code' in error ? { code: (error as ServiceException).code, detail: error.message, errors: (error as ServiceException).errors } : error;
    }
  };
  const viaHttp = (payload: unknown) =>
    httpValidationPipe()
      .transform(payload, { type: 'body', metatype: TopUpInput })
      .then(() => 'accepted')
      .catch((error: unknown) => (error instanceof Error && 'code' in error ? { code: (error as ServiceException).code, detail: error.message, errors: (error as ServiceException).errors } : error));
  /** A field's name as an answer gives it: the keys are the client's, and may be long. */
  const cut = (field: string) => (field.length > 120 ? `${field.slice(0, 120)}…` : field);
  const refusedAt = (field: string) => ({
    code: 'VALIDATION_FAILED',
    detail: `${field}: ${field} is nested deeper than ${MAX_NESTING_DEPTH} levels; nothing Trove takes nests that deep`,
    errors: [{ field, problems: [`${field} is nested deeper than ${MAX_NESTING_DEPTH} levels; nothing Trove takes nests that deep`] }],
  });

  it('is refused as VALIDATION_FAILED naming where, at both edges, where the validators ran out of stack (a RangeError, answered INTERNAL)', async () => {
    // The path to level 65, cut to 120 characters.
    const field = (first: string, step: string) => cut(`${first}${`.${step}`.repeat(MAX_NESTING_DEPTH - 1)}`);
    const deepLists = { amount: { amount: 1, currency: 'CNY' }, instalments: lists(200_000) };
    expect(viaBus(deepLists)).toEqual(refusedAt(field('instalments', '0')));
    expect(await viaHttp(deepLists)).toEqual(refusedAt(field('instalments', '0')));
    const deepObjects = objects(100_000);
    expect(viaBus(deepObjects)).toEqual(refusedAt(field('a', 'a')));
    expect(await viaHttp(deepObjects)).toEqual(refusedAt(field('a', 'a')));
  });

  it(`takes ${MAX_NESTING_DEPTH} levels to the rules as before, and refuses one more`, async () => {
    // The top-level object is level 1: `extra` holds the other 63.
    const atLimit = { amount: { amount: 1, currency: 'CNY' }, extra: lists(MAX_NESTING_DEPTH - 1) };
    const unknown = [{ field: 'extra', problems: ['property extra should not exist'] }];
    expect((viaBus(atLimit) as { errors: unknown }).errors).toEqual(unknown);
    expect(((await viaHttp(atLimit)) as { errors: unknown }).errors).toEqual(unknown);
    const over = { amount: { amount: 1, currency: 'CNY' }, extra: lists(MAX_NESTING_DEPTH) };
    expect(viaBus(over)).toEqual(refusedAt(cut(`extra${'.0'.repeat(MAX_NESTING_DEPTH - 1)}`)));
    expect(await viaHttp(over)).toEqual(refusedAt(cut(`extra${'.0'.repeat(MAX_NESTING_DEPTH - 1)}`)));
  });

  it('names the first place too deep in the order the message was written, and sees nothing in scalars', () => {
    expect(tooDeeplyNested({ a: 1, b: [1, { c: [[]] }], d: [[[[]]]] }, 3)).toBe('b.1.c');
    expect(tooDeeplyNested({ a: [1, [2]], b: { c: 'deep' } }, 3)).toBeUndefined();
    expect(tooDeeplyNested('[[[[[[]]]]]]', 1)).toBeUndefined();
    expect(tooDeeplyNested(null)).toBeUndefined();
  });
});
