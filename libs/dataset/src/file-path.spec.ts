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
    `${'a'.repeat(255)}/${'b'.repeat(255)}`,
    'consoles/nullable.txt',
    'audio/com10.wav',
    'notes.v1.txt',
    'audio/emoji/\u{1f3a4}_0001.wav',
    'عربي/تسجيل_0001.wav',
    '录音（1）/第１段.wav',
    '100%.txt',
    'q%41.txt',
    'ＡＢＣ.txt',
    // Letters that lean like a slash, and a fraction (NFKC writes ½ as 1⁄2): no separator drawn.
    'アニメ/ノート_0001.png',
    '标注/丿部/0001.json',
    'recipes/½ cup.txt',
    // Near device names, which Windows writes as files.
    'console.txt',
    'con_1.txt',
    'COM10.wav',
    'lpt.log',
    'auxiliary/nul-data.json',
    'connector .txt',
    // A sign that holds a slash of its own, precomposed (NFC): one character, no overlay.
    'math/≠.txt',
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
    // Drawn as a slash or a backslash: one file at the root that lists as audio/0001.wav.
    ['audio\u22150001.wav', /look like \/ or \\ /],
    ['audio\u20440002.wav', /look like \/ or \\ /],
    ['audio\u29f80003.wav', /look like \/ or \\ /],
    ['audio\u2afd0004.wav', /look like \/ or \\ /],
    ['audio\u25710005.wav', /look like \/ or \\ /],
    ['audio\u27cb0006.wav', /look like \/ or \\ /],
    ['audio\u2e4a0007.wav', /look like \/ or \\ /],
    ['audio\u{1f67c}0008.wav', /look like \/ or \\ /],
    ['audio\u22160001.wav', /look like \/ or \\ /],
    ['audio\u29f90001.wav', /look like \/ or \\ /],
    ['audio\u29f50001.wav', /look like \/ or \\ /],
    ['audio\u25720001.wav', /look like \/ or \\ /],
    ['audio\u27cd0001.wav', /look like \/ or \\ /],
    ['audio\u{1f67d}0001.wav', /look like \/ or \\ /],
    ['labels/train\u2215dev.csv', /look like \/ or \\ /],
    ['audio\u17350001.wav', /look like \/ or \\ /],
    ['audio\u30330001.wav', /look like \/ or \\ /],
    ['audio\u29f60001.wav', /look like \/ or \\ /],
    ['audio\u29f70001.wav', /look like \/ or \\ /],
    // A combining overlay draws a slash through the character before it: `..\u0338x` shows as `../x`.
    ['..\u0338x.txt', /look like \/ or \\ /],
    ['..\u0337x.txt', /look like \/ or \\ /],
    ['audio\u20e50001.wav', /look like \/ or \\ /],
    ['audio\u20eb0001.wav', /look like \/ or \\ /],
    // Full-width and small forms fold (NFKC) into / and \.
    ['audio\uff0f0001.wav', /folded \(NFKC\)/],
    ['audio\ufe680001.wav', /folded \(NFKC\)/],
    ['audio\uff3c0001.wav', /folded \(NFKC\)/],
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
    ['data/a\u200b.txt', /invisible characters/],
    ['data/\u2060a.txt', /invisible characters/],
    ['data/a\u00ad.txt', /invisible characters/],
    ['data/\ufeffa.txt', /invisible characters/],
    ['data/\u3164.txt', /invisible characters/],
    ['data/a\ufe0f.wav', /invisible characters/],
    ['data/a\u{e01ef}.wav', /invisible characters/],
    ['data/a\u180b.wav', /invisible characters/],
    ['data/a\u17b4.wav', /invisible characters/],
    ['data/a\u2800.wav', /invisible characters/],
    ['audio/\u2067x\u2069.wav', /bidirectional control/],
    ['audio/\u0085.wav', /control characters/],
    ['audio/a\u2028b.wav', /control characters/],
    ['a'.repeat(256), /at most 255 bytes/],
    [`audio/${'语'.repeat(86)}.wav`, /at most 255 bytes/],
    ['audio/0001.wav:Zone.Identifier', /Windows cannot write/],
    ['labels/what?.json', /Windows cannot write/],
    ['a<b>.txt', /Windows cannot write/],
    ['audio/"quoted".wav', /Windows cannot write/],
    ['audio/a|b.wav', /Windows cannot write/],
    ['audio/*.wav', /Windows cannot write/],
    ['v1./README.md', /end with a dot/],
    ['audio/0001.wav.', /end with a dot/],
    ['nul', /device names/],
    ['audio/NUL.txt', /device names/],
    ['Con/readme.md', /device names/],
    ['lpt1.log', /device names/],
    ['audio/COM3.wav', /device names/],
    ['CONIN$', /device names/],
    ['conout$.txt', /device names/],
    ['COM0', /device names/],
    ['lpt0.log', /device names/],
    ['con .txt', /device names/],
    ['NUL  .log', /device names/],
    ['data/aux .json', /device names/],
    ['COM¹.wav', /device names/],
  ])('refuses %j', (path, problem) => {
    expect(filePathProblems(path).join('; ')).toMatch(problem);
  });

  // `ab.wav` and `a\u200Db.wav` list as the same name, as the tags `ab` and `a\u200Db` read as
  // one: every default-ignorable code point is refused, the joiners too, and the problem names it.
  it.each([
    ['a\u200db.wav', 'U+200D'],
    ['a\u200cb.wav', 'U+200C'],
    ['fa/\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.wav', 'U+200C'],
    ['emoji/\u{1f469}\u200d\u{1f4bb}_0001.png', 'U+200D'],
    ['a\u200bb.wav', 'U+200B'],
    ['a\u2060b.wav', 'U+2060'],
    ['a\u00adb.wav', 'U+00AD'],
    ['a\ufe0fb.wav', 'U+FE0F'],
    ['a\u{e0100}.wav', 'U+E0100'],
    ['a\u180bb.wav', 'U+180B'],
    ['a\u034fb.wav', 'U+034F'],
    ['a\u2065b.wav', 'U+2065'],
  ])('refuses %j, naming %s', (path, named) => {
    const problems = filePathProblems(path);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^path must not contain invisible characters/);
    expect(problems[0]).toContain(`(it holds ${named})`);
  });

  it('refuses a bidirectional control once, as one', () => {
    expect(filePathProblems('a\u202egpj.exe')).toEqual(['path must not contain bidirectional control characters']);
  });
});
