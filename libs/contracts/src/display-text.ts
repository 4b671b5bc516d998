import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { BLANK_CHARACTER, codePointName, INVISIBLE_CHARACTER } from '@trove/dataset';

/**
 * C0 and C1 controls and the line and paragraph separators. A title holding ESC sequences
 * recolours an operator's terminal; a BEL or a backspace shows one thing and stores another.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/**
 * The same, but tabs and line breaks (LF, or CR LF), which a description or a changelog may hold.
 * A CR on its own is refused: in a terminal it sends the cursor back over the line just shown.
 */
const CONTROL_IN_PROSE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]|\r(?!\n)/;
/**
 * Bidirectional embeddings, overrides and isolates reorder the text around them: a title
 * `普通话 1,000 小时\u202E000,01` shows a volume it does not hold, a vendor name reads as another
 * vendor's. The marks (LRM, RLM, ALM) reorder nothing by themselves and are left alone.
 */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * The one use of tag characters in text: the flags of England, Scotland and Wales (🏴 + the tags
 * `gbeng`, `gbsct` or `gbwls` + CANCEL TAG). Any other run of tags after 🏴 is hidden text.
 */
const TAG_FLAG = /\u{1f3f4}(?:\u{e0067}\u{e0062}(?:\u{e0065}\u{e006e}\u{e0067}|\u{e0073}\u{e0063}\u{e0074}|\u{e0077}\u{e006c}\u{e0073}))\u{e007f}/gu;
/**
 * More combining marks on one character than any script writes (Vietnamese stacks two, Hebrew
 * with its cantillation and a Tibetan stack four or five): `Z̷̢̛̛͓̝a̸l̶g̷o̸`-style text piled
 * above and below its line covers the lines around it in every list that shows it.
 */
export const MAX_MARKS_PER_CHARACTER = 8;
const STACKED_MARKS = new RegExp(`\\p{M}{${MAX_MARKS_PER_CHARACTER + 1},}`, 'u');

/**
 * A character that shows something: an assigned letter, number, punctuation or symbol
 * (`\p{L}`, `\p{N}`, `\p{P}`, `\p{S}`: never unassigned, private-use, a surrogate, a format
 * character or white space), but for those drawn as nothing (`BLANK_CHARACTER`: the Hangul
 * fillers, the blank braille cell) and U+FFFC OBJECT REPLACEMENT CHARACTER, which stands for an
 * object the text does not hold. A combining mark shows only on such a base, so it never counts
 * by itself: `\u0301\u0301`, `\uE000\uE001` and `\u0378` show nothing a reader can name.
 */
const VISIBLE = new RegExp(`(?!${BLANK_CHARACTER.source}|\\uFFFC)[\\p{L}\\p{N}\\p{P}\\p{S}]`, 'u');

/**
 * Private-use code points (U+E000-U+F8FF, planes 15 and 16) show as a box, or as whatever glyph
 * a font puts there, so a name holding one reads differently on each screen. In this market they
 * mostly come from text converted by older GBK and GB 18030 converters, which mapped characters
 * Unicode has since assigned to them (U+E81E for 䶮). Refused in one-line text (titles, names, addresses),
 * which identifies; prose is left alone.
 */
const PRIVATE_USE = /\p{Co}/u;

/**
 * `line`: one line. `prose`: several lines and tabs are part of it. `address`: one line that a
 * reader must be able to copy as it reads (an email address), so not even the characters text
 * keeps for scripts and emoji (`BLANK_CHARACTER`: directional marks, joiners, variation selectors).
 */
export type TextKind = 'line' | 'prose' | 'address';

/**
 * What is wrong with a text another party reads (a listing's title, a vendor's name, a vendor's
 * reason for rejecting a buyer's access request); empty when nothing. The catalog holds its
 * listings to it, and contracts carrying such text to their fields with `@DisplayText()`.
 */
export function displayTextProblems(text: string, kind: TextKind = 'line'): string[] {
  const problems: string[] = [];
  if ((kind === 'prose' ? CONTROL_IN_PROSE : CONTROL).test(text)) {
    problems.push(kind === 'prose' ? 'must not contain control characters (tabs and line breaks are fine)' : 'must not contain control characters or line breaks');
  }
  if (BIDI_CONTROL.test(text)) problems.push('must not contain bidirectional embedding, override or isolate characters (U+202A-U+202E, U+2066-U+2069)');
  if (INVISIBLE_CHARACTER.test(text.replace(TAG_FLAG, ''))) {
    problems.push(
      'must not contain invisible characters (format characters such as U+200B, U+2060-U+2064, U+00AD, U+FEFF, tag characters; Hangul fillers, the Khmer inherent vowels U+17B4 and U+17B5 and other default-ignorable characters)',
    );
  }
  if (STACKED_MARKS.test(text)) problems.push(`must not stack more than ${MAX_MARKS_PER_CHARACTER} combining marks on one character`);
  const visible = VISIBLE.test(text);
  if (text.length > 0 && !visible) {
    problems.push('must show something: it holds only spaces, invisible characters, combining marks with no letter under them, private-use or unassigned characters');
  }
  const privateUse = kind === 'prose' || !visible ? null : PRIVATE_USE.exec(text);
  if (privateUse) {
    problems.push(
      `must not contain private-use characters (${codePointName(privateUse[0])} here): they show as a box, or as another glyph in each font; older GBK and GB 18030 converters put them for characters Unicode has since assigned`,
    );
  }
  if (kind === 'address' && BLANK_CHARACTER.test(text)) problems.push('must not contain invisible characters (directional marks, joiners, variation selectors)');
  return problems;
}

/**
 * A string field that another party reads, held to `displayTextProblems` (a value that is not
 * a string is left to `@IsString`). The gateway's DTO and the NATS contract both carry it, so
 * the rule is the same at both edges.
 */
export function DisplayText(kind: TextKind = 'line', options?: ValidationOptions): PropertyDecorator {
  const problems = (value: unknown) => (typeof value === 'string' ? displayTextProblems(value, kind) : []);
  return (target, propertyName) =>
    registerDecorator({
      name: 'isDisplayText',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => problems(value).length === 0,
        defaultMessage: (args: ValidationArguments) => problems(args.value).map((problem) => `${args.property} ${problem}`).join(', '),
      },
    });
}

/** A field whose text breaks the rule, as a 400 names it: `speech.dialects.0`. */
export interface DisplayTextField {
  field: string;
  problems: string[];
}

/**
 * Every string of `value` that breaks the rule, walking nested objects and lists. `prose` names
 * the top-level fields that may hold line breaks; every other string is one line.
 */
export function displayTextFields(value: unknown, prose: readonly string[] = []): DisplayTextField[] {
  const fields: DisplayTextField[] = [];
  const visit = (node: unknown, path: string, kind: TextKind): void => {
    if (typeof node === 'string') {
      const problems = displayTextProblems(node, kind);
      if (problems.length > 0) fields.push({ field: path, problems: problems.map((p) => `${path} ${p}`) });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}.${i}`, kind));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) visit(child, path ? `${path}.${key}` : key, path === '' && prose.includes(key) ? 'prose' : kind);
    }
  };
  visit(value, '', 'line');
  return fields;
}

const TEXT_THROUGHOUT = new WeakMap<object, readonly string[]>();

/**
 * A class every string of which, however deeply nested, is text buyers read (a listing): the
 * validation that checks it (the gateway's pipe, a service's `validateMessage`) holds each string
 * to the rule in the same pass as the class's own rules, so one answer names every bad field.
 * `prose`: the top-level fields that may hold line breaks.
 */
export function DisplayTextThroughout(prose: readonly string[] = []): ClassDecorator {
  return (target) => {
    TEXT_THROUGHOUT.set(target, prose);
  };
}

/** The prose fields of a class marked `@DisplayTextThroughout`, or undefined when it is not. */
export function displayTextThroughout(cls: unknown): readonly string[] | undefined {
  // A subclass (the gateway's body class of a contract) is marked as its parent is.
  for (let c = cls; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const prose = TEXT_THROUGHOUT.get(c);
    if (prose) return prose;
  }
  return undefined;
}
