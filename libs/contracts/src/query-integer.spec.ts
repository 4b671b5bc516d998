import { plainToInstance } from 'class-transformer';
import { IsOptional, validateSync } from 'class-validator';
import { SearchDatasetsRequest } from './catalog/catalog.search';
import { QueryInteger, queryIntegerProblem, readQueryInteger } from './query-integer';

class Page {
  @IsOptional()
  @QueryInteger({ min: 1, max: 100 })
  limit?: number;
}

/** The field's problems as a client would read them, or [] when the value is taken. */
function problems<T extends object>(cls: new () => T, query: Record<string, unknown>, field: string): string[] {
  const errors = validateSync(plainToInstance(cls, query), { whitelist: true, forbidNonWhitelisted: true });
  return Object.values(errors.find((e) => e.property === field)?.constraints ?? {});
}

describe('readQueryInteger', () => {
  it.each([
    ['0', 0],
    ['5', 5],
    ['10', 10],
    ['-5', -5],
    ['5000000', 5_000_000],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('reads %j as %j', (text, number) => {
    expect(readQueryInteger(text)).toBe(number);
  });

  it.each([['0x10'], ['1e1'], [' 5'], ['5 '], ['+5'], ['5.0'], ['0b11'], ['0o7'], [''], ['-0'], ['05'], ['1_000'], ['١٢'], ['Infinity'], ['NaN'], ['-']])(
    'leaves %j as it is, for the validator to refuse',
    (text) => {
      expect(readQueryInteger(text)).toBe(text);
    },
  );

  it('leaves a repeated parameter (a list) and a number from a message as they are', () => {
    expect(readQueryInteger(['5', '6'])).toEqual(['5', '6']);
    expect(readQueryInteger(7)).toBe(7);
    expect(readQueryInteger(undefined)).toBeUndefined();
  });
});

describe('@QueryInteger()', () => {
  it.each([['1'], ['10'], ['100']])('takes limit=%s as a number', (limit) => {
    const page = plainToInstance(Page, { limit });
    expect(page.limit).toBe(Number(limit));
    expect(validateSync(page)).toEqual([]);
  });

  it.each([['0x10'], ['1e1'], [' 5'], ['5 '], ['+5'], ['5.0'], ['0b11'], [''], ['05'], ['abc']])('refuses limit=%j, naming the field', (limit) => {
    expect(problems(Page, { limit }, 'limit')).toEqual([expect.stringMatching(/^limit must be an integer in decimal digits/)]);
  });

  it('refuses a repeated limit', () => {
    expect(problems(Page, { limit: ['5', '6'] }, 'limit')).toEqual(['limit must be given once']);
  });

  it('keeps to its bounds', () => {
    expect(problems(Page, { limit: '0' }, 'limit')).toEqual(['limit must not be less than 1']);
    expect(problems(Page, { limit: '101' }, 'limit')).toEqual(['limit must not be greater than 100']);
  });

  it('takes the number a message carries, and refuses a fraction there', () => {
    expect(problems(Page, { limit: 20 }, 'limit')).toEqual([]);
    expect(problems(Page, { limit: 2.5 }, 'limit')).toEqual([expect.stringMatching(/^limit must be an integer/)]);
  });
});

describe('GET /v1/datasets query', () => {
  it.each([['0x10'], ['1e1'], [' 5'], ['5 '], ['+5'], ['5.0'], ['0b11'], [''], [['5', '6']]])('refuses limit=%j', (limit) => {
    expect(problems(SearchDatasetsRequest, { limit }, 'limit')).toHaveLength(1);
  });

  it.each([['0x10'], ['1e3'], ['+5'], ['5.0'], [''], [['5', '6']]])('refuses maxPrice=%j', (maxPrice) => {
    expect(problems(SearchDatasetsRequest, { maxPrice }, 'maxPrice')).toHaveLength(1);
  });

  it('takes decimal limit and maxPrice, up to the largest amount Money allows', () => {
    const query = plainToInstance(SearchDatasetsRequest, { limit: '10', maxPrice: '9007199254740991' });
    expect(validateSync(query)).toEqual([]);
    expect({ limit: query.limit, maxPrice: query.maxPrice }).toEqual({ limit: 10, maxPrice: Number.MAX_SAFE_INTEGER });
  });

  it.each([
    ['2^53', '9007199254740992'],
    ['2^53 + 1', '9007199254740993'],
    ['10^399', '1'.padEnd(400, '0')],
  ])('refuses maxPrice=%s, past what Money allows, without rounding it in', (_, maxPrice) => {
    expect(problems(SearchDatasetsRequest, { maxPrice }, 'maxPrice')).toEqual(['maxPrice must not be greater than 9007199254740991']);
  });

  it('refuses a negative maxPrice with one problem', () => {
    expect(problems(SearchDatasetsRequest, { maxPrice: '-5' }, 'maxPrice')).toEqual(['maxPrice must not be less than 0']);
  });
});

describe('queryIntegerProblem', () => {
  it('takes a bound only when it is exact', () => {
    expect(() => QueryInteger({ max: 2 ** 53 })).toThrow(/safe integer/);
    expect(() => QueryInteger({ min: 0.5 })).toThrow(/safe integer/);
  });

  it('defaults to the range of Money', () => {
    expect(queryIntegerProblem('n', Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(queryIntegerProblem('n', -Number.MAX_SAFE_INTEGER)).toBeNull();
    expect(queryIntegerProblem('n', 2 ** 53)).toBe('n must not be greater than 9007199254740991');
  });
});
