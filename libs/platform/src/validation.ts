import { CommonErrorCode } from '@trove/contracts';
import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { ServiceException } from './problem';

/** The same rules at both edges: unknown fields are refused, not silently dropped. */
export const VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
};

export function fieldErrors(errors: ValidationError[], parent = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return own.concat(fieldErrors(error.children ?? [], field));
  });
}

export function validationFailed(errors: ValidationError[]): ServiceException {
  const fields = fieldErrors(errors);
  const summary = fields.map((f) => `${f.field}: ${f.problems.join(', ')}`).join('; ');
  return new ServiceException(CommonErrorCode.VALIDATION_FAILED, summary || 'The input is invalid.', fields);
}

/** The gateway's pipe for HTTP bodies, params and queries. */
export function httpValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    ...VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => validationFailed(errors),
  });
}

/** Validates a message received over NATS against its contract class. */
export function validateMessage<T extends object>(cls: new () => T, payload: unknown): T {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'The message payload must be a JSON object.');
  }
  const instance = plainToInstance(cls, payload);
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  if (errors.length > 0) throw validationFailed(errors);
  return instance;
}
