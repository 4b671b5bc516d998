import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { CommonErrorCode } from '@trove/contracts';
import { ServiceException, toProblem } from './problem';

describe('toProblem', () => {
  it('answers a typed service error with its code and status', () => {
    const problem = toProblem(new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, 'The catalog service is not running.'), 'c-1');
    expect(problem).toEqual({
      type: 'urn:problem:trove:service-unavailable',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The catalog service is not running.',
      code: 'SERVICE_UNAVAILABLE',
      correlationId: 'c-1',
    });
  });

  it('keeps field errors of a validation failure', () => {
    const errors = [{ field: 'contactEmail', problems: ['contactEmail must be an email'] }];
    expect(toProblem(new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'invalid', errors), 'c').errors).toEqual(errors);
  });

  it.each([
    [new NotFoundException('Cannot GET /v1/nothing'), 404, 'NOT_FOUND'],
    [new BadRequestException(), 400, 'VALIDATION_FAILED'],
    [new PayloadTooLargeException(), 413, 'PAYLOAD_TOO_LARGE'],
    [Object.assign(new Error('Body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' }), 400, 'VALIDATION_FAILED'],
    [Object.assign(new Error('Request body is too large'), { statusCode: 413 }), 413, 'PAYLOAD_TOO_LARGE'],
    [Object.assign(new Error('Unsupported Media Type: text/csv'), { statusCode: 415 }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ])('maps %p to %i %s', (error, status, code) => {
    expect(toProblem(error, 'c')).toMatchObject({ status, code });
  });

  it('hides what an unknown error says: it may be SQL or a stack', () => {
    const problem = toProblem(new Error('duplicate key value violates unique constraint "organization_pkey"'), 'c-9');
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL', correlationId: 'c-9' });
    expect(problem.detail).not.toContain('organization_pkey');
  });

  it('does not trust a 5xx statusCode from a foreign error', () => {
    expect(toProblem(Object.assign(new Error('upstream exploded'), { statusCode: 502 }), 'c')).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('rebuilds a wire error, falling back to INTERNAL for a code it does not know', () => {
    expect(ServiceException.from({ code: CommonErrorCode.CONFLICT, message: 'taken', status: 409 })).toMatchObject({ code: 'CONFLICT', status: 409 });
    expect(ServiceException.from({ code: 'FROM_THE_FUTURE' as CommonErrorCode, message: 'x', status: 418 })).toMatchObject({ code: 'INTERNAL', status: 500 });
  });
});
