import { bankReferenceKey } from './bank-reference';

describe('the key of a bank-transfer reference', () => {
  it.each([
    ['CMB-0042', 'cmb-0042'],
    [' cmb-0042 ', 'cmb-0042'],
    ['ＣＭＢ－００４２', 'cmb-0042'],
    ['招商银行 CMB-20261130-0042', '招商银行 cmb-20261130-0042'],
    ['招商银行\u3000\u3000CMB-20261130-0042', '招商银行 cmb-20261130-0042'],
    ['\t招商银行   CMB-20261130-0042\u00a0', '招商银行 cmb-20261130-0042'],
    ['工商银行 ＩＣＢＣ－７７８１', '工商银行 icbc-7781'],
    ['Straße-7', 'strasse-7'],
    ['STRASSE-7', 'strasse-7'],
  ])('of %j is %j', (reference, key) => {
    expect(bankReferenceKey(reference)).toBe(key);
  });

  it('keeps apart references a bank would keep apart', () => {
    const keys = ['CMB-0042', 'CMB-0043', 'CMB0042', 'CMB 0042', 'ICBC-0042', '招商银行 CMB-0042', '中国银行 CMB-0042'].map(bankReferenceKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('is its own key: filling the column twice gives the same value', () => {
    for (const reference of ['ＣＭＢ－００４２', ' Straße ', '㍻ 振込 ﾌﾘｺﾐ', 'ΣΊΣΥΦΟΣ-1', '招商银行\u3000CMB']) {
      const key = bankReferenceKey(reference);
      expect(bankReferenceKey(key)).toBe(key);
    }
  });
});
