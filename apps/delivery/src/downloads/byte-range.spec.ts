import { clientHasFile, preconditionFails, readRange } from './byte-range';

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
    ['several ranges, ignored: the whole file', 'bytes=0-9,20-29', undefined, { kind: 'full' }],
    ['several ranges, one past the file: the whole file', 'bytes=0-9,5000-', undefined, { kind: 'full' }],
    ['another unit', 'items=0-9', undefined, { kind: 'full' }],
    ['an end before the start', 'bytes=9-0', undefined, { kind: 'full' }],
    ['garbage', 'bytes=abc', undefined, { kind: 'full' }],
    ['If-Range with the ETag', 'bytes=0-9', ETAG, { kind: 'partial', start: 0, end: 9 }],
    ['If-Range with another ETag', 'bytes=0-9', '"0000"', { kind: 'full' }],
    ['a start of 20 digits, past every file', 'bytes=99999999999999999999-', undefined, { kind: 'unsatisfiable' }],
    ['a start of 400 digits (Infinity)', `bytes=${'9'.repeat(400)}-`, undefined, { kind: 'unsatisfiable' }],
    ['an end of 23 digits, clamped', 'bytes=0-99999999999999999999999', undefined, { kind: 'partial', start: 0, end: 999 }],
    ['a suffix of 20 digits: the whole file', 'bytes=-99999999999999999999', undefined, { kind: 'partial', start: 0, end: 999 }],
    ['a 17-digit start with leading zeros', 'bytes=00000000000000005-9', undefined, { kind: 'partial', start: 5, end: 9 }],
    ['huge numbers, the end before the start', 'bytes=99999999999999999999-99999999999999999998', undefined, { kind: 'full' }],
    ['huge numbers, the end after the start', 'bytes=99999999999999999998-99999999999999999999', undefined, { kind: 'unsatisfiable' }],
    ['an empty list element after', 'bytes=0-9,', undefined, { kind: 'partial', start: 0, end: 9 }],
    ['empty list elements around', 'bytes= , 0-9 ,,', undefined, { kind: 'partial', start: 0, end: 9 }],
    ['only empty list elements', 'bytes=,', undefined, { kind: 'full' }],
    ['several ranges with an empty element', 'bytes=0-9,,20-29', undefined, { kind: 'full' }],
  ])('%s', (_what, range, ifRange, answer) => {
    expect(readRange(range, ifRange, SIZE, ETAG)).toEqual(answer);
  });

  it('finds nothing to serve in an empty file', () => {
    expect(readRange('bytes=0-', undefined, 0, ETAG)).toEqual({ kind: 'unsatisfiable' });
  });

  it.each([
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
    ['bytes=0-99999999999999999999999', { kind: 'partial', start: 0, end: 47 }],
    ['bytes=-99999999999999999999', { kind: 'partial', start: 0, end: 47 }],
    ['bytes=0-9,', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=0-1,3-4', { kind: 'full' }],
  ])('reads %s of a 48-byte file as RFC 9110 does', (range, answer) => {
    expect(readRange(range, undefined, 48, ETAG)).toEqual(answer);
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

describe('preconditionFails (If-Match)', () => {
  it.each([
    ['no header', undefined, false],
    ['the ETag', ETAG, false],
    ['the ETag with spaces around', `  ${ETAG} `, false],
    ['the ETag among others', `"0000", ${ETAG} , "ffff"`, false],
    ['the ETag last, no spaces', `"0000",${ETAG}`, false],
    ['any current file (*)', '*', false],
    ['another file', '"nope"', true],
    ['other files', '"0000", "ffff"', true],
    ['the ETag, weak (never a strong match)', `W/${ETAG}`, true],
    ['the ETag weak among others', `"0000", W/${ETAG}`, true],
    ['the hash without quotes', ETAG.slice(1, -1), true],
    ['an empty list', '', true],
    ['a * among tags', `*, "0000"`, true],
  ])('%s', (_case, header, expected) => {
    expect(preconditionFails(header, ETAG)).toBe(expected);
  });
});
