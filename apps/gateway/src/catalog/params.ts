import { CommonErrorCode } from '@trove/contracts';
import { ServiceException } from '@trove/platform';
import { ParseUUIDPipe } from '@nestjs/common';

/**
 * A path id that is not a UUID is a 400 naming it, never a lookup; its problem reads as a query
 * field's does (`id must be a UUID`), not as the pipe's own words.
 */
export const uuidParam = (name: string) =>
  new ParseUUIDPipe({
    exceptionFactory: () => {
      const problem = `${name} must be a UUID`;
      return new ServiceException(CommonErrorCode.VALIDATION_FAILED, `${name}: ${problem}`, [{ field: name, problems: [problem] }]);
    },
  });
