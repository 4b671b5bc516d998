import type { ValidationError } from '@nestjs/common';
import { MAX_REPORTED_FIELDS, validationFailed } from './validation';

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
