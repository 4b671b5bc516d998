import { documentTokens, MAX_WORD_CHARACTERS, queryTokens, tsqueryText, tsvectorText } from './search-tokens';

describe('search tokens', () => {
  it.each([
    ['普通话', ['普通', '通话']],
    ['语音', ['语音']],
    ['粤', ['粤']],
    ['Speech', ['speech']],
    ['ＡＳＲ 数据', ['asr', '数据']],
    ['datasets hours', ['dataset', 'hour']],
    ['glass bus analysis', ['glass', 'bus', 'analysis']],
    ['3D boxes', ['3d', 'box']],
    ['3D box', ['3d', 'box']],
    ['classes patches speeches meshes', ['class', 'patch', 'speech', 'mesh']],
    ['cases licenses responses sizes', ['case', 'license', 'response', 'size']],
    ['3D检测', ['3d', '检测']],
    ['e-commerce', ['e', 'commerce']],
    ['普通话 普通话', ['普通', '通话']],
    ['？！——', []],
    ['ภาษาไทย', ['ภา', 'าษ', 'ษา', 'ไท', 'ทย']],
    ['เสียง', ['เส', 'สี', 'ีย', 'ยง']],
  ])('a query %j looks for %j', (query, tokens) => {
    expect(queryTokens(query)).toEqual(tokens);
  });

  it.each([
    ['廣東話', '广东话'],
    ['普通話 語音數據', '普通话 语音数据'],
    ['粵語', '粤语'],
    ['四川話', '四川话'],
    ['臺灣國語', '台湾国语'],
  ])('looks for %s in traditional characters as for %s in simplified, in queries and documents', (traditional, simplified) => {
    expect(queryTokens(traditional)).toEqual(queryTokens(simplified));
    expect(documentTokens(traditional)).toEqual(documentTokens(simplified));
  });

  it.each([
    ['粤语客服', '粤语 客服'],
    ['医疗对话', '医疗 对话'],
    ['激光雷达点云数据', '激光雷达 点云 数据'],
    ['电商客服对话', '电商 客服 对话'],
    ['自动驾驶数据', '自动驾驶 数据'],
    ['普通话语音数据', '普通话 语音 数据'],
    ['语音和图像', '语音 图像'],
    ['点云和标注', '点云 标注'],
    ['人脸和车辆', '人脸 车辆'],
  ])('looks for %s, typed without spaces, as for %s: its words, not the pairs across them', (unspaced, spaced) => {
    expect(queryTokens(unspaced)).toEqual(queryTokens(spaced));
  });

  it('lets a function word part the characters around it, each then looked for as itself, not as a pair no listing holds', () => {
    expect(queryTokens('猫和狗')).toEqual(['猫', '狗']);
    expect(queryTokens('人脸和车')).toEqual(['人脸', '车']);
  });

  it('keeps a word the dictionary does not know whole: a character left alone goes with the word beside it', () => {
    expect(queryTokens('上海话')).toEqual(['上海', '海话']);
    expect(queryTokens('长文本')).toEqual(['长文', '文本']);
    expect(queryTokens('语料库')).toEqual(['语料', '料库']);
  });

  it("reads an English possessive in a query as its word, and leaves other apostrophes parting words", () => {
    expect(queryTokens("driver's")).toEqual(queryTokens('driver'));
    expect(queryTokens('driver\u2019s cabin')).toEqual(queryTokens('driver cabin'));
    expect(queryTokens("speakers' ages")).toEqual(queryTokens('speakers ages'));
    expect(queryTokens("o'brien")).toEqual(['o', 'brien']);
    expect(queryTokens("'s")).toEqual(['s']);
    // A listing's possessive is indexed with its word, so the query finds it.
    expect(documentTokens("Driver's cabin video").map((t) => t.token)).toEqual(expect.arrayContaining(queryTokens("driver's cabin")));
  });

  it('leaves simplified text and words in other scripts as they are', () => {
    expect(queryTokens('头发 乾隆 ASR 한국어')).toEqual(['头发', '乾隆', 'asr', '한국', '국어']);
  });

  it('indexes every CJK character and pair of a title, only the pairs of a description', () => {
    expect(documentTokens('普通话').map((t) => t.token)).toEqual(['普', '普通', '通', '通话', '话']);
    expect(documentTokens('普通话', { unigrams: false }).map((t) => t.token)).toEqual(['普通', '通话']);
  });

  it('reads a number the same with or without its thousands separators, and leaves other commas alone', () => {
    const title = new Set(documentTokens('普通话朗读语音 2,000 小时，1,200,000 条').map((t) => t.token));
    for (const query of ['2000小时', '2,000 小时', '２，０００小时', '1200000条']) expect(queryTokens(query).every((token) => title.has(token))).toBe(true);
    expect(queryTokens('3,2,1')).toEqual(['3', '2', '1']);
    expect(queryTokens('16,000hz 8,00 12345,678 1,000,00')).toEqual(['16000hz', '8', '00', '12345', '678', '1', '000']);
  });

  it('still finds what may be a list of numbers by each of them', () => {
    const description = new Set(documentTokens('裁剪尺寸 128,256,512，类别 100,200,300', { unigrams: false }).map((t) => t.token));
    for (const query of ['256', '128 256 512', '128,256,512', '200', '100,200,300']) expect(queryTokens(query).every((token) => description.has(token))).toBe(true);
  });

  it('cuts a grouped number of hundreds of groups as any long word, in documents and queries alike', () => {
    const huge = `1${',000'.repeat(700)}`;
    const tokens = documentTokens(`样本总数 ${huge} 条`).map((t) => t.token);
    expect(Math.max(...tokens.map((token) => [...token].length))).toBeLessThanOrEqual(MAX_WORD_CHARACTERS);
    expect(queryTokens(huge).every((token) => tokens.includes(token))).toBe(true);
  });

  it('finds a grouped number with letters written onto it, with or without its commas', () => {
    const title = new Set(documentTokens('车载语音 16,000Hz 采样 / 10,000GB in all').map((t) => t.token));
    for (const query of ['16,000Hz', '16000hz', '16000', '16,000', '10,000GB', '10000gb', '16 000hz']) expect([query, queryTokens(query).every((token) => title.has(token))]).toEqual([query, true]);
  });

  it('finds a Thai word inside a sentence written without spaces', () => {
    const sentence = new Set(documentTokens('ชุดข้อมูลเสียงภาษาไทยสำหรับงานบริการลูกค้า', { unigrams: false }).map((t) => t.token));
    expect(queryTokens('เสียง').every((token) => sentence.has(token))).toBe(true);
    expect(queryTokens('ภาษาไทย').every((token) => sentence.has(token))).toBe(true);
    expect(queryTokens('ภาษาลาว').every((token) => sentence.has(token))).toBe(false);
  });

  it('keeps every token of any text within what PostgreSQL takes for a tsvector word (2,047 bytes)', () => {
    const texts = ['x'.repeat(5000), '\uFDF2'.repeat(300), 'ไทย'.repeat(900), `${'é'.repeat(2000)} speech`];
    for (const text of texts) for (const { token } of documentTokens(text)) expect(Buffer.byteLength(token)).toBeLessThanOrEqual(256);
    // A query of such a word is cut the same way, so it still finds the listing.
    expect(queryTokens('x'.repeat(5000))).toEqual(documentTokens('x'.repeat(5000)).map((t) => t.token));
  });

  it('writes a weighted tsvector and a tsquery in their input syntax, quoting what needs it', () => {
    expect(tsvectorText([{ text: '语音 Speech', weight: 'A' }, { text: 'speech', weight: 'C' }])).toBe("'语':1A '语音':1A '音':2A 'speech':3A,5C");
    expect(tsqueryText("普通话 WAV o'brien")).toBe("'普通' & '通话' & 'wav' & 'o' & 'brien'");
    expect(tsqueryText('!!')).toBeNull();
  });

  it('refuses a query of more tokens than it ANDs, naming q, rather than dropping the words past them', () => {
    // Words of two characters each, written apart: one pair each.
    const chars = '一二三四五六七八九十百千万亿甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥';
    const pairs = Array.from({ length: 33 }, (_, i) => `${chars[i]}${chars[i + 1]}`);
    expect(queryTokens(pairs.slice(0, 32).join(' '))).toHaveLength(32);
    expect(tsqueryText(pairs.slice(0, 32).join(' '))?.split(' & ')).toHaveLength(32);
    expect(() => tsqueryText(pairs.join(' '))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field: 'q' })] }));
    const words = Array.from({ length: 33 }, (_, i) => `w${i}`).join(' ');
    expect(() => tsqueryText(words)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    // The same word twice is one token.
    expect(tsqueryText(Array.from({ length: 40 }, () => 'WAV').join(' '))).toBe("'wav'");
  });

  it('reads Latin and Greek letters without their accents, and leaves the marks of other scripts', () => {
    expect(queryTokens('Café Zürich naïve résumé')).toEqual(['cafe', 'zurich', 'naive', 'resume']);
    expect(queryTokens('Søren Łódź Straße Æsir đường')).toEqual(['soren', 'lodz', 'strasse', 'aesir', 'duong']);
    expect(queryTokens('Tiếng Việt άλφα')).toEqual(['tieng', 'viet', 'αλφα']);
    expect(documentTokens('Café').map((t) => t.token)).toEqual(['cafe']);
    // Marks that make other letters: Japanese voiced kana, Russian й, Thai vowels and tones.
    expect(queryTokens('がぎ')).toEqual(['がぎ']);
    expect(queryTokens('йод')).toEqual(['йод']);
    expect(queryTokens('ภาษาไทย')).toEqual(queryTokens('ภาษาไทย'.normalize('NFD')));
    expect(queryTokens('ภาษาไทย').join('')).toContain('ษา');
  });

  describe('words of the trade written another way', () => {
    /** The alternatives a query's tsquery offers for the group holding `phrase`. */
    const alternatives = (query: string) => tsqueryText(query)!;

    it.each([
      // What a buyer types, and what listings say: each must be an alternative of the other.
      ['老人', '老年人'],
      ['elderly', '老年人'],
      ['text-to-speech', 'TTS'],
      ['TTS', '语音合成'],
      ['question answer', '问答'],
      ['QA', 'question answering'],
      ['annotation', '标注'],
      ['labelled', 'annotation'],
      ['self-driving', '自动驾驶'],
      ['自动驾驶', 'autonomous driving'],
      ['point clouds', '点云'],
      ['LiDAR', '激光雷达'],
      ['speech recognition', 'ASR'],
      ['SFT', '指令微调'],
      ['call-center', '客服'],
      ['OCR', '文字识别'],
    ])('finds what %s asks for also where a listing says %s', (asked, said) => {
      const needed = queryTokens(said);
      const alternative = needed.length === 1 ? `'${needed[0]}'` : `(${needed.map((t) => `'${t}'`).join(' & ')})`;
      expect(alternatives(asked)).toContain(alternative);
    });

    it('keeps every other word of the query needed, and the phrase itself among the alternatives', () => {
      expect(tsqueryText('老人 语音')).toBe("'语音' & (('老年' & '年人') | '老人' | 'elderly' | ('senior' & 'citizen'))");
      expect(tsqueryText('自动驾驶 点云 北京')).toBe(
        "'北京' & (('自动' & '驾驶') | ('无人' & '人驾' & '驾驶') | ('智能' & '驾驶') | ('autonomous' & 'driving') | ('self' & 'driving') | 'driverless') & ('点云' | ('point' & 'cloud'))",
      );
    });

    it('reads a group only when the query holds a whole phrase of it', () => {
      // `driving` alone is no phrase of the driving group, `speech` alone none of the speech groups.
      expect(tsqueryText('driving speech')).toBe("'driving' & 'speech'");
      expect(tsqueryText('语音')).toBe("'语音'");
    });

    it('writes a spelling of a phrase once, and a query holding two phrases of one group asks for the group once', () => {
      const query = tsqueryText('call center')!;
      expect(query.match(/'call' & 'center'/g)).toHaveLength(1);
      expect(tsqueryText('QA 问答')).toBe(tsqueryText('问答'));
    });

    it('counts the words a buyer typed against the limit, not the alternatives', () => {
      const many = ['text-to-speech', 'self-driving', 'annotation', 'point cloud', 'question answer', 'call center', 'long context', 'speech recognition'];
      expect(queryTokens(many.join(' ')).length).toBeLessThanOrEqual(32);
      expect(tsqueryText(many.join(' '))).not.toBeNull();
    });
  });
});
