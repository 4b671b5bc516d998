import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import {
  BillingErrorCode,
  CatalogErrorCode,
  CommonErrorCode,
  DeliveryErrorCode,
  ERROR_STATUS,
  GatewayErrorCode,
  isErrorStatus,
  isWireErrorCode,
  OrderingErrorCode,
  type ErrorCode,
  type ServiceError,
} from '@trove/contracts';
import { DatabaseUnavailableError } from './database-unavailable';
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

  // pg's DatabaseError, and TypeORM's QueryFailedError around a failed statement's.
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
  const failedQuery = (code: string, message: string) => Object.assign(new Error(message), { name: 'QueryFailedError', driverError: pgError(code, message) });
  it.each([
    ['every connection slot taken', pgError('53300', 'sorry, too many clients already')],
    ['the server starting up', pgError('57P03', 'the database system is starting up')],
    ['the server not listening', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111 })],
    ['the pool waiting past its connect timeout', new Error('timeout exceeded when trying to connect')],
  ])('answers a connection the pool could not give (%s) 503, to be sent again, without its message', (_case, cause) => {
    const problem = toProblem(new DatabaseUnavailableError(cause), 'c-5');
    expect(problem).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: expect.stringContaining('send it again shortly') });
    expect(problem.detail).not.toContain(cause.message);
  });

  it.each([
    ['a unique violation', failedQuery('23505', 'duplicate key value violates unique constraint "payment_pkey"')],
    ['a wrong number of parameters', failedQuery('08P01', 'bind message supplies 1 parameters, but prepared statement "" requires 2')],
    ['a session ended while a statement ran (it may have committed)', failedQuery('57P01', 'terminating connection due to administrator command')],
    ['a connection lost under a statement', new Error('Connection terminated unexpectedly')],
    ['a storage server not listening', Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:9000'), { code: 'ECONNREFUSED' })],
  ])('keeps any other failure (%s) INTERNAL', (_case, error) => {
    expect(toProblem(error, 'c')).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('does not trust a 5xx statusCode from a foreign error', () => {
    expect(toProblem(Object.assign(new Error('upstream exploded'), { statusCode: 502 }), 'c')).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('rebuilds a wire error it knows with the status its contract gives the code', () => {
    expect(ServiceException.from({ code: CommonErrorCode.CONFLICT, message: 'taken', status: 409 })).toMatchObject({ code: 'CONFLICT', status: 409, message: 'taken' });
    expect(ServiceException.from({ code: BillingErrorCode.INSUFFICIENT_FUNDS, message: '余额不足', status: 402 })).toMatchObject({ code: 'INSUFFICIENT_FUNDS', status: 402 });
  });

  it('passes on a code from a newer service with its status, as problem+json', () => {
    const error = ServiceException.from({ code: 'LICENSE_SEATS_EXHAUSTED', message: 'All 20 seats of this license are taken.', status: 409 });
    expect(error).toMatchObject({ code: 'LICENSE_SEATS_EXHAUSTED', status: 409, message: 'All 20 seats of this license are taken.' });
    expect(toProblem(error, 'c-2')).toEqual({
      type: 'urn:problem:trove:license-seats-exhausted',
      title: 'Conflict',
      status: 409,
      detail: 'All 20 seats of this license are taken.',
      code: 'LICENSE_SEATS_EXHAUSTED',
      correlationId: 'c-2',
    });
    expect(toProblem(ServiceException.from({ code: 'DATASET_EMBARGOED', message: 'x', status: 451 }), 'c')).toMatchObject({ status: 451, title: 'Unavailable For Legal Reasons' });
  });

  it.each([
    ['a status outside 400-599', { code: 'LICENSE_SEATS_EXHAUSTED', message: 'x', status: 200 }],
    ['a status that is not an integer', { code: 'LICENSE_SEATS_EXHAUSTED', message: 'x', status: '409' }],
    ['a code that is not UPPER_SNAKE_CASE', { code: 'seats-exhausted', message: 'x', status: 409 }],
    ['a code that is not a string', { code: 409, message: 'x', status: 409 }],
    ['no error at all', null],
  ])('turns a wire error with %s into INTERNAL 500', (_, wire) => {
    expect(ServiceException.from(wire as unknown as ServiceError)).toMatchObject({ code: 'INTERNAL', status: 500 });
  });
});

describe('error codes', () => {
  it('give every code of every service a client or server status', () => {
    const codes = [CommonErrorCode, CatalogErrorCode, OrderingErrorCode, BillingErrorCode, DeliveryErrorCode, GatewayErrorCode].flatMap((e) => Object.values(e));
    for (const code of codes) {
      expect(isWireErrorCode(code)).toBe(true);
      expect(isErrorStatus(ERROR_STATUS[code as ErrorCode])).toBe(true);
    }
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...new Set(codes)].sort());
  });

  it('give the codes the API names the statuses it promises', () => {
    expect(ERROR_STATUS).toMatchObject({
      IDEMPOTENCY_KEY_REUSED: 422,
      INVALID_STATE: 409,
      EXCLUSIVITY_CONFLICT: 409,
      ACCESS_NOT_APPROVED: 403,
      CHECKSUM_MISMATCH: 422,
      SIZE_MISMATCH: 422,
      UPLOAD_TOO_LARGE: 413,
      URL_EXPIRED: 403,
      URL_INVALID: 403,
      ENTITLEMENT_REVOKED: 403,
    });
  });
});
