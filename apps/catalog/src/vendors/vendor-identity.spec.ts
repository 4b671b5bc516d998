import { nameKey, siteKey, takenBy } from './vendor-identity';

describe('telling vendors apart', () => {
  it.each([
    ['Datatang (demo)', 'Data‐tang (demo)'],
    ['Datatang (demo)', 'Data‑tang (demo)'],
    ['Datatang (demo)', 'Data−tang (demo)'],
    ['Datatang (demo)', 'Data•tang (demo)'],
    ['Datatang (demo)', 'Datatang “demo”'],
    ['Datatang (demo)', 'Datatang 〜demo〜'],
    ['Datatang (demo)', 'Datatang⁓demo'],
    ['Datatang (demo)', 'Datatang ✅ (demo)'],
    ['AISHELL Speech Data (demo)', 'AISHELL Speech Data（demo）'],
    ['数据堂（演示）', '数据堂⦅演示⦆'],
    ['数据堂（演示）', '數據堂（演示）'],
    ['数据堂', '数据 堂'],
    ['Weiß Sprachdaten', 'WEISS SPRACHDATEN'],
    ['Datatang (demo)', 'Data∙tang (demo)'],
    ['Datatang (demo)', 'Data⋅tang (demo)'],
    ['Datatang (demo)', 'Datatang ∼demo∼'],
    ['Datatang (demo)', 'Data⁄tang (demo)'],
    ['Datatang (demo)', 'Data|tang (demo)'],
    ['Datatang (demo)', 'Data$tang (demo)'],
    ['Datatang (demo)', 'Dạtatang (demo)'],
    ['Datatang (demo)', 'Datatang (demo)\u0336'],
    ['Datatang (demo)', 'Dataｰtang (demo)'],
    ['Datatang (demo)', 'Dataᐧtang (demo)'],
    ['数据堂（演示）', '数据堂∼演示∼'],
    ['Datatang (demo)', 'D\u0430t\u0430t\u0430ng (demo)'],
    ['AISHELL Speech Data', '\u0391\u0399SHELL Speech Data'],
    ['Magic Data 爱数智慧', 'M\u0430gi\u0441 D\u0430t\u0430 爱数智慧'],
    ['SpeechOcean 海天瑞声', '\u0405peech\u041Ecean 海天瑞声'],
    ['Λόγος Δεδομένα', 'ΛΟΓΟΣ ΔΕΔΟΜΕΝΑ'],
    ['Ёлка Дата', 'Елка Дата'],
    ['Zentrix', 'Z\u03adntrix'],
    ['Baidu', 'B\u03b1\u03afdu'],
    ['データ堂', 'デ—タ堂'],
    ['データ堂', 'デ─タ堂'],
    ['データ堂', 'デ－タ堂'],
    ['データ堂', 'デ〜タ堂'],
    ['データ堂', 'デ一タ堂'],
    ['AIデータセンター', 'AIデータセンタ一'],
    ['コーヒー堂', 'コ一ヒ一堂'],
    ['らーめん', 'ら一めん'],
    ['データ堂', 'デㅡタ堂'],
    ['データ堂', 'デᅳタ堂'],
    ['データ堂', 'デ㇐タ堂'],
    ['データ堂', 'デ⎯タ堂'],
    ['データ堂', 'デ═タ堂'],
    ['データ堂', 'デ╴タ堂'],
  ])('reads %j and %j as one name', (shown, copied) => {
    expect(nameKey(copied)).toBe(nameKey(shown));
  });

  it.each([
    ['C++ Data Lab', 'C Data Lab'],
    ['1+1 数据', '11 数据'],
    ['Q&A Data Co', 'QA Data Co'],
    ['A&B Corpus', 'AB Corpus'],
    ['Labels @ Scale', 'Labels Scale'],
    ['Datatang', 'Databang'],
    ['下山数据', '七山数据'],
    ['Яндекс Данные', 'Яндекс Дата'],
    ['データ堂', 'テータ堂'],
    ['データ堂', 'デタ堂'],
    ['バイドゥ', 'ハイトゥ'],
    ['कमाल डेटा', 'कमल डेटा'],
    ['ข้อมูล', 'ขอมล'],
    ['一号数据', '二号数据'],
    ['한국데이터', '한국데이타'],
  ])('tells %j from %j', (one, other) => {
    expect(nameKey(one)).not.toBe(nameKey(other));
  });

  it.each([
    ['https://datatang-demo.example.cn', 'https://datatang-demo.example.cn:443'],
    ['https://datatang-demo.example.cn', 'http://WWW.Datatang-Demo.example.cn./index.html?ref=x#about'],
    ['https://datatang-demo.example.cn', 'https://datatang-demo.example.cn/en/about'],
    ['https://github.com/aishell', 'https://github.com/AISHELL/aishell-3'],
    ['https://huggingface.co/datasets/zhiyan', 'https://huggingface.co/zhiyan'],
  ])('reads %s and %s as one site', (shown, copied) => {
    expect(siteKey(copied)).toBe(siteKey(shown));
  });

  it('tells organizations apart on a host they share, past its route words, and gives no site for what is no URL', () => {
    expect(siteKey('https://github.com/aishell')).not.toBe(siteKey('https://github.com/datatang'));
    expect(siteKey('https://sites.google.com/view/zhiyan-corpus-lab')).not.toBe(siteKey('https://sites.google.com/view/imp-one-data'));
    expect(siteKey('https://huggingface.co/datasets/zhiyan')).not.toBe(siteKey('https://huggingface.co/datasets/imp-one'));
    expect(siteKey('https://www.zhihu.com/org/zhiyan-yu-liao')).not.toBe(siteKey('https://www.zhihu.com/org/another-company'));
    expect(siteKey('not a url')).toBeNull();
  });

  it('names which of the names, and whether the website, another approved vendor shows', () => {
    const others = [{ displayNameZh: '数据堂（演示）', displayNameEn: 'Datatang (demo)', website: 'https://datatang-demo.example.cn' }];
    expect(takenBy(others, ['數據堂（演示）', 'Speech Ocean'], 'https://datatang-demo.example.cn/#about')).toEqual({ names: ['數據堂（演示）'], website: true });
    expect(takenBy(others, ['海天瑞声', 'SpeechOcean'], undefined)).toEqual({ names: [], website: false });
    // A host under the shown one is that site too.
    for (const website of ['https://m.datatang-demo.example.cn', 'https://www2.datatang-demo.example.cn', 'https://www.www.datatang-demo.example.cn']) {
      expect(takenBy(others, ['海天瑞声', 'SpeechOcean'], website).website).toBe(true);
    }
    expect(takenBy(others, ['海天瑞声', 'SpeechOcean'], 'https://datatang-demo.example.cn.evil.example').website).toBe(false);
  });

  it('reads a dash after kana both as the long-vowel mark and as a separator, so either spelling of a shown name is taken', () => {
    const shown = (displayNameZh: string) => [{ displayNameZh, displayNameEn: 'Shown Co', website: null }];
    expect(takenBy(shown('データ・ラボ'), ['データ-ラボ', 'データ‐ラボ', 'データラボ'], undefined).names).toEqual(['データ-ラボ', 'データ‐ラボ', 'データラボ']);
    expect(takenBy(shown('テクノ-ハウス'), ['テクノハウス', 'テクノーハウス', 'テクノ・ハウス'], undefined).names).toEqual(['テクノハウス', 'テクノーハウス', 'テクノ・ハウス']);
    expect(takenBy(shown('データ Lab'), ['データ—Lab'], undefined).names).toEqual(['データ—Lab']);
    expect(takenBy(shown('データ堂'), ['デ—タ堂', 'デタ堂'], undefined).names).toEqual(['デ—タ堂']);
    // Each dash of a new name on its own: one standing for ー and one for a separator.
    expect(takenBy(shown('データ・ラボ'), ['デ—タ-ラボ', 'デ-タ-ラボ', 'デ—タ・ラボ'], undefined).names).toEqual(['デ—タ-ラボ', 'デ-タ-ラボ', 'デ—タ・ラボ']);
    expect(takenBy(shown('データラボ (demo)'), ['デ—タ-ラボ (demo)', 'デ.タ-ラボ (demo)'], undefined).names).toEqual(['デ—タ-ラボ (demo)']);
    // Distinct names with and without the long-vowel mark stay distinct; a shown name whose
    // dashes may be either is taken both ways (スパデータ beside an approved ス-パ-データ: 409).
    expect(takenBy(shown('データーラボ'), ['データラボ'], undefined).names).toEqual([]);
    expect(takenBy(shown('ス-パ-データ'), ['スーパーデータ', 'スパデータ', 'スーパデータ'], undefined).names).toEqual(['スーパーデータ', 'スパデータ']);
  });
});
