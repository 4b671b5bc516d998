import { clientHasFile, readRange } from './byte-range';

const ETAG = `"${'ab'.repeat(32)}"`;
const SIZE = 1000;

describe('readRange', () => {
  it.each([
    ['no Range header', undefined, undefined, { kind: 'full' }],
    ['a closed range', 'bytes=0-99', undefined, { kind: 'partial', start: 0, end: 99 }],
    ['an open range', 'bytes=990-', undefined, { kind: 'partial', start: 990, end: 999 }],
    ['a suffix range', 'bytes=-10', undefined, { kind: 'partial', start: 990, end: 999 }],
    ['a suffix longer than the file', 'bytes=-5000', undefined, { kind: 'partial', start: 0, end: 999 }],
    ['an end past the file, clamped', 'bytes=500-5000', undefined, { kind: 'partial', start: 500, end: 999 }],
    ['a start at the size', 'bytes=1000-', undefined, { kind: 'unsatisfiable' }],
    ['an empty suffix', 'bytes=-0', undefined, { kind: 'unsatisfiable' }],
    ['several ranges', 'bytes=0-9,20-29', undefined, { kind: 'unsatisfiable' }],
    ['another unit', 'items=0-9', undefined, { kind: 'full' }],
    ['an end before the start', 'bytes=9-0', undefined, { kind: 'full' }],
    ['garbage', 'bytes=abc', undefined, { kind: 'full' }],
    ['If-Range with the ETag', 'bytes=0-9', ETAG, { kind: 'partial', start: 0, end: 9 }],
    ['If-Range with another ETag', 'bytes=0-9', '"0000"', { kind: 'full' }],
  ])('%s', (_what, range, ifRange, answer) => {
    expect(readRange(range, ifRange, SIZE, ETAG)).toEqual(answer);
  });

  it('finds nothing to serve in an empty file', () => {
    expect(readRange('bytes=0-', undefined, 0, ETAG)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('clientHasFile (If-None-Match)', () => {
  it.each([
    ['no header', undefined, false],
    ['the ETag', ETAG, true],
    ['the ETag, weak', `W/${ETAG}`, true],
    ['the ETag among others', `"0000", ${ETAG} , "ffff"`, true],
    ['any copy (*)', '*', true],
    ['another file', '"0000"', false],
    ['the hash without quotes', ETAG.slice(1, -1), false],
    ['an empty header', '', false],
  ])('%s', (_case, header, expected) => {
    expect(clientHasFile(header, ETAG)).toBe(expected);
  });
});
