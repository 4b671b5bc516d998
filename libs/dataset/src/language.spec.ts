import { canonicalLanguageTag } from './language';

describe('canonicalLanguageTag', () => {
  it.each([
    ['zh-CN', 'zh-CN'],
    ['zh-cn', 'zh-CN'],
    ['ZH-Hans-cn', 'zh-Hans-CN'],
    ['cmn', 'zh'],
    ['yue', 'yue'],
    ['yue-HK', 'yue-HK'],
    ['wuu', 'wuu'],
    ['nan', 'nan'],
    ['hak', 'hak'],
    ['cdo', 'cdo'],
    ['en', 'en'],
    ['EN-us', 'en-US'],
    ['ja', 'ja'],
    ['ko', 'ko'],
    ['ug', 'ug'],
    ['bo', 'bo'],
    ['zh-CN-x-sichuan', 'zh-CN-x-sichuan'],
    // Extended language subtags of Chinese, in their canonical form (RFC 5646, 4.5).
    ['zh-yue', 'yue'],
    ['zh-yue-HK', 'yue-HK'],
    ['ZH-CMN-Hans-CN', 'zh-Hans-CN'],
    ['zh-wuu', 'wuu'],
  ])('accepts %s as %s', (tag, canonical) => {
    expect(canonicalLanguageTag(tag)).toBe(canonical);
  });

  it.each([
    ['an underscore', 'en_US'],
    ['a grandfathered tag', 'zh-min-nan'],
    ['an extended language subtag that is not Chinese', 'zh-afb'],
    ['an unknown language', 'xx'],
    ['an unregistered three-letter code', 'abc'],
    ['a private-use language', 'qaa'],
    ['a private-use tag alone', 'x-sichuan'],
    ['a word', 'Chinese'],
    ['digits', '123'],
    ['an empty string', ''],
    ['a number', 86],
    ['a very long tag', `zh-${'a'.repeat(40)}`],
  ])('refuses %s (%p)', (_case, tag) => {
    expect(canonicalLanguageTag(tag)).toBeNull();
  });
});
