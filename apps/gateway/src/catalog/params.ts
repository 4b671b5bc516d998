import { ParseUUIDPipe } from '@nestjs/common';
import { validationFailedFor } from '../openapi/params';

/** A path id that is not a UUID is a 400 naming it, never a lookup. */
export const uuidParam = (name: string) => new ParseUUIDPipe({ exceptionFactory: validationFailedFor(name) });
