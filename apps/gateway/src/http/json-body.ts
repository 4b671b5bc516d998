import { CommonErrorCode } from '@trove/contracts';
import type { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { ServiceException } from '@trove/platform';
import type { FastifyRequest } from 'fastify';

/**
 * How large a JSON body may be in shape, not only in bytes. The largest list any route takes
 * has 250 entries (an offer's territories) and the deepest body nests 5 levels, so these leave
 * room; what they stop is a body of 1 MiB that costs seconds of CPU to validate (350,000 empty
 * order lines took 15 s, and every other request waited), or that nests deeper than the
 * validators' recursion goes (10,000 levels was a 500).
 */
export const JSON_BODY_LIMITS = {
  depth: 32,
  arrayLength: 1_000,
  values: 10_000,
} as const;

export type JsonBodyLimits = { readonly [K in keyof typeof JSON_BODY_LIMITS]: number };

/**
 * A body refused before any route sees it: a 400 VALIDATION_FAILED (naming the field, as
 * validation does, when the problem has one) or a 415 UNSUPPORTED_MEDIA_TYPE.
 */
export class JsonBodyError extends ServiceException {
  constructor(code: CommonErrorCode.VALIDATION_FAILED | CommonErrorCode.UNSUPPORTED_MEDIA_TYPE, message: string, field?: string) {
    super(code, message, field ? [{ field, problems: [message] }] : undefined);
  }

  /** Fastify reads the status of a parser's error from here. */
  get statusCode(): number {
    return this.status;
  }
}

/**
 * What a route gets as its body when the body was refused as it was read: the refusal waits for
 * the guards (RefusedBodyGuard, after authentication and rate limiting), so that a caller
 * without a valid key is told 401 before anything about its body.
 */
export class RefusedBody {
  constructor(readonly error: JsonBodyError) {}
}

const invalid = (message: string, field?: string) => new JsonBodyError(CommonErrorCode.VALIDATION_FAILED, message, field);
const unsupported = (message: string) => new JsonBodyError(CommonErrorCode.UNSUPPORTED_MEDIA_TYPE, message);

/** What a JSON number literal is made of after its first character. */
const NUMBER_CHARACTER = /[0-9.eE+-]/;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/** In a `u` regex a surrogate pair is one code point, so this finds only lone surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Decodes and parses a JSON body, and refuses what no route can take: bytes that are not UTF-8,
 * anything but an object, a nesting deeper, a list longer or a document larger than `limits`,
 * a `__proto__` key, and strings that PostgreSQL cannot store (U+0000) or that are not Unicode
 * (a lone surrogate, which would be stored as U+FFFD while the answer showed it unchanged).
 */
export function parseJsonBody(bytes: Buffer, limits: JsonBodyLimits = JSON_BODY_LIMITS): unknown {
  let text: string;
  try {
    // The decoder drops a leading byte order mark.
    text = UTF8.decode(bytes);
  } catch {
    throw invalid('The body is not valid UTF-8: JSON bodies are UTF-8.');
  }
  if (text.trim() === '') throw invalid('The body is empty, but its content-type says it is JSON: send a JSON object, or no content-type.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`The body is not valid JSON (${(error as Error).message}).`);
  }
  // Every route takes an object; `null` was read as no body at all (PATCH null answered 200).
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('The body must be a JSON object.');
  checkJsonShape(value, limits);
  checkJsonText(text);
  return value;
}

/**
 * The value a JSON number literal writes, as sign, significant digits and exponent: `100.0`,
 * `1e2` and `100` are all `1e2`. Compared with the same of the number it was read as, it tells
 * whether reading it lost digits.
 */
function decimalOf(literal: string): string {
  const parts = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!parts) return literal;
  const [, sign, whole, fraction = '', exponent = '0'] = parts;
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  const significant = digits.replace(/0+$/, '');
  return `${sign}${significant}e${Number(exponent) - fraction.length + (digits.length - significant.length)}`;
}

/**
 * Throws a JsonBodyError when one object of `text` (valid JSON) holds a key twice, or a number
 * has more digits than JSON.parse keeps. JSON.parse keeps the last value of a key, silently:
 * `{"amount":…,"amount":…}` from a client's bug posted the second, and a proxy or a log that
 * reads the first sees another request than the one served. Keys are compared as decoded (`"a"`
 * and `"\u0061"` are the same key). And it reads a number to the nearest double, silently:
 * `100000000000.0000001` fen was the whole 100000000000 and a top-up of it was filed, where a
 * fraction of a fen is refused, and `9007199254740993` was ...992. A number is taken when its
 * value is the number read (`100.0`, `1e2`, `0.1` are). One pass over the text, after
 * checkJsonShape has bounded its nesting.
 */
export function checkJsonText(text: string): void {
  type Level = { keys: Set<string>; key: string; expectingKey: boolean } | { index: number };
  const levels: Level[] = [];
  const field = () =>
    levels
      .map((level) => ('keys' in level ? level.key : level.index))
      .join('.')
      .slice(0, 120);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = levels.at(-1);
      if (top && 'keys' in top && top.expectingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        top.key = key;
        if (top.keys.has(key)) throw invalid(`${field()}: the key appears twice in one object; send each key once.`, field());
        top.keys.add(key);
      }
      i = end;
    } else if (c === '{') levels.push({ keys: new Set(), key: '', expectingKey: true });
    else if (c === '[') levels.push({ index: 0 });
    else if (c === '}' || c === ']') levels.pop();
    else if (c === '-' || (c >= '0' && c <= '9')) {
      let end = i + 1;
      while (end < text.length && NUMBER_CHARACTER.test(text[end])) end += 1;
      const literal = text.slice(i, end);
      const read = Number(literal);
      if (decimalOf(literal) !== decimalOf(String(read))) {
        const at = field() || undefined;
        // Money is whole minor units: say so where the field is an amount, not for a byte count.
        const exactly = /(?:^|\.)(?:amount|price)(?:\.|$)/i.test(at ?? '') ? 'amounts of money in whole minor units (fen for CNY)' : `a whole number up to ${Number.MAX_SAFE_INTEGER}`;
        throw invalid(`${at ?? 'The body'}: ${literal.slice(0, 40)} has more digits than a JSON number keeps, and would be read as ${read}; send the value exactly: ${exactly}.`, at);
      }
      i = end - 1;
    } else if (c === ':') (levels.at(-1) as { expectingKey: boolean }).expectingKey = false;
    else if (c === ',') {
      const top = levels.at(-1)!;
      if ('keys' in top) top.expectingKey = true;
      else top.index += 1;
    }
  }
}

/**
 * Throws a JsonBodyError naming the first place where `value` breaks the limits, as validation
 * names fields (`items.0.offerId`), cut short: the keys are the client's, and may be long.
 */
export function checkJsonShape(value: unknown, limits: JsonBodyLimits = JSON_BODY_LIMITS): void {
  const path: (string | number)[] = [];
  let values = 0;
  const field = (): string | undefined => {
    if (path.length === 0) return undefined;
    const full = path.join('.');
    return full.length > 120 ? `${full.slice(0, 120)}…` : full;
  };
  const named = (at: string | undefined) => at ?? 'the body';
  const checkString = (text: string, what: string, at: string | undefined) => {
    if (text.includes('\u0000')) throw invalid(`${what} holds the character U+0000 (NUL), which no field accepts.`, at);
    if (LONE_SURROGATE.test(text)) throw invalid(`${what} holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character.`, at);
  };
  // Recursion is bounded by limits.depth, checked before going down a level.
  const visit = (node: unknown, depth: number): void => {
    values += 1;
    if (values > limits.values) throw invalid(`The body holds more than ${limits.values} values; no route takes that many.`);
    if (typeof node === 'string') return checkString(node, named(field()), field());
    if (node === null || typeof node !== 'object') return;
    if (depth >= limits.depth) throw invalid(`${named(field())} nests deeper than ${limits.depth} levels; no route takes that.`, field());
    if (Array.isArray(node)) {
      if (node.length > limits.arrayLength) {
        throw invalid(`${named(field())} is a list of ${node.length} entries; no route takes more than ${limits.arrayLength}.`, field());
      }
      for (let i = 0; i < node.length; i++) {
        path.push(i);
        visit(node[i], depth + 1);
        path.pop();
      }
      return;
    }
    for (const key of Object.keys(node)) {
      checkString(key, `A key of ${named(field())}`, field());
      path.push(key);
      // JSON.parse makes "__proto__" an own key; merged into another object it would set that object's prototype.
      if (key === '__proto__') throw invalid(`${field()}: the key __proto__ is not accepted.`, field());
      const child = (node as Record<string, unknown>)[key];
      if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) {
        throw invalid(`${field()}: a constructor.prototype key is not accepted.`, field());
      }
      visit(child, depth + 1);
      path.pop();
    }
  };
  visit(value, 0);
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/** The request's body is JSON the gateway can read as sent, or this says why not (a 415). */
function refusedEncoding(request: FastifyRequest): JsonBodyError | undefined {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return unsupported(`Content-Encoding ${encoding.slice(0, 40)} is not accepted: send the JSON body uncompressed.`);
  }
  const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return unsupported(`charset=${charset.slice(0, 40)} is not accepted: JSON bodies are UTF-8 (send charset=utf-8, or no charset).`);
  }
  return undefined;
}

/**
 * The gateway takes JSON bodies only (`application/json`, in UTF-8), parsed by
 * `parseJsonBody`. Fastify's text/plain parser and Nest's form parser are taken away: a form
 * post or a text body is a 415, not a string validated field by field (or, for a form, values
 * that are all strings), and a web page cannot post a form to the API.
 */
export function acceptJsonBodiesOnly(app: NestFastifyApplication, limits: JsonBodyLimits = JSON_BODY_LIMITS): void {
  const adapter = app.getHttpAdapter() as FastifyAdapter;
  // Nest adds its JSON and form parsers when the app initializes, unless they are registered
  // already: register them now, then replace them all.
  adapter.registerParserMiddleware();
  const fastify = adapter.getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const refused = refusedEncoding(request);
    if (refused) return done(null, new RefusedBody(refused));
    try {
      done(null, parseJsonBody(body as Buffer, limits));
    } catch (error) {
      if (error instanceof JsonBodyError) return done(null, new RefusedBody(error));
      done(error as Error, undefined);
    }
  });
  // Any other media type: read (within the body limit) and refused with 415 once the caller is known.
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (request, _body, done) => {
    const type = (request.headers['content-type'] ?? '').slice(0, 80);
    done(null, new RefusedBody(unsupported(`Unsupported Media Type: ${type}`)));
  });
}
