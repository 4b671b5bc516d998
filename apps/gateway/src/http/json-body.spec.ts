import { checkJsonShape, JSON_BODY_LIMITS, JsonBodyError, parseJsonBody } from './json-body';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** The status and message a body is refused with, or 'accepted'. */
function outcome(bytes: Buffer): string {
  try {
    parseJsonBody(bytes);
    return 'accepted';
  } catch (error) {
    if (!(error instanceof JsonBodyError)) throw error;
    return `${error.statusCode} ${error.message}`;
  }
}

const nested = (levels: number, leaf = '"普通话"') => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);

describe('parseJsonBody', () => {
  it.each([
    ['an order', '{"items":[{"offerId":"3f1c0a9e-0b7a-4c39-9a0e-3c4b9b1f0a11"}],"acceptLicense":true}'],
    ['Chinese text and an emoji (a surrogate pair)', '{"name":"国网智能研究院 🎙️","kind":"buyer","contactEmail":"ai@example.cn"}'],
    ['an escaped surrogate pair', '{"name":"\\ud83c\\udf99"}'],
    ['a leading byte order mark', '\ufeff{"reference":"招商银行 CMB-20261130-0042"}'],
    ['32 levels of nesting', nested(31)],
    ['an offer for 250 territories', JSON.stringify({ territories: Array.from({ length: 250 }, (_, i) => `T${i}`) })],
    ['a key named constructor that is no prototype', '{"constructor":"not a prototype"}'],
    ['the same key in sibling objects, and quotes, braces and commas inside strings', '{"items":[{"offerId":"a"},{"offerId":"b"}],"note":"\\"{,}[:]\\\\","n":{"note":1}}'],
    ['numbers that are read as written: 100.0, 1e2, 0.1, -0, 1200.25, 2^53 - 1, 1e21', '{"a":100.0,"b":1e2,"c":0.1,"d":-0,"hours":1200.25,"n":9007199254740991,"e":1E+21,"f":[5e-324]}'],
    ['digits inside strings', '{"reference":"CMB 100000000000.0000001","n":"9007199254740993"}'],
  ])('accepts %s', (_name, text) => {
    expect(outcome(utf8(text))).toBe('accepted');
  });

  it.each([
    ['10,000 levels of nesting', nested(10_000), /^400 a\.a\.a.* nests deeper than 32 levels/],
    ['a list of 349,000 empty order lines', `{"items":[${Array(349_000).fill('{}').join(',')}],"acceptLicense":true}`, /^400 items is a list of 349000 entries; no route takes more than 1000/],
    ['more values than any route takes', JSON.stringify({ tags: Array.from({ length: 20 }, () => Array(900).fill(1)) }), /^400 The body holds more than 10000 values/],
    ['null', 'null', /^400 The body must be a JSON object\.$/],
    ['a list', '[{"offerId":"3f1c0a9e-0b7a-4c39-9a0e-3c4b9b1f0a11"}]', /^400 The body must be a JSON object\.$/],
    ['a string', '"普通话"', /^400 The body must be a JSON object\.$/],
    ['NUL in a string', '{"name":"国网\\u0000研究院"}', /^400 name holds the character U\+0000/],
    ['NUL deep in a list', '{"tags":["普通话","ASR\\u0000"]}', /^400 tags\.1 holds the character U\+0000/],
    ['NUL in a key', '{"na\\u0000me":"x"}', /^400 A key of the body holds the character U\+0000/],
    ['a lone high surrogate', '{"name":"\\ud800"}', /^400 name holds a lone UTF-16 surrogate/],
    ['a lone low surrogate in a key', '{"speech":{"\\udc00":1}}', /^400 A key of speech holds a lone UTF-16 surrogate/],
    ['a __proto__ key', '{"name":"x","__proto__":{"role":"admin"}}', /^400 __proto__: the key __proto__ is not accepted/],
    ['a constructor.prototype key', '{"constructor":{"prototype":{"role":"admin"}}}', /^400 constructor: a constructor\.prototype key is not accepted/],
    ['a key twice', '{"amount":{"amount":1,"currency":"CNY"},"reference":"CMB-1","reference":"CMB-2"}', /^400 reference: the key appears twice in one object/],
    ['a key twice, once escaped, deep in a list', '{"items":[{"offerId":"a"},{"offerId":"b","offer\\u0049d":"c"}]}', /^400 items\.1\.offerId: the key appears twice/],
    ['a fraction of a fen too small for a number to keep', '{"amount":{"amount":100000000000.0000001,"currency":"CNY"},"reference":"HN-RAW-6"}', /^400 amount\.amount: 100000000000\.0000001 has more digits than a JSON number keeps, and would be read as 100000000000; send the value exactly: amounts of money in whole minor units \(fen for CNY\)\.$/],
    ['a byte count past 2^53', '{"path":"audio/part-0001.tar","size":9007199254740993}', /^400 size: 9007199254740993 has more digits .* read as 9007199254740992; send the value exactly: a whole number up to 9007199254740991\.$/],
    ['an integer past 2^53', '{"items":[{"offerId":"a","quantity":9007199254740993}]}', /^400 items\.0\.quantity: 9007199254740993 has more digits .* read as 9007199254740992/],
    ['a number past the largest double', '{"amount":1e400}', /^400 amount: 1e400 has more digits .* read as Infinity/],
    ['a number below the smallest double', '{"ratio":1e-400}', /^400 ratio: 1e-400 has more digits .* read as 0/],
    ['malformed JSON', '{"name":', /^400 The body is not valid JSON/],
    ['an empty body', '', /^400 The body is empty/],
    ['a body of spaces', '   \n', /^400 The body is empty/],
  ])('refuses %s', (_name, text, expected) => {
    expect(outcome(utf8(text))).toMatch(expected);
  });

  it('names the field where the problem has one, as validation does', () => {
    const refusal = (text: string) => {
      try {
        parseJsonBody(utf8(text));
      } catch (error) {
        return { code: (error as JsonBodyError).code, status: (error as JsonBodyError).status, errors: (error as JsonBodyError).errors };
      }
    };
    expect(refusal('{"items":[{"offerId":"\\u0000"}],"acceptLicense":true}')).toEqual({
      code: 'VALIDATION_FAILED',
      status: 400,
      errors: [{ field: 'items.0.offerId', problems: ['items.0.offerId holds the character U+0000 (NUL), which no field accepts.'] }],
    });
    expect(refusal('null')).toEqual({ code: 'VALIDATION_FAILED', status: 400, errors: undefined });
  });

  it('refuses bytes that are not UTF-8, such as Latin-1, instead of storing U+FFFD', () => {
    expect(outcome(Buffer.from('{"name":"Caf\xe9 Sh\xe0nghai"}', 'latin1'))).toMatch(/^400 The body is not valid UTF-8/);
  });

  it('keeps its messages short when the keys are long', () => {
    const long = 'k'.repeat(100_000);
    const message = outcome(utf8(`{"${long}":"\\u0000"}`));
    expect(message.length).toBeLessThan(300);
  });
});

describe('checkJsonShape', () => {
  it('counts every value, nested or not, against the total', () => {
    const limits = { ...JSON_BODY_LIMITS, values: 5 };
    expect(() => checkJsonShape({ a: [1, 2], b: 'x' }, limits)).not.toThrow();
    expect(() => checkJsonShape({ a: [1, 2, 3], b: 'x' }, limits)).toThrow('more than 5 values');
  });
});
