import { documentTokens, queryTokens, tsqueryText, tsvectorText } from './search-tokens';

describe('search tokens', () => {
  it.each([
    ['普通话', ['普通', '通话']],
    ['语音', ['语音']],
    ['粤', ['粤']],
    ['Speech', ['speech']],
    ['ＡＳＲ 数据', ['asr', '数据']],
    ['datasets hours', ['dataset', 'hour']],
    ['glass bus analysis', ['glass', 'bus', 'analysis']],
    ['3D检测', ['3d', '检测']],
    ['e-commerce', ['e', 'commerce']],
    ['普通话 普通话', ['普通', '通话']],
    ['？！——', []],
  ])('a query %j looks for %j', (query, tokens) => {
    expect(queryTokens(query)).toEqual(tokens);
  });

  it('indexes every CJK character and pair of a title, only the pairs of a description', () => {
    expect(documentTokens('普通话').map((t) => t.token)).toEqual(['普', '普通', '通', '通话', '话']);
    expect(documentTokens('普通话', { unigrams: false }).map((t) => t.token)).toEqual(['普通', '通话']);
  });

  it('writes a weighted tsvector and a tsquery in their input syntax, quoting what needs it', () => {
    expect(tsvectorText([{ text: '语音 Speech', weight: 'A' }, { text: 'speech', weight: 'C' }])).toBe("'语':1A '语音':1A '音':2A 'speech':3A,5C");
    expect(tsqueryText('普通话 ASR')).toBe("'普通' & '通话' & 'asr'");
    expect(tsqueryText('!!')).toBeNull();
  });
});
