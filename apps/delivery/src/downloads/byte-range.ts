/** What a request's Range (with If-Range) asks of a file of `size` bytes. */
export type RangeAnswer = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=(\d{0,16})-(\d{0,16})$/;

/**
 * One byte range, as RFC 9110 reads it: `bytes=a-b`, `bytes=a-`, `bytes=-n` (the last n bytes).
 * A header that is not a byte range is ignored (the whole file); several ranges, or one outside
 * the file, are unsatisfiable (416); an If-Range that is not the file's ETag asks for the whole
 * file, since the copy the client holds is another one.
 */
export function readRange(range: string | undefined, ifRange: string | undefined, size: number, etag: string): RangeAnswer {
  if (range === undefined) return { kind: 'full' };
  if (ifRange !== undefined && ifRange.trim() !== etag) return { kind: 'full' };
  const text = range.trim().toLowerCase();
  if (!text.startsWith('bytes=')) return { kind: 'full' };
  if (text.includes(',')) return { kind: 'unsatisfiable' };
  const match = SINGLE.exec(text.replace(/\s+/g, ''));
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'full' };
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || (match[2] !== '' && Number(match[2]) < start)) {
    return match[2] !== '' && Number(match[2]) < start ? { kind: 'full' } : { kind: 'unsatisfiable' };
  }
  return { kind: 'partial', start, end };
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
