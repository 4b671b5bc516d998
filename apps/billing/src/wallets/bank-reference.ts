import { asciiLookAlikes } from '@trove/platform';

/**
 * Bank names a buyer may write before the transfer's serial, case-folded (they are looked for in
 * the key, after folding). Chinese: any name ending in 银行 (招商银行, 中国工商银行, 浦发银行,
 * 北京银行...) with a branch after it or not (北京分行, 海淀支行), and the short forms ending in 行
 * (工行, 建行, 农行, 中行, 交行, 招行); these may run into the serial. The short forms without 行
 * (浦发, 中信...) and the English names and abbreviations banks print must stand as a word of their
 * own. English names longest first, so that `bank of china` is not taken for a part of
 * `agricultural bank of china`.
 */
const CHINESE_BANK = String.raw`(?:\p{Script=Han}+?银行(?:\p{Script=Han}{1,12}?[分支]行)?|[工建农中交招]行)`;
const BANK_WORD = [
  '浦发',
  '中信',
  '民生',
  '兴业',
  '平安',
  '光大',
  '华夏',
  '邮储',
  '广发',
  'industrial and commercial bank of china',
  'postal savings bank of china',
  'shanghai pudong development bank',
  'agricultural bank of china',
  'china construction bank',
  'china merchants bank',
  'china everbright bank',
  'china minsheng bank',
  'china guangfa bank',
  'bank of communications',
  'standard chartered',
  'bank of east asia',
  'china citic bank',
  'bank of china',
  'everbright bank',
  'industrial bank',
  'minsheng bank',
  'ping an bank',
  'hua xia bank',
  'huaxia bank',
  'citic bank',
  'citibank',
  'bocom',
  'icbc',
  'spdb',
  'cmbc',
  'psbc',
  'hsbc',
  'citic',
  'cmb',
  'ccb',
  'boc',
  'abc',
  'bcm',
  'cib',
  'pab',
  'ceb',
  'hxb',
  'cgb',
].join('|');
/** What may stand between a bank's name and the serial besides a space (after NFKC, `：` is `:` and `，` is `,`). */
const SEPARATOR = String.raw`\s*[:;,/|、·]\s*`;
/**
 * A leading bank name and what separates it from the serial (`CMB CMB-0042`, `招商银行：CMB-0042`,
 * `招商银行CMB-0042`; never the `CMB-` of `CMB-0042`, the serial's own prefix), when something
 * follows.
 */
const LEADING_BANK = new RegExp(String.raw`^(?:${CHINESE_BANK}(?:${SEPARATOR}|\s*)|(?:${BANK_WORD})(?:${SEPARATOR}|\s+))(?=\S)`, 'u');

/** NFKC, case-folded (see `bankReferenceKey`), white space collapsed and trimmed. */
function folded(reference: string): string {
  return reference.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

/** `key` without the bank names before the serial (`LEADING_BANK`), as long as something is left. */
function withoutLeadingBanks(key: string): string {
  for (let bank = LEADING_BANK.exec(key); bank; bank = LEADING_BANK.exec(key)) key = key.slice(bank[0].length);
  return key;
}

/**
 * The key under which two bank-transfer references are the same transfer: what the buyer typed
 * (`招商银行 CMB-20261130-0042`), with the differences a keyboard or a copy from a bank's app
 * makes taken out: NFKC (full-width `ＣＭＢ－００４２` and the ideographic space become ASCII),
 * white space trimmed and collapsed to one space, letters case-folded, and the Cyrillic and Greek
 * letters and the dashes that look like ASCII ones made those (`asciiLookAlikes`: `СМВ–0042` is
 * `cmb-0042`). Punctuation and digits stay: `CMB-0042` and `CMB0042` are not assumed to be one
 * transfer.
 *
 * The name of the bank before the serial is not part of the transfer either: a buyer writes it
 * or leaves it out (`招商银行 CMB-20261130-0042`, `CMB-20261130-0042`, `China Merchants Bank
 * CMB-20261130-0042`, `招商银行：CMB-...`), so leading bank names are taken off (see
 * `LEADING_BANK`), one after another, as long as something is left. A prefix inside the serial
 * stays (`CMB-` of `CMB-20261130-0042`), and so do names that are all there is (`招商银行`).
 * Two banks printing the same serial would meet too; a serial carries its bank's prefix.
 *
 * JavaScript has no case folding; upper then lower case folds as Unicode's full case folding
 * does for what a reference holds (`ß` and `SS` to `ss`, final `ς` to `σ`), and NFKC again
 * afterwards keeps the key in normal form, so the key of a key is itself (the look-alikes become
 * ASCII, which every step leaves as it is).
 *
 * The TopUpReferences migration keyed the top-ups before it with this function,
 * TopUpReferencesWithoutBankNames keyed them again when bank names were taken off, and
 * TopUpReferenceLookAlikes when look-alikes were folded: changing what it returns needs a
 * migration that keys every top-up again, or old and new keys never meet.
 */
export function bankReferenceKey(reference: string): string {
  return withoutLeadingBanks(asciiLookAlikes(folded(reference)));
}

/**
 * The key as it was before look-alikes were folded (TopUpReferenceLookAlikes1764960000000 keys
 * the top-ups with it again on its way down).
 */
export function bankReferenceKeyKeepingLookAlikes(reference: string): string {
  return withoutLeadingBanks(folded(reference));
}
