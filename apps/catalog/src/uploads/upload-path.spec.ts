import { unsafePathReason } from './upload-path';

describe('file paths inside a dataset', () => {
  it.each([
    'audio/zh-CN/speaker_0001/utt_000001.wav',
    'transcripts.jsonl',
    '标注/四川话/0001.json',
    'v1.0/README.md',
    'a/b/.hidden',
  ])('accepts %s', (path) => {
    expect(unsafePathReason(path)).toBeNull();
  });

  it.each([
    ['', 'empty'],
    ['../etc/passwd', '..'],
    ['audio/../../secrets.txt', '..'],
    ['/etc/passwd', 'absolute'],
    ['C:/Windows/system.ini', 'drive'],
    ['audio\\0001.wav', 'backslash'],
    ['audio//0001.wav', 'empty'],
    ['./audio/0001.wav', '"."'],
    ['audio/', 'empty'],
    ['audio/\u0000.wav', 'control'],
    ['audio/\n.wav', 'control'],
    ['a'.repeat(513), '512 bytes'],
    ['语'.repeat(171), '512 bytes'],
    ['audio/ 0001.wav', 'spaces'],
    ['cafe\u0301.txt', 'normalization'],
  ])('refuses %j (%s)', (path, why) => {
    expect(unsafePathReason(path)).toContain(why);
  });
});
