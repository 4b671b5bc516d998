import { CommonErrorCode, displayTextFields, displayTextProblems, type TextKind } from '@trove/contracts';
import { MAX_REPORTED_FIELDS, ServiceException } from '@trove/platform';

// The rule itself is shared with the contracts (libs/contracts display-text), which hold other
// text buyers read to it, such as a vendor's reason for rejecting an access request.
export { displayTextProblems, type TextKind };

/**
 * Refuses (400 VALIDATION_FAILED naming every field) the strings of `value` that break the rule,
 * walking nested objects and lists: `speech.dialects.0`. `prose` names the top-level fields
 * that may hold line breaks.
 */
export function assertDisplayText(value: unknown, prose: readonly string[] = []): void {
  const errors = displayTextFields(value, prose);
  if (errors.length > 0) {
    const named = errors.slice(0, MAX_REPORTED_FIELDS);
    const more = errors.length - named.length;
    const summary = named.map((e) => e.problems.join(', ')).join('; ') + (more > 0 ? `; and ${more} more fields` : '');
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, summary, named);
  }
}
