/**
 * Characters that show nothing: every format character (`\p{Cf}`: the zero-width space, the word
 * joiner, the invisible operators U+2061-U+2064, the soft hyphen, the Mongolian vowel separator,
 * a BOM inside text, the interlinear annotation marks, the musical formatting marks, the tag
 * characters outside a flag emoji) and every other default-ignorable code point, which a font
 * draws as nothing (`\p{Default_Ignorable_Code_Point}`: the combining grapheme joiner, the Hangul
 * fillers, the Khmer inherent vowels U+17B4 and U+17B5, which Unicode keeps for compatibility
 * only, and the code points reserved as default-ignorable, such as U+2065 and U+FFF0-U+FFF8,
 * which a renderer hides before it knows them). Named one by one, the letters and marks among
 * them slipped through (U+17B4 is a mark, as U+034F is). `Spe\u200Bech` and `Speech\u2062` look
 * like `Speech` and are other titles, so two listings or vendors read alike while search and
 * uniqueness tell them apart.
 *
 * Left alone, since scripts and emoji need them: ZWJ and ZWNJ (emoji sequences, Persian and Indic
 * words), the directional marks LRM, RLM and ALM (they reorder nothing by themselves), the
 * variation selectors (an emoji's presentation; the ideographic variation sequences of
 * U+E0100-U+E01EF, which write a person's or a place's Han character as registered) and the
 * Mongolian free variation selectors (a Mongolian letter's form). The bidirectional controls are
 * left to a rule of their own. Display text (`@trove/contracts`) and file paths both refuse
 * these characters: `data/a\u200B.txt` lists as `data/a.txt`, beside the real one.
 */
export const INVISIBLE_CHARACTER =
  /(?![\u200c-\u200f\u061c\u202a-\u202e\u2066-\u2069\u180b-\u180d\u180f\ufe00-\ufe0f\u{e0100}-\u{e01ef}])[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

/**
 * Every character that shows nothing by itself: the default-ignorable characters (those of
 * `INVISIBLE_CHARACTER`, and those text keeps for its scripts and emoji: ZWJ, ZWNJ, the
 * directional marks, variation selectors, Mongolian free variation selectors) and the blank
 * braille cell. Text may hold some of them; what a reader tells apart by sight cannot: a file's
 * path, an email address, a vendor's name compared with another's.
 */
export const BLANK_CHARACTER = /[\p{Default_Ignorable_Code_Point}\u2800]/u;

/**
 * `BLANK_CHARACTER` as a class of PostgreSQL's regular expressions, whose engine knows no
 * `\p{...}`: the same code points, written out (invisible.spec.ts holds the two equal).
 */
export const BLANK_CHARACTER_SQL =
  '[\\u00AD\\u034F\\u061C\\u115F-\\u1160\\u17B4-\\u17B5\\u180B-\\u180F\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F\\u2800\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF0-\\uFFF8\\U0001BCA0-\\U0001BCA3\\U0001D173-\\U0001D17A\\U000E0000-\\U000E0FFF]';

/** A character as it is named in a problem: `U+200D`, at least four hex digits. */
export function codePointName(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
