import { assertDisplayText, displayTextProblems } from './display-text';

describe('text buyers read', () => {
  it.each([
    ['普通话手机采集语音数据 1,000 小时', 'line', 0],
    ['Mandarin\u200f speech (a right-to-left mark reorders nothing by itself)', 'line', 0],
    ['普通话\u202e000,01', 'line', 1],
    ['isolate \u2066x\u2069', 'line', 1],
    ['bell\u0007', 'line', 1],
    ['C1 \u0085 next line', 'line', 1],
    ['line\u2028separator', 'line', 1],
    ['two\nlines', 'line', 1],
    ['two\nlines\tand a tab\r\n', 'prose', 0],
    ['escape \u001b[31m', 'prose', 1],
    ['both \u0007\u202e', 'prose', 2],
    ['Spe\u200bech (a zero-width space)', 'line', 1],
    ['普通\u2060话 (a word joiner)', 'line', 1],
    ['\ufeff粤语客服', 'line', 1],
    ['tags \u{e0041}\u{e0042}', 'line', 1],
    [' ', 'line', 1],
    ['\u3000\u3000', 'line', 1],
    ['\u3164', 'line', 2],
    ['\u200b', 'line', 2],
    ['\n\t ', 'prose', 1],
    ['', 'line', 0],
    ['家庭 👨\u200d👩\u200d👧 and ZWNJ می\u200cخواهم', 'line', 0],
    ['❤\ufe0f variation selector', 'line', 0],
    ['威尔士语 Welsh speech \u{1f3f4}\u{e0067}\u{e0062}\u{e0077}\u{e006c}\u{e0073}\u{e007f} 2024', 'line', 0],
    ['a cancel tag alone \u{e007f}', 'line', 1],
    ['Scotland \u{1f3f4}\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f} and England \u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}', 'line', 0],
    ['hidden text after a flag \u{1f3f4}\u{e0069}\u{e0067}\u{e006e}\u{e006f}\u{e0072}\u{e0065}\u{e007f}', 'line', 1],
    ['Speech\u2062Ocean (an invisible times)', 'line', 1],
    ['Speech\u00adOcean (a soft hyphen)', 'line', 1],
    ['Speech\u180eOcean (a Mongolian vowel separator)', 'line', 1],
    ['Speech\u034fOcean (a combining grapheme joiner)', 'line', 1],
    ['海天\u3164瑞声 (a Hangul filler inside)', 'line', 1],
    ['\ufff9annotated\ufffb', 'line', 1],
    ['music \u{1d173}', 'line', 1],
    ['\u2800', 'line', 1],
    ['盲文 \u2801 braille with dots is text', 'line', 0],
    ['\u0627\u0644\u0639\u0631\u0628\u064a\u0629\u061c with an Arabic letter mark', 'line', 0],
    ['Refund approved\rAccount closed', 'prose', 1],
    ['line one\r\nline two', 'prose', 0],
    // Default-ignorable letters and marks, which a font draws as nothing: a Khmer inherent vowel
    // (general category Mn) passed where a format character (Cf) did not.
    ['\u1797\u17b6\u179f\u17b6\u1781\u17d2\u1798\u17c2\u179a\u17b4 高棉语语音 (a Khmer inherent vowel)', 'line', 1],
    ['海天\u17b5瑞声', 'line', 1],
    ['\u17b4\u17b5', 'line', 2],
    ['普通话\u115f语音 (a Hangul choseong filler)', 'line', 1],
    ['普通话\u1160语音 (a Hangul jungseong filler)', 'line', 1],
    ['普通话\uffa0语音 (a half-width Hangul filler)', 'line', 1],
    ['普通话\u2065语音 (reserved default-ignorable)', 'line', 1],
    ['普通话\ufff0语音 (reserved default-ignorable)', 'line', 1],
    ['普通话\u{e0080}语音 (reserved default-ignorable)', 'line', 1],
    // Kept for the scripts that need them: Mongolian letters in their variant forms, a Han
    // character in its registered form (an ideographic variation sequence), emoji presentation.
    ['蒙古语语音 \u182d\u180b\u1823\u1833\u180c\u1822 \u1820\u180d \u182e\u180f', 'line', 0],
    ['葛\u{e0100}洲坝方言语音', 'line', 0],
    ['📱\ufe0f 手机采集', 'line', 0],
    // Marks: a script's own stacks pass, a pile of them over one letter does not.
    ['Tiếng Việt (NFD: e\u0302\u0301)'.normalize('NFD'), 'line', 0],
    ['\u05d1\u05bc\u05b0\u0591\u05bd Hebrew with cantillation, \u0f67\u0fa8\u0fb1\u0f71\u0f74 a Tibetan stack', 'line', 0],
    ['Z\u0337\u0322\u031b\u031b\u0353\u031d\u0316\u0347\u0354a\u0338 speech', 'line', 1],
    ['数据\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308', 'prose', 1],
  ] as const)('%j as %s has %i problems', (text, kind, count) => {
    expect(displayTextProblems(text, kind)).toHaveLength(count);
  });

  // A name shows something only with a visible character: an assigned letter, number, punctuation
  // or symbol that is not private use; a combining mark only on such a base.
  it.each([
    ['\u0301\u0301', 'combining marks with nothing under them'],
    [' \u0301', 'a combining mark on a space'],
    ['\ue000\ue001', 'private-use characters'],
    ['\u{f0000}\u{10fffd}', 'supplementary private-use characters'],
    ['\u0378', 'an unassigned code point'],
    ['\u{50000}', 'an unassigned supplementary code point'],
    ['\ufffc', 'the object replacement character'],
    ['\ufffc \ue000\u0301', 'nothing visible among them'],
  ])('refuses %j (%s) as showing nothing', (text) => {
    expect(displayTextProblems(text, 'line')).toEqual([expect.stringMatching(/^must show something: /)]);
    expect(() => assertDisplayText({ title: text })).toThrow(/title must show something/);
  });

  it.each([
    ['e\u0301', 'a letter with a combining mark (NFD)'],
    ['7', 'a number'],
    ['…', 'punctuation'],
    ['+', 'a symbol'],
    ['😀', 'an emoji'],
    ['\u0e01\u0e34', 'a Thai letter with its vowel mark'],
  ])('accepts %j (%s) as showing something', (text) => {
    expect(displayTextProblems(text, 'line')).toEqual([]);
  });

  it.each([
    ['\ue81e 岩 语音语料', 'line', 'U+E81E'],
    ['数据 \u{f0000}', 'line', 'U+F0000'],
    ['\ue000@example.cn', 'address', 'U+E000'],
  ] as const)('refuses %j, a %s with a private-use character beside visible ones, naming %s', (text, kind, code) => {
    expect(displayTextProblems(text, kind)).toEqual([expect.stringContaining(`must not contain private-use characters (${code} here)`)]);
  });

  it('leaves a private-use character in prose, where it is not a name', () => {
    expect(displayTextProblems('采集自 2019 年的客服录音 \ue81e，转写准确率 98%。', 'prose')).toEqual([]);
  });

  it('refuses every default-ignorable character but those scripts and emoji need', () => {
    // ZWNJ, ZWJ, LRM, RLM, ALM, the variation selectors and the Mongolian free variation
    // selectors are text's (see INVISIBLE_CHARACTER); the bidirectional controls have a rule of
    // their own (one problem too); the tag characters of a flag are read with the flag.
    const kept = /[\u200c-\u200f\u061c\u180b-\u180d\u180f\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;
    const passed: string[] = [];
    for (let code = 0; code <= 0x10ffff; code++) {
      const character = String.fromCodePoint(code);
      if (!/\p{Default_Ignorable_Code_Point}/u.test(character) || kept.test(character)) continue;
      if (displayTextProblems(`普通话${character}语音`).length !== 1) passed.push(`U+${code.toString(16).toUpperCase().padStart(4, '0')}`);
    }
    expect(passed).toEqual([]);
  });

  it('names each bad field of a nested listing, prose only where said', () => {
    const listing = { title: 'ok', description: 'a\nb', tags: ['ok', 'bad\u202e'], speech: { dialects: ['a\nb'] } };
    expect(() => assertDisplayText(listing, ['description'])).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'tags.1' }), expect.objectContaining({ field: 'speech.dialects.0' })] }));
    expect(() => assertDisplayText({ title: 'ok', description: 'a\nb' }, ['description'])).not.toThrow();
  });
});
