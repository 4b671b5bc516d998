import { CommonErrorCode } from '@trove/contracts';
import { ServiceException } from '@trove/platform';

/** A path parameter that is not what the route expects is a 400 that names it. */
export function validationFailedFor(field: string) {
  return (problem: string) =>
    new ServiceException(CommonErrorCode.VALIDATION_FAILED, `${field}: ${problem}`, [{ field, problems: [problem] }]);
}
