import { ParseUUIDPipe } from '@nestjs/common';
import { fieldError } from '@trove/platform';

/**
 * A path id that is not a UUID is a 400 naming it, never a lookup; its problem reads as a query
 * field's does (`id must be a UUID`), not as the pipe's own words.
 */
export const uuidParam = (name: string) => new ParseUUIDPipe({ exceptionFactory: () => fieldError(name, `${name} must be a UUID`) });
