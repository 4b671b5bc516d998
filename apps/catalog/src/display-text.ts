import { CommonErrorCode } from '@trove/contracts';
import { MAX_REPORTED_FIELDS, ServiceException } from '@trove/platform';

/**
 * C0 and C1 controls and the line and paragraph separators. A title holding ESC sequences
 * recolours an operator's terminal; a BEL or a backspace shows one thing and stores another.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** The same, but tabs and line breaks, which a description or a changelog may hold. */
const CONTROL_IN_PROSE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/;
/**
 * Bidirectional embeddings, overrides and isolates reorder the text around them: a title
 * `普通话 1,000 小时\u202E000,01` shows a volume it does not hold, a vendor name reads as another
 * vendor's. The marks (LRM, RLM, ALM) reorder nothing by themselves and are left alone.
 */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/** Fields that are prose: several lines and tabs are part of them. */
export type TextKind = 'line' | 'prose';

/** What is wrong with a text buyers read (a title, a tag, a vendor's name); empty when nothing. */
export function displayTextProblems(text: string, kind: TextKind = 'line'): string[] {
  const problems: string[] = [];
  if ((kind === 'prose' ? CONTROL_IN_PROSE : CONTROL).test(text)) {
    problems.push(kind === 'prose' ? 'must not contain control characters (tabs and line breaks are fine)' : 'must not contain control characters or line breaks');
  }
  if (BIDI_CONTROL.test(text)) problems.push('must not contain bidirectional embedding, override or isolate characters (U+202A-U+202E, U+2066-U+2069)');
  return problems;
}

/**
 * Refuses (400 VALIDATION_FAILED naming every field) the strings of `value` that break the rule,
 * walking nested objects and lists: `speech.dialects.0`. `prose` names the top-level fields
 * that may hold line breaks.
 */
export function assertDisplayText(value: unknown, prose: readonly string[] = []): void {
  const errors: { field: string; problems: string[] }[] = [];
  const visit = (node: unknown, path: string, kind: TextKind): void => {
    if (typeof node === 'string') {
      const problems = displayTextProblems(node, kind);
      if (problems.length > 0) errors.push({ field: path, problems: problems.map((p) => `${path} ${p}`) });
    } else if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}.${i}`, kind));
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) visit(child, path ? `${path}.${key}` : key, path === '' && prose.includes(key) ? 'prose' : kind);
    }
  };
  visit(value, '', 'line');
  if (errors.length > 0) {
    const named = errors.slice(0, MAX_REPORTED_FIELDS);
    const more = errors.length - named.length;
    const summary = named.map((e) => e.problems.join(', ')).join('; ') + (more > 0 ? `; and ${more} more fields` : '');
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, summary, named);
  }
}
