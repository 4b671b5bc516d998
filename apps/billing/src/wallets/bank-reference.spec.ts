import { bankReferenceKey, bankTransferKeys } from './bank-reference';

describe('the key of a bank-transfer reference', () => {
  it.each([
    ['CMB-0042', 'cmb-0042'],
    [' cmb-0042 ', 'cmb-0042'],
    ['ＣＭＢ－００４２', 'cmb-0042'],
    ['招商银行 CMB-20261130-0042', 'cmb202611300042'],
    ['招商银行\u3000\u3000CMB-20261130-0042', 'cmb202611300042'],
    ['\t招商银行   CMB-20261130-0042\u00a0', 'cmb202611300042'],
    ['工商银行 ＩＣＢＣ－７７８１', 'icbc-7781'],
    ['Straße-7', 'strasse-7'],
    ['STRASSE-7', 'strasse-7'],
  ])('of %j is %j', (reference, key) => {
    expect(bankReferenceKey(reference)).toBe(key);
  });

  it.each([
    ['招商银行 CMB-20261201-0001', 'cmb202612010001'],
    ['招商银行CMB-20261201-0001', 'cmb202612010001'],
    ['招商银行：CMB-20261201-0001', 'cmb202612010001'],
    ['招商银行, CMB-20261201-0001', 'cmb202612010001'],
    ['招行 CMB-20261201-0001', 'cmb202612010001'],
    ['招商银行北京分行 CMB-20261201-0001', 'cmb202612010001'],
    ['China Merchants Bank CMB-20261201-0001', 'cmb202612010001'],
    ['CHINA MERCHANTS BANK: CMB-20261201-0001', 'cmb202612010001'],
    ['CMB CMB-20261201-0001', 'cmb202612010001'],
    ['招商银行 China Merchants Bank CMB-20261201-0001', 'cmb202612010001'],
    ['中国工商银行 ICBC-7781', 'icbc-7781'],
    ['工行 ICBC-7781', 'icbc-7781'],
    ['Industrial and Commercial Bank of China ICBC-7781', 'icbc-7781'],
    ['ICBC ICBC-7781', 'icbc-7781'],
    ['建设银行 CCB-2026-11', 'ccb202611'],
    ['中国银行 BOC-0042', 'boc-0042'],
    ['Bank of China BOC-0042', 'boc-0042'],
    ['农业银行 ABC-0042', 'abc-0042'],
    ['Agricultural Bank of China ABC-0042', 'abc-0042'],
    ['交通银行 BOCOM-0042', 'bocom-0042'],
    ['浦发银行 SPDB-MAX-0001', 'spdb-max-0001'],
    ['浦发 SPDB-MAX-0001', 'spdb-max-0001'],
    ['中信银行 CITIC-0042', 'citic-0042'],
    ['民生银行 CMBC-0042', 'cmbc-0042'],
    ['兴业银行 CIB-0042', 'cib-0042'],
    ['平安银行 PAB-0042', 'pab-0042'],
    ['光大银行 CEB-0042', 'ceb-0042'],
    ['华夏银行 HXB-0042', 'hxb-0042'],
    ['邮储银行 PSBC-0042', 'psbc-0042'],
    ['中国邮政储蓄银行 PSBC-0042', 'psbc-0042'],
    ['北京银行 20261201000123', '20261201000123'],
  ])('of %j leaves the bank out: %j', (reference, key) => {
    expect(bankReferenceKey(reference)).toBe(key);
  });

  it.each([
    // The serial's own prefix, joined to it: part of the serial.
    ['CMB-20261201-0001', 'cmb202612010001'],
    ['CMB 20261201 0001', 'cmb202612010001'],
    ['ICBC7781', 'icbc7781'],
    ['CMBC-0042', 'cmbc-0042'],
    ['ABCD 0042', 'abcd 0042'],
    ['平安0042', '平安0042'],
    // A bank's name with nothing after it is all the reference there is.
    ['招商银行', '招商银行'],
    ['CMB', 'cmb'],
    ['招商银行 CMB', 'cmb'],
    ['银行转账 0042', '银行转账 0042'],
  ])('of %j keeps what is not a bank name before the serial: %j', (reference, key) => {
    expect(bankReferenceKey(reference)).toBe(key);
  });

  it('meets the same transfer however the buyer names its bank, or does not', () => {
    const spellings = ['招商银行 CMB-20261201-0001', 'cmb202612010001', ' CMB-20261201-0001 ', '招商银行　ＣＭＢ－２０２６１２０１－０００１', 'China Merchants Bank CMB-20261201-0001', '招行：CMB-20261201-0001'];
    expect(new Set(spellings.map(bankReferenceKey))).toEqual(new Set(['cmb202612010001']));
  });

  it('keeps apart references a bank would keep apart', () => {
    const keys = ['CMB-0042', 'CMB-0043', 'CMB0042', 'CMB 0042', 'ICBC-0042', '招商银行 CMB-0043-1', '招商银行 CMB-20261201-0001', '招商银行 CMB-20261201-0002'].map(bankReferenceKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  // Letters of other scripts drawn as Latin ones, and dashes other than the hyphen-minus: a
  // reference typed on a Russian or Greek keyboard layout, or pasted from a document that set its
  // dashes, shows the operator the serial of a transfer credited already.
  it.each([
    ['СМВ-20261130-0042', 'cmb202611300042', 'Cyrillic С М В'],
    ['смв-20261130-0042', 'cmb202611300042', 'Cyrillic с м в'],
    ['ΜΟΒ-0042', 'mob-0042', 'Greek Μ Ο Β'],
    ['АВСЕНІЈКМОРЅТХҮ-0042', 'abcehijkmopstxy-0042', 'Cyrillic capitals'],
    ['асеіјорѕху-0042', 'aceijopsxy-0042', 'Cyrillic small letters'],
    ['ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ-0042', 'abezhikmnoptyx-0042', 'Greek capitals'],
    ['ο-0042', 'o-0042', 'Greek small omicron'],
  ])('of %j is %j: %s folded to the Latin letters they show', (reference, key) => {
    expect(bankReferenceKey(reference)).toBe(key);
  });

  it.each(['2010', '2011', '2012', '2013', '2014', '2015', '2212', 'FE58', 'FE63', 'FF0D'])('folds the dash U+%s to the hyphen-minus', (code) => {
    const dash = String.fromCodePoint(parseInt(code, 16));
    expect(bankReferenceKey(`CMB${dash}20261130${dash}0042`)).toBe('cmb202611300042');
  });

  it('meets a confirmed serial however its look-alikes are typed, with its bank named or not, and keeps the Chinese of a reference without a serial', () => {
    const spellings = ['CMB-20261130-0042', 'СМВ-20261130-0042', 'СMB\u201120261130\u20140042', '招商银行 СМВ－20261130－0042', 'China Merchants Bank СМВ\u221220261130\u22120042', 'СМВ СМВ-20261130-0042'];
    expect(new Set(spellings.map(bankReferenceKey))).toEqual(new Set(['cmb202611300042']));
    expect(bankReferenceKey('招商银行 CMB–20261130–0042 货款（数据采购）')).toBe('cmb202611300042');
    expect(bankReferenceKey('银行转账 — 货款')).toBe('银行转账 - 货款');
  });

  // One transfer, as buyers have typed its serial: each spelling was a second credit an operator
  // could confirm while the key kept punctuation, labels and remarks.
  it.each([
    'CMB-20261108-0387',
    '招商银行 CMB-20261108-0387',
    'CMB-20261108-0387.',
    'CMB-20261108-0387。',
    '“CMB-20261108-0387”',
    '"CMB-20261108-0387"',
    'Ref: CMB-20261108-0387',
    'REFERENCE CMB-20261108-0387',
    'No.CMB-20261108-0387',
    '转账 CMB-20261108-0387',
    '流水号：CMB-20261108-0387',
    '招商银行（CMB-20261108-0387）',
    '[CMB-20261108-0387]',
    'CMB - 20261108-0387',
    'CMB 20261108 0387',
    'CMB_20261108_0387',
    'CMB.20261108.0387',
    'CMB/20261108/0387',
    'CMB202611080387',
    'CMB-20261108-0387 货款',
    'CMB-20261108-0387 货款（一）',
    'payment for CMB-20261108-0387, thanks',
    'China Merchants Bank CMB-20261108-0387',
    'CMB CMB-20261108-0387',
    'CMB-2O261108-O387',
    'CMB-2o261108-0387',
    'CMB-2026ll08-0387',
    'CMB-2026II08-0387',
    'CMB-2026|108-0387'.replace('|', 'l'),
    'CMB-٢0٢611٠8-0387',
    'CMB-२०२६११०८-०३८७',
    'СМВ—2О261108—О387',
  ])('of %j is the serial cmb202611080387', (reference) => {
    expect(bankReferenceKey(reference)).toBe('cmb202611080387');
  });

  it('keeps apart the serials of two transfers, however alike they are typed', () => {
    const keys = ['CMB-20261108-0387', 'CMB-20261108-0388', 'CMB-20261109-0387', 'ICBC-20261108-0387', 'BOC-20261108-0387', '20261108-0387', 'CMB-20261108-03870', 'CMB-20261108-0387；CMB-20261108-0388'].map(bankReferenceKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(bankReferenceKey('CMB-20261108-0387；CMB-20261108-0388')).toBe('cmb202611080387, cmb202611080388');
  });

  it.each([
    // Fewer than six digits: no serial, the reference keyed whole as before.
    ['CMB-0042', 'cmb-0042'],
    ['CMB0042', 'cmb0042'],
    ['3月货款', '3月货款'],
    ['2026年3月货款', '2026年3月货款'],
    ['货款 ٤٢', '货款 42'],
    ['BOOK-LIO', 'book-lio'],
  ])('of %j, without a serial, is %j', (reference, key) => {
    expect(bankReferenceKey(reference)).toBe(key);
  });

  it('is its own key: filling the column twice gives the same value', () => {
    for (const reference of ['CMB-20261108-0387；CMB-20261108-0388', 'Ref: CMB-2O261108-O387 货款', 'CMB-٢0٢611٠8-0387', 'ＣＭＢ－００４２', ' Straße ', '㍻ 振込 ﾌﾘｺﾐ', 'ΣΊΣΥΦΟΣ-1', '招商银行\u3000CMB', '招商银行 工行', 'CMB CMB CMB-1', '中国银行(香港) BOCHK-20261130-1', 'СМВ—0042', 'ΑΒΓ-Ωμ', '招商银行 СМВ−0042']) {
      const key = bankReferenceKey(reference);
      expect(bankReferenceKey(key)).toBe(key);
    }
  });

  describe('bankTransferKeys: the transfers a reference names', () => {
    it.each([
      ['CMB-20261108-0387', ['cmb202611080387']],
      ['招商银行 CMB-20261108-0387 货款 thanks', ['cmb202611080387']],
      // Two serials, in either order: the same two transfers.
      ['CMB-20261108-0387；CMB-20261108-0388', ['cmb202611080387', 'cmb202611080388']],
      ['CMB-20261108-0388；CMB-20261108-0387', ['cmb202611080387', 'cmb202611080388']],
      // A serial and a contract's number beside it.
      ['ICBC-20261208-3317（合同号 2026120801）', ['2026120801', 'icbc202612083317']],
      // One serial written twice, or two written one after another in one run.
      ['ICBC-20261208-3317 / ICBC-20261208-3317', ['icbc202612083317']],
      ['ICBC-20261208-3317 ICBC-20261208-3317', ['icbc202612083317']],
      ['CMB 20261130 0042 ICBC 20261208 4597', ['cmb202611300042', 'icbc202612084597']],
      // Letters inside one serial do not cut it where a side would hold no serial.
      ['HSBC-2026-HK-000123', ['hsbc2026hk000123']],
      ['CMB-20261130-X-0042', ['cmb20261130x0042']],
      // No serial: the whole key.
      ['3月货款', ['3月货款']],
      ['CMB-0042', ['cmb-0042']],
    ])('of %j is %j', (reference, keys) => {
      expect(bankTransferKeys(reference)).toEqual(keys);
      expect(bankReferenceKey(reference)).toBe(keys.join(', '));
    });
  });
});
