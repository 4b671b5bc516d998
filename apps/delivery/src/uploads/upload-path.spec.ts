import { unsafePathProblems } from './upload-path';

describe('unsafePathProblems', () => {
  it.each([
    'audio/zh-CN/普通话_0001.wav',
    'transcripts/train.jsonl',
    'README.md',
    'images/粤语/车载/2025-06/IMG 0001.jpg',
    '.hidden/labels.csv',
    'v1..2/notes.txt',
    'a'.repeat(512),
  ])('accepts %s', (path) => {
    expect(unsafePathProblems(path)).toEqual([]);
  });

  it.each([
    ['', /empty/],
    ['../etc/passwd', /\.\. segments/],
    ['audio/../../secrets.txt', /\.\. segments/],
    ['..', /\.\. segments/],
    ['/etc/passwd', /relative/],
    ['audio\\..\\x.wav', /backslashes/],
    ['audio/./x.wav', /\. segments/],
    ['audio//x.wav', /empty segments/],
    ['audio/', /empty segments/],
    ['audio/x\u0000.wav', /control characters/],
    ['audio/x\n.wav', /control characters/],
    ['语'.repeat(171), /512 bytes/],
    ['cafe\u0301.txt', /NFC/],
    ['C:/Windows/system32', /drive path/],
    ['audio /x.wav', /spaces/],
  ])('refuses %j', (path, problem) => {
    expect(unsafePathProblems(path).join('; ')).toMatch(problem);
  });
});
