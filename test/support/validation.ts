import { ServiceException, validateMessage } from '@trove/platform';

/** The fields a validation failure of `body` against `cls` names, or an empty list when the body is accepted. */
export function refusedFields(cls: new () => object, body: unknown): string[] {
  try {
    validateMessage(cls, body);
    return [];
  } catch (error) {
    if (!(error instanceof ServiceException)) throw error;
    return (error.errors ?? []).map((e) => e.field);
  }
}
