import { BLANK_CHARACTER, BLANK_CHARACTER_SQL } from './invisible';

describe('characters that show nothing', () => {
  it('are the same code points in JavaScript and in the class PostgreSQL is given', () => {
    // The SQL class read back as ranges of code points.
    const written = [...BLANK_CHARACTER_SQL.slice(1, -1).matchAll(/\\(?:u([0-9A-F]{4})|U([0-9A-F]{8}))(?:-\\(?:u([0-9A-F]{4})|U([0-9A-F]{8})))?/g)].map((m) => {
      const from = parseInt(m[1] ?? m[2], 16);
      return [from, m[3] ?? m[4] ? parseInt(m[3] ?? m[4], 16) : from];
    });
    const ranges: [number, number][] = [];
    for (let code = 0; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      if (!BLANK_CHARACTER.test(String.fromCodePoint(code))) continue;
      const last = ranges[ranges.length - 1];
      if (last && last[1] === code - 1) last[1] = code;
      else ranges.push([code, code]);
    }
    expect(written).toEqual(ranges);
  });
});
