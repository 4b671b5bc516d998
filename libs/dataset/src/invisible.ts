/**
 * Characters that show nothing: every format character (`\p{Cf}`: the zero-width space, the word
 * joiner, the invisible operators U+2061-U+2064, the soft hyphen, the Mongolian vowel separator,
 * a BOM inside text, the interlinear annotation marks, the musical formatting marks, the tag
 * characters outside a flag emoji) and the default-ignorable letters and marks that render as
 * blanks (the combining grapheme joiner, the Hangul fillers). `Spe\u200Bech` and `Speech\u2062`
 * look like `Speech` and are other titles, so two listings or vendors read alike while search and
 * uniqueness tell them apart. Left alone, since scripts and emoji need them: ZWJ and ZWNJ, the
 * directional marks LRM, RLM and ALM (they reorder nothing by themselves), the variation
 * selectors and the Mongolian free variation selectors. The bidirectional controls are left to
 * a rule of their own. Display text (`@trove/contracts`) and file paths both refuse these
 * characters: `data/a\u200B.txt` lists as `data/a.txt`, beside the real one.
 */
export const INVISIBLE_CHARACTER = /(?![\u200c\u200d\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069])[\p{Cf}\u034f\u115f\u1160\u3164\uffa0]/u;
