import { filePathProblems } from './file-path';

describe('file paths inside a dataset', () => {
  it.each([
    'audio/zh-CN/speaker_0001/utt_000001.wav',
    'audio/zh-CN/普通话_0001.wav',
    'transcripts.jsonl',
    'transcripts/train.jsonl',
    'README.md',
    '标注/四川话/0001.json',
    'images/粤语/车载/2025-06/IMG 0001.jpg',
    'v1.0/README.md',
    'v1..2/notes.txt',
    'a/b/.hidden',
    '.hidden/labels.csv',
    'a'.repeat(512),
    'audio/emoji/\u{1f3a4}_0001.wav',
    'عربي/تسجيل_0001.wav',
    '录音（1）/第１段.wav',
    '100%.txt',
    'q%41.txt',
    'ＡＢＣ.txt',
  ])('accepts %s', (path) => {
    expect(filePathProblems(path)).toEqual([]);
  });

  it.each([
    ['', /empty/],
    ['%2e%2e/x.txt', /percent-encoded/],
    ['audio/%2F/x.wav', /percent-encoded/],
    ['a%5cb.txt', /percent-encoded/],
    ['．．/x.txt', /folded \(NFKC\)/],
    ['audio／x.wav', /folded \(NFKC\)/],
    ['audio＼x.wav', /folded \(NFKC\)/],
    ['../etc/passwd', /\.\. segments/],
    ['audio/../../secrets.txt', /\.\. segments/],
    ['..', /\.\. segments/],
    ['/etc/passwd', /relative, not absolute/],
    ['C:/Windows/system.ini', /drive path/],
    ['audio\\0001.wav', /backslashes/],
    ['audio\\..\\x.wav', /backslashes/],
    ['./audio/0001.wav', /"\."/],
    ['audio/./x.wav', /\. segments/],
    ['audio//0001.wav', /empty segments/],
    ['audio/', /empty segments/],
    ['audio/\u0000.wav', /control characters/],
    ['audio/\n.wav', /control characters/],
    ['a'.repeat(513), /512 bytes/],
    ['语'.repeat(171), /512 bytes/],
    ['audio/ 0001.wav', /spaces/],
    ['audio /x.wav', /spaces/],
    ['cafe\u0301.txt', /normalization form C \(NFC\)/],
    ['audio/a\ud800.wav', /valid Unicode/],
    ['b\udfff.wav', /valid Unicode/],
    ['audio/\udfff\ud800.wav', /valid Unicode/],
    ['a\u202egpj.exe', /bidirectional control/],
    ['audio/\u2067x\u2069.wav', /bidirectional control/],
    ['audio/\u0085.wav', /control characters/],
    ['audio/a\u2028b.wav', /control characters/],
  ])('refuses %j', (path, problem) => {
    expect(filePathProblems(path).join('; ')).toMatch(problem);
  });
});
