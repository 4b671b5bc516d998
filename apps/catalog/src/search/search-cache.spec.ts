import { AnswerCache, deepFreeze } from './search-cache';

describe('AnswerCache', () => {
  it('serves an answer only to a search that read the generation it was computed at', () => {
    const cache = new AnswerCache<string>(10, 1_000);
    cache.set('q=语音', 7, 'seven', 10);
    expect(cache.get('q=语音', 7)).toBe('seven');
    expect(cache.get('q=语音', 8)).toBeUndefined();
    // Once a newer generation is seen, nothing older is served or kept again.
    expect(cache.get('q=语音', 7)).toBeUndefined();
    cache.set('q=语音', 7, 'late', 10);
    expect(cache.size).toBe(0);
    cache.set('q=语音', 8, 'eight', 10);
    expect(cache.get('q=语音', 8)).toBe('eight');
  });

  it('drops the least recently used answer past its entry limit', () => {
    const cache = new AnswerCache<string>(2, 1_000);
    cache.set('a', 1, 'A', 1);
    cache.set('b', 1, 'B', 1);
    expect(cache.get('a', 1)).toBe('A');
    cache.set('c', 1, 'C', 1);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toBe('A');
    expect(cache.get('c', 1)).toBe('C');
  });

  it('keeps the answers under its byte limit, counting keys too, and never keeps one larger than the limit', () => {
    const cache = new AnswerCache<string>(100, 100);
    cache.set('a', 1, 'A', 39);
    cache.set('b', 1, 'B', 39);
    expect(cache.bytes).toBe(80);
    cache.set('c', 1, 'C', 39);
    expect(cache.bytes).toBe(80);
    expect(cache.get('a', 1)).toBeUndefined();
    cache.set('huge', 1, 'H', 200);
    expect(cache.get('huge', 1)).toBeUndefined();
    expect(cache.size).toBe(2);
    cache.set('b', 1, 'B2', 9);
    expect([cache.get('b', 1), cache.bytes]).toEqual(['B2', 50]);
  });

  it('keeps nothing when turned off', () => {
    const cache = new AnswerCache<string>(0, 1_000);
    cache.set('a', 1, 'A', 1);
    expect([cache.enabled, cache.get('a', 1)]).toEqual([false, undefined]);
  });
});

describe('deepFreeze', () => {
  it('freezes an answer all the way down, so one caller cannot change what the next one gets', () => {
    const page = deepFreeze({ items: [{ tags: ['ASR'] }], facets: { modality: [{ value: 'speech', count: 1 }] } });
    expect(() => page.items[0].tags.push('x')).toThrow();
    expect(() => ((page.facets.modality[0] as { count: number }).count = 2)).toThrow();
  });
});
