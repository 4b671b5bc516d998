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

/** Decimal digits of every script as ASCII digits (`٢` and `२` are `2`); NFKC leaves them as they are. */
function asciiDigits(key: string): string {
  return key.replace(/\p{Nd}/gu, (digit) => {
    // Unicode keeps each script's digits 0-9 in ten consecutive code points: a digit's value is
    // its distance from the start of its run, counted in tens (runs of several scripts' digits
    // back to back, as the mathematical ones, start at a zero each).
    let start = digit.codePointAt(0)!;
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start -= 1;
    return String((digit.codePointAt(0)! - start) % 10);
  });
}

/** Letters and digits joined by punctuation or white space: a serial as buyers type it (`cmb - 20261130_0042`). */
const RUN = /[a-z0-9]+(?:[\s\-_./:#]+[a-z0-9]+)*/g;
const RUN_PARTS = /[\s\-_./:#]+/;
/** Words a buyer writes before the serial to say what it is (`Ref: CMB-...`, `No.CMB-...`). */
const LABELS = new Set(['ref', 'reference', 'no', 'nr', 'serial', 'txn', 'trx']);
/** A serial holds at least this many digits; shorter numbers are kept as they are typed. */
const SERIAL_DIGITS = 6;

/**
 * The serial in one run of letters and digits (its parts), or null when it holds fewer than SERIAL_DIGITS
 * digits: its parts from the last one without digits before the first one with digits (the
 * serial's own prefix, `cmb` of `cmb-20261130-0042`; labels such as `ref` left out), to the last
 * one with digits (a remark after it is not the serial), joined without the punctuation and
 * white space between them. In it, `o`, `l` and `i` next to digits are the digits they look like
 * (`2o26ll30` is `20261130`).
 */
function serialOf(parts: string[]): string | null {
  const first = parts.findIndex((part) => /\d/.test(part));
  if (first < 0) return null;
  let last = parts.length - 1;
  while (!/\d/.test(parts[last])) last -= 1;
  const serial = parts
    .slice(first > 0 ? first - 1 : first, last + 1)
    .join('')
    .replace(/[0-9oli]+/g, (letters) => (/\d/.test(letters) ? letters.replace(/o/g, '0').replace(/[li]/g, '1') : letters));
  return (serial.match(/\d/g)?.length ?? 0) >= SERIAL_DIGITS ? serial : null;
}

/**
 * The serials in one run of letters and digits: one (`serialOf`), or several where the run is
 * serials written one after another (`CMB-20261207-0042 CMB-20261207-0042`, `ICBC-20261208-3317
 * / CMB-20261207-0099`): it is cut before a part without digits that follows one with digits,
 * where both sides hold a serial. A part without digits inside one serial (`HSBC-2026-HK-000123`,
 * whose `hsbc2026` holds no serial) does not cut it.
 */
function serialsOf(parts: string[]): string[] {
  const serials: string[] = [];
  let start = 0;
  for (let i = 1; i < parts.length; i++) {
    if (/\d/.test(parts[i]) || !/\d/.test(parts[i - 1])) continue;
    const head = serialOf(parts.slice(start, i));
    if (head !== null && serialOf(parts.slice(i)) !== null) {
      serials.push(head);
      start = i;
    }
  }
  const last = serialOf(parts.slice(start));
  return last === null ? serials : [...serials, last];
}

/** A run's parts, labels left out. */
const partsOf = (run: string) => run.split(RUN_PARTS).filter((part) => !LABELS.has(part));

/**
 * The reference folded (NFKC, case, look-alikes, digits) and the serials in it, as typed (each
 * run one serial, when `cut` is false, as before TopUpTransferKeys1766100000000).
 * Serials are looked for before bank names are taken off: in `CMB 20261130 0042` the `CMB` is
 * the serial's prefix, as in `CMB-20261130-0042`, and the parts before a serial's prefix
 * (`China Merchants Bank`) are left out of it anyway.
 */
function readSerials(reference: string, cut = true): { read: string; serials: string[] } {
  const read = asciiDigits(asciiLookAlikes(folded(reference)));
  const runs = (read.match(RUN) ?? []).map(partsOf);
  return { read, serials: runs.flatMap((parts) => (cut ? serialsOf(parts) : [serialOf(parts)].filter((serial) => serial !== null))) };
}

/**
 * The key under which two bank-transfer references are the same transfer: what the buyer typed
 * (`招商银行 CMB-20261130-0042`), with the differences a keyboard or a copy from a bank's app
 * makes taken out: NFKC (full-width `ＣＭＢ－００４２` and the ideographic space become ASCII),
 * white space trimmed and collapsed to one space, letters case-folded, the Cyrillic and Greek
 * letters and the dashes that look like ASCII ones made those (`asciiLookAlikes`: `СМВ–0042` is
 * `cmb-0042`), and the digits of every script made ASCII ones (`٢` is `2`).
 *
 * The name of the bank before the serial is not part of the transfer either: a buyer writes it
 * or leaves it out (`招商银行 CMB-20261130-0042`, `CMB-20261130-0042`, `China Merchants Bank
 * CMB-20261130-0042`, `招商银行：CMB-...`), so leading bank names are taken off (see
 * `LEADING_BANK`), one after another, as long as something is left.
 *
 * A reference that holds a serial (a run of letters and digits with at least SERIAL_DIGITS
 * digits, see `serialOf`) is keyed by its serials alone, letters and digits only, each once and
 * in order (`bankTransferKeys`): the bank's statement prints one serial per transfer, and the same
 * serial typed `CMB-20261130-0042`, `CMB 20261130 0042`, `CMB_20261130_0042`,
 * `Ref: CMB-20261130-0042.`, `（CMB-20261130-0042）`, `转账 CMB-20261130-0042 货款` or
 * `CMB-2O261130-OO42` is one transfer, `cmb202611300042`. Every
 * such spelling of a transfer credited already was a second credit an operator could confirm.
 * Keying two different transfers alike costs an operator a refusal that names the other top-up;
 * keying one transfer apart costs the money. A reference without a serial (`CMB-0042`, `3月货款`)
 * is keyed whole, its punctuation and Chinese kept.
 *
 * JavaScript has no case folding; upper then lower case folds as Unicode's full case folding
 * does for what a reference holds (`ß` and `SS` to `ss`, final `ς` to `σ`), and NFKC again
 * afterwards keeps the key in normal form, so the key of a key is itself.
 *
 * The TopUpReferences migration keyed the top-ups before it with this function,
 * TopUpReferencesWithoutBankNames keyed them again when bank names were taken off,
 * TopUpReferenceLookAlikes when look-alikes were folded, TopUpReferenceSerials when serials
 * were keyed alone, and TopUpTransferKeys when they were taken once and in order: changing what
 * it returns needs a migration that keys every top-up again, or old and new keys never meet.
 */
export function bankReferenceKey(reference: string): string {
  return bankTransferKeys(reference).join(', ');
}

/**
 * The transfers a reference names, each by its key: its serials, each once and in order (see
 * `bankReferenceKey`), or the whole reference's key when it holds no serial. A reference names
 * one transfer when this is one key; filing accepts no other (`CMB-20261108-0387；
 * CMB-20261108-0388` names two, and `CMB-20261108-0387（合同号 2026120801）` a contract's number
 * beside its serial). Top-ups filed before that rule may name several: each of their keys is a
 * transfer that no other confirmed top-up may credit again.
 */
export function bankTransferKeys(reference: string): string[] {
  const { read, serials } = readSerials(reference);
  return serials.length > 0 ? [...new Set(serials)].sort() : [withoutLeadingBanks(read)];
}

/**
 * The key as it was before a reference's serials were each taken once and in order, and a run
 * of serials written one after another was one serial
 * (TopUpTransferKeys1766100000000 keys the top-ups with it again on its way down).
 */
export function bankReferenceKeyInTypedOrder(reference: string): string {
  const { read, serials } = readSerials(reference, false);
  return serials.length > 0 ? serials.join(', ') : withoutLeadingBanks(read);
}

/**
 * The key as it was before serials were keyed alone (TopUpReferenceSerials1766000000000 keys the
 * top-ups with it again on its way down).
 */
export function bankReferenceKeyBeforeSerials(reference: string): string {
  return withoutLeadingBanks(asciiLookAlikes(folded(reference)));
}

/**
 * The key as it was before look-alikes were folded (TopUpReferenceLookAlikes1764960000000 keys
 * the top-ups with it again on its way down).
 */
export function bankReferenceKeyKeepingLookAlikes(reference: string): string {
  return withoutLeadingBanks(folded(reference));
}
