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

/**
 * Characters that show as an ASCII letter, digit or hyphen-minus and are not one, and what they
 * show. NFKC leaves them as they are: they are letters of other scripts, and dashes of their own,
 * not compatibility forms. A buyer who types `СМВ-20261130-0042` on a Russian keyboard layout
 * (Cyrillic С М В), or pastes it from a document that set its hyphens as `‐` or `–`, shows the
 * operator the serial of a transfer credited already, and was credited a second time for it.
 *
 * Small letters only: the key is case-folded before this table is read, so `С` reaches it as
 * `с`. Each small letter of a script goes where its capital does, so that `СМВ` and `смв` stay
 * one key, as `CMB` and `cmb` are: Cyrillic `н` is `h` and Greek `ν` is `n` although only their
 * capitals look so. Kept small and explicit, the look-alikes a keyboard layout or a word
 * processor actually produces (after Unicode's confusables.txt): Cyrillic а в с е һ і ј к м о р
 * ԛ ѕ т у х ү ԁ ԝ and з (a 3), Greek α β ε ζ η ι κ μ ν ο ρ τ υ χ and ϳ; the hyphens, dashes and
 * minus signs. Nothing Chinese is in it (`一` stays `一`): a Chinese remark keys as it was.
 */
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  // Cyrillic small letters (the capitals fold to them first): А В С Е Һ І Ј К М О Р Ԛ Ѕ Т У Х Ү Ԁ Ԝ З.
  '\u0430': 'a', // а
  '\u0432': 'b', // в
  '\u0441': 'c', // с
  '\u0501': 'd', // ԁ
  '\u0435': 'e', // е
  '\u04bb': 'h', // һ
  '\u043d': 'h', // н, the small letter of Н
  '\u0456': 'i', // і
  '\u0458': 'j', // ј
  '\u043a': 'k', // к
  '\u043c': 'm', // м
  '\u043e': 'o', // о
  '\u0440': 'p', // р
  '\u051b': 'q', // ԛ
  '\u0455': 's', // ѕ
  '\u0442': 't', // т
  '\u051d': 'w', // ԝ
  '\u0445': 'x', // х
  '\u0443': 'y', // у
  '\u04af': 'y', // ү
  '\u0437': '3', // з
  // Greek small letters (the capitals fold to them first): Α Β Ε Ζ Η Ι Κ Μ Ν Ο Ρ Τ Υ Χ Ϳ.
  '\u03b1': 'a', // α
  '\u03b2': 'b', // β
  '\u03b5': 'e', // ε
  '\u03b6': 'z', // ζ
  '\u03b7': 'h', // η, the small letter of Η
  '\u03b9': 'i', // ι
  '\u03f3': 'j', // ϳ
  '\u03ba': 'k', // κ
  '\u03bc': 'm', // μ (NFKC makes the micro sign µ one)
  '\u03bd': 'n', // ν, the small letter of Ν
  '\u03bf': 'o', // ο
  '\u03c1': 'p', // ρ
  '\u03c4': 't', // τ
  '\u03c5': 'y', // υ, the small letter of Υ
  '\u03c7': 'x', // χ
  // Hyphens, dashes and minus signs. NFKC makes U+2011 a U+2010, and U+FE63 and U+FF0D a `-`
  // already; they are listed all the same, as the dashes a buyer's `-` may arrive as.
  '\u2010': '-', // hyphen
  '\u2011': '-', // non-breaking hyphen
  '\u2012': '-', // figure dash
  '\u2013': '-', // en dash
  '\u2014': '-', // em dash
  '\u2015': '-', // horizontal bar
  '\u2212': '-', // minus sign
  '\ufe58': '-', // small em dash
  '\ufe63': '-', // small hyphen-minus
  '\uff0d': '-', // full-width hyphen-minus
};
const LOOK_ALIKE = new RegExp(`[${Object.keys(LOOK_ALIKES).join('')}]`, 'gu');

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
 * letters and the dashes that look like ASCII ones made those (`LOOK_ALIKES`: `СМВ–0042` is
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
  return withoutLeadingBanks(folded(reference).replace(LOOK_ALIKE, (c) => LOOK_ALIKES[c]));
}

/**
 * The key as it was before look-alikes were folded (TopUpReferenceLookAlikes1764960000000 keys
 * the top-ups with it again on its way down).
 */
export function bankReferenceKeyKeepingLookAlikes(reference: string): string {
  return withoutLeadingBanks(folded(reference));
}
