/** What a request's Range (with If-Range) asks of a file of `size` bytes. */
export type RangeAnswer = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * One range-spec, its numbers of any length (`\d*` then a `-`: linear, no backtracking). A number
 * past 2^53 is past every file's size, so Number() (1e20, or Infinity for hundreds of digits)
 * still compares right with the size; `last < first` is compared on the digits themselves.
 */
const SINGLE = /^(\d*)-(\d*)$/;

/**
 * One byte range, as RFC 9110 reads it: `bytes=a-b`, `bytes=a-`, `bytes=-n` (the last n bytes).
 * A header that is not a byte range is ignored (the whole file), and so is one of several ranges:
 * Trove sends no multipart/byteranges, RFC 9110 lets a server ignore Range, and allows 416 only
 * when no range asked for is satisfiable, so several ranges that the file holds must not be
 * refused. One range outside the file is unsatisfiable (416); an If-Range that is not the file's
 * ETag asks for the whole file, since the copy the client holds is another one. Empty list
 * elements (`bytes=0-9,`) are dropped before counting the ranges, as RFC 9110's list syntax asks
 * of recipients.
 */
export function readRange(range: string | undefined, ifRange: string | undefined, size: number, etag: string): RangeAnswer {
  if (range === undefined) return { kind: 'full' };
  if (ifRange !== undefined && ifRange.trim() !== etag) return { kind: 'full' };
  const text = range.trim().toLowerCase();
  if (!text.startsWith('bytes=')) return { kind: 'full' };
  const specs = text
    .slice('bytes='.length)
    .replace(/\s+/g, '')
    .split(',')
    .filter((spec) => spec !== '');
  if (specs.length === 0) return { kind: 'full' };
  if (specs.length > 1) return { kind: 'full' };
  const match = SINGLE.exec(specs[0]);
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'full' };
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  // `last < first` is not a range (ignored: the whole file), however large the numbers.
  if (match[2] !== '' && digitsLess(match[2], match[1])) return { kind: 'full' };
  const start = Number(match[1]);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return { kind: 'partial', start, end };
}

/** Whether the decimal `a` is less than `b`, exactly at any length (leading zeros allowed). */
function digitsLess(a: string, b: string): boolean {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  return x.length !== y.length ? x.length < y.length : x < y;
}

/** The first byte a range answer serves: 0 for the whole file, none (null) when it serves nothing. */
export function rangeStart(answer: RangeAnswer): number | null {
  if (answer.kind === 'unsatisfiable') return null;
  return answer.kind === 'partial' ? answer.start : 0;
}

/**
 * Whether an If-None-Match header names the file's ETag, or is `*`: the client's copy is this
 * very file, and the answer is 304 without a body. Tags are compared weakly (a `W/` prefix is
 * ignored), as RFC 9110 asks of this header; several may be listed, comma-separated.
 */
export function clientHasFile(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const text = ifNoneMatch.trim();
  if (text === '*') return true;
  return text.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** The entity-tags of a list header (`"a", W/"b"`), each as sent (with its `W/`); `*` is not one. */
const ENTITY_TAG = /(?:W\/)?"[^"]*"/g;

/**
 * Whether an If-Match header makes the request fail: it is sent, is not `*` (any current file),
 * and none of its entity-tags is the file's ETag by strong comparison (a `W/` tag never matches,
 * as RFC 9110 asks of this header). The answer is then 412 Precondition Failed, before any Range
 * is read and with no bytes: the client's copy is another one, and a resume onto it would mix
 * two files.
 */
export function preconditionFails(ifMatch: string | undefined, etag: string): boolean {
  if (ifMatch === undefined) return false;
  const text = ifMatch.trim();
  if (text === '*') return false;
  return !(text.match(ENTITY_TAG) ?? []).some((tag) => tag === etag);
}
