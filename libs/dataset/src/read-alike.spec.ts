import { readAlike, readAs, trimSpaces } from './read-alike';

describe('a text as a reader reads it', () => {
  it.each([
    ['普通话', '普通话 '],
    ['ASR', 'asr'],
    ['ASR', 'ＡＳＲ'],
    ['ISO 27001', 'iso 27001'],
    ['ISO 27001', 'ＩＳＯ　２７００１'],
    ['呼叫 中心', '呼叫\u3000\u3000中心'],
    ['数据堂', '数据\u200d堂'],
    ['Straße', 'STRASSE'],
  ])('reads %j and %j as one', (first, second) => {
    expect(readAs(first)).toBe(readAs(second));
  });

  it.each([
    ['普通话', '普通話'],
    ['ISO 27001', 'ISO 27701'],
    ['DSMM 三级', 'DSMM 二级'],
    ['ASR', '\u0410SR'],
  ])('tells %j from %j', (first, second) => {
    expect(readAs(first)).not.toBe(readAs(second));
  });

  it('is its own key', () => {
    for (const text of ['  ＡＳＲ　语音 ', 'Straße', 'İstanbul 土耳其语', '❤\ufe0f 情感语音']) expect(readAs(readAs(text))).toBe(readAs(text));
  });

  it('finds the first two entries of a list that read as one', () => {
    expect(readAlike(['普通话', 'ASR', '客服', 'ａｓｒ'])).toEqual(['ASR', 'ａｓｒ']);
    expect(readAlike(['普通话', 7, '粤语', 7])).toBeUndefined();
  });
});

describe('the spaces around a line of text', () => {
  it.each([
    ['  普通话语音  ', '普通话语音'],
    ['\u3000呼叫中心数据\u3000', '呼叫中心数据'],
    ['\t客服对话 SFT\r\n', '客服对话 SFT'],
    ['\u00a0ASR\u2028', 'ASR'],
    ['呼叫 中心', '呼叫 中心'],
    [' \n ', ''],
  ])('trims %j to %j', (text, trimmed) => {
    expect(trimSpaces(text)).toBe(trimmed);
  });

  it('keeps a byte order mark at either end, for the rules to refuse as the invisible character it is', () => {
    expect(trimSpaces('\ufeff语音 ')).toBe('\ufeff语音');
    expect(trimSpaces(' 语音\ufeff')).toBe('语音\ufeff');
    expect(trimSpaces('\ufeff')).toBe('\ufeff');
  });
});

