/**
 * The key under which two bank-transfer references are the same transfer: what the buyer typed
 * (`招商银行 CMB-20261130-0042`), with the differences a keyboard or a copy from a bank's app
 * makes taken out: NFKC (full-width `ＣＭＢ－００４２` and the ideographic space become ASCII),
 * white space trimmed and collapsed to one space, letters case-folded. Punctuation and digits
 * stay: `CMB-0042` and `CMB0042` are not assumed to be one transfer.
 *
 * JavaScript has no case folding; upper then lower case folds as Unicode's full case folding
 * does for what a reference holds (`ß` and `SS` to `ss`, final `ς` to `σ`), and NFKC again
 * afterwards keeps the key in normal form, so the key of a key is itself.
 *
 * The TopUpReferences migration keyed the top-ups before it with this function: changing what
 * it returns needs a migration that keys every top-up again, or old and new keys never meet.
 */
export function bankReferenceKey(reference: string): string {
  return reference.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}
