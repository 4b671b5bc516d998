import { ArrayUnique, type ValidationArguments } from 'class-validator';
import { BLANK_CHARACTER, BLANK_CHARACTER_SQL } from './invisible';

const BLANKS = new RegExp(BLANK_CHARACTER.source, 'gu');

/** White space at either end of a text, as Unicode defines it. */
const EDGE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

/**
 * A text without the white space at its ends: spaces (the ideographic one too), tabs and line
 * breaks. Unlike `String.prototype.trim`, it keeps a byte order mark (U+FEFF), which is no
 * space but an invisible character: the rules refuse it (400) at either end as they do inside a
 * text, instead of taking `\uFEFF语音` as `语音` and `\uFEFF` alone as nothing at all.
 */
export function trimSpaces(text: string): string {
  return text.replace(EDGE_SPACE, '');
}

/**
 * `@Transform`s that trim a line of text, or each of a list's, before the rules read it: the
 * spaces around a title, a name, a tag or search words are not part of them. Anything that is
 * not a string is left for the validators to refuse.
 */
export const trimLine = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? trimSpaces(value) : value);
export const trimEachLine = ({ value }: { value: unknown }): unknown => (Array.isArray(value) ? value.map((item: unknown) => (typeof item === 'string' ? trimSpaces(item) : item)) : value);

/**
 * A text as a reader reads it, the key under which two texts are one: NFKC-folded (full-width
 * `ＡＳＲ` is `ASR`, the ideographic space a space), without what shows nothing by itself
 * (`BLANK_CHARACTER`: joiners, directional marks, variation selectors), runs of white space as
 * one, trimmed, and case-folded (`ASR` is `asr`). `readAsSql` is the same key in SQL, for names
 * compared in the database. JavaScript has no case folding: upper then lower case folds as
 * Unicode's full case folding does for such text (`ß` and `SS` to `ss`), but for three letters
 * folded by hand: the final `ς`, which lower case writes at a word's end and case folding reads
 * as `σ`; `ß` (and the capital `ẞ`, which lower case keeps as `ß`) as `ss`; and `İ`, which lower
 * case writes `i` with a dot above, as `i`, as PostgreSQL does. NFKC again after it
 * keeps the key in normal form. Look-alike letters of other scripts (a Cyrillic `А`) stay apart.
 */
export function readAs(text: string): string {
  return text
    .normalize('NFKC')
    .replace(BLANKS, '')
    .replace(/\s+/gu, ' ')
    .trim()
    .toUpperCase()
    .toLowerCase()
    .replace(/ς/gu, 'σ')
    .replace(/ß/gu, 'ss')
    .replace(/i\u0307/gu, 'i')
    .normalize('NFKC');
}

/**
 * `readAs` of a text expression, in PostgreSQL: the key under which the database compares names
 * (a vendor's display name with another's, a payee's with the one paid before). Case goes through
 * the capital as in JavaScript (`lower(upper(...))`: the long `ſ` is `s`, the micro sign `µ` is
 * `μ`, the dotless `ı` is `i`), and, as `upper` maps one letter to one letter, the folds to
 * something longer are made by hand: `ß` (and `ẞ`) is `ss`, as `WEISS` is `Weiß`; a final `ς`
 * is `σ`; `İ` is `i`, not `i` with a dot above. The two keys agree (read-as-sql.test.ts) on a
 * server whose character type knows Unicode (C.UTF-8, as here and in the images); under plain
 * `C` PostgreSQL's `lower` and `upper` leave every letter outside ASCII as it is. `expression`
 * is SQL, never a value: pass values as parameters (`readAsSql('$1')`).
 */
export function readAsSql(expression: string): string {
  return `replace(translate(replace(lower(upper(btrim(regexp_replace(regexp_replace(normalize(${expression}, NFKC), '${BLANK_CHARACTER_SQL}', '', 'g'), '\\s+', ' ', 'g')))), 'ß', 'ss'), 'ς', 'σ'), U&'i\\0307', 'i')`;
}

/** The first two entries of `list` that read alike (`readAs`), or undefined. */
export function readAlike(list: readonly unknown[]): [string, string] | undefined {
  const seen = new Map<string, string>();
  for (const item of list) {
    if (typeof item !== 'string') continue;
    const key = readAs(item);
    const first = seen.get(key);
    if (first !== undefined) return [first, item];
    seen.set(key, item);
  }
  return undefined;
}

/** An entry as a message names it: quoted, and cut when long (a certification may take 200 characters). */
function quoted(text: string): string {
  const characters = [...text];
  return JSON.stringify(characters.length > 60 ? `${characters.slice(0, 60).join('')}…` : text);
}

/**
 * A list of strings none of which is another as a reader reads it (`readAs`): `普通话` and
 * `普通话 `, `ASR` and `ａｓｒ` are one tag given twice, where `@ArrayUnique()` compared them
 * exactly and took both, so a listing showed the same tag twice and a vendor the same
 * certification. The rule is `@ArrayUnique`'s (its name, its 400 naming the field), with the
 * entries compared by their key; the message names the two that read alike. Entries that are not
 * strings are compared as they are, and left to `@IsString`.
 */
export function NoneReadAlike(what: string): PropertyDecorator {
  return ArrayUnique((item: unknown) => (typeof item === 'string' ? readAs(item) : item), {
    message: ({ property, value }: ValidationArguments) => {
      const pair = Array.isArray(value) ? readAlike(value) : undefined;
      const named = !pair ? '' : pair[0] === pair[1] ? `: ${quoted(pair[0])} is there twice` : `: ${quoted(pair[0])} and ${quoted(pair[1])} read as one`;
      return `${property} must not name ${what} twice${named} (compared trimmed, NFKC-folded, full-width letters as ASCII, and case-insensitive)`;
    },
  });
}
