import { jsonBytes, leadingWithin } from './answer-size';

describe('leadingWithin: the first items that fit in an answer', () => {
  const size = (n: number) => n;

  it.each<[string, number[], number, number[]]>([
    ['everything when it fits', [10, 20, 30], 60, [10, 20, 30]],
    ['up to the budget, exactly', [10, 20, 30], 30, [10, 20]],
    ['stops at the first that does not fit, even when a later one would', [10, 50, 5], 40, [10]],
    ['the first item alone when it is larger than the budget', [100, 1], 10, [100]],
    ['nothing of nothing', [], 10, []],
  ])('%s', (_case, items, budget, expected) => {
    expect(leadingWithin(items, size, budget)).toEqual(expected);
  });
});

describe('jsonBytes', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(jsonBytes({ t: '语音' })).toBe('{"t":""}'.length + 6);
  });
});
