/**
 * Characters that show as an ASCII letter, digit or hyphen-minus and are not one, and what they
 * show. NFKC leaves them as they are: they are letters of other scripts, and dashes of their own,
 * not compatibility forms. A buyer who types `СМВ-20261130-0042` on a Russian keyboard layout
 * (Cyrillic С М В), or pastes it from a document that set its hyphens as `‐` or `–`, shows the
 * operator the serial of a transfer credited already, and was credited a second time for it; a
 * vendor that names itself `Dаtatang` (Cyrillic а) reads to a buyer as Datatang.
 *
 * Small letters only: a key is case-folded before this table is read, so `С` reaches it as
 * `с`. Each small letter of a script goes where its capital does, so that `СМВ` and `смв` stay
 * one key, as `CMB` and `cmb` are: Cyrillic `н` is `h` and Greek `ν` is `n` although only their
 * capitals look so. Kept small and explicit, the look-alikes a keyboard layout or a word
 * processor actually produces (after Unicode's confusables.txt): Cyrillic а в с е һ і ј к м о р
 * ԛ ѕ т у х ү ԁ ԝ and з (a 3), Greek α β ε ζ η ι κ μ ν ο ρ τ υ χ and ϳ; the hyphens, dashes and
 * minus signs. Nothing Chinese is in it (`一` stays `一`): Chinese text keys as it was.
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

/**
 * `folded` (already case-folded: small letters) with each look-alike of an ASCII letter, digit or
 * hyphen-minus made that character (`LOOK_ALIKES`): `смв–0042` is `cmb-0042`. Top-up references
 * (billing's `bankReferenceKey`) and vendor names (the catalog's `nameKey`) are compared by it;
 * changing the table changes their keys (see each of them before doing so).
 */
export function asciiLookAlikes(folded: string): string {
  return folded.replace(LOOK_ALIKE, (c) => LOOK_ALIKES[c]);
}
