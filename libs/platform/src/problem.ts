import { STATUS_CODES } from 'node:http';
import {
  CommonErrorCode,
  ERROR_STATUS,
  isErrorCode,
  isErrorStatus,
  isWireErrorCode,
  type ErrorCode,
  type ServiceError,
  type WireErrorCode,
} from '@trove/contracts';
import { HttpException } from '@nestjs/common';
import { DATABASE_UNAVAILABLE_DETAIL, isDatabaseUnavailable } from './database-unavailable';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** RFC 9457 problem details, as every Trove error is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: WireErrorCode;
  correlationId: string;
  errors?: { field: string; problems: string[] }[];
}

/** Node's names of the statuses, with RFC 9110's name where Node's is older. */
const TITLES: Record<number, string> = {
  422: 'Unprocessable Content',
};

function titleOf(status: number): string {
  return TITLES[status] ?? STATUS_CODES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: CommonErrorCode.VALIDATION_FAILED,
  401: CommonErrorCode.UNAUTHENTICATED,
  403: CommonErrorCode.FORBIDDEN,
  404: CommonErrorCode.NOT_FOUND,
  405: CommonErrorCode.METHOD_NOT_ALLOWED,
  409: CommonErrorCode.CONFLICT,
  413: CommonErrorCode.PAYLOAD_TOO_LARGE,
  415: CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
  429: CommonErrorCode.RATE_LIMITED,
  503: CommonErrorCode.SERVICE_UNAVAILABLE,
};

/**
 * A typed business or infrastructure error. Services throw it; the RPC layer carries it as
 * `{code, message, status}`; the gateway answers it as problem+json with that status.
 */
export class ServiceException extends Error {
  readonly code: WireErrorCode;
  readonly status: number;
  constructor(
    code: ErrorCode,
    message: string,
    readonly errors?: ServiceError['errors'],
  ) {
    super(message);
    this.code = code;
    this.status = ERROR_STATUS[code];
  }

  /**
   * The error a service answered with, as the caller rethrows it. A code this build knows gets
   * its status from ERROR_STATUS. A code it does not know comes from a service built later: it
   * passes on unchanged with the status the service gave it (an unknown 409 stays a 409), as
   * long as both are well formed; anything else is an INTERNAL 500.
   */
  static from(error: ServiceError): ServiceException {
    const message = typeof error?.message === 'string' ? error.message : 'The service failed to handle the request.';
    const errors = Array.isArray(error?.errors) ? error.errors : undefined;
    if (isErrorCode(error?.code)) return new ServiceException(error.code, message, errors);
    if (isWireErrorCode(error?.code) && isErrorStatus(error?.status)) {
      const foreign = new ServiceException(CommonErrorCode.INTERNAL, message, errors);
      return Object.assign(foreign, { code: error.code, status: error.status });
    }
    return new ServiceException(CommonErrorCode.INTERNAL, 'The service answered with an error this gateway cannot read.');
  }

  toJSON(): ServiceError {
    return { code: this.code, message: this.message, status: this.status, ...(this.errors ? { errors: this.errors } : {}) };
  }
}

export function problemType(code: WireErrorCode): string {
  return `urn:problem:trove:${code.toLowerCase().replace(/_/g, '-')}`;
}

/** Everything that reaches the client as an error goes through here, so it is one shape. */
export function toProblem(error: unknown, correlationId: string): Problem {
  const known = describe(error);
  return {
    type: problemType(known.code),
    title: titleOf(known.status),
    status: known.status,
    detail: known.detail,
    code: known.code,
    correlationId,
    ...(known.errors ? { errors: known.errors } : {}),
  };
}

interface Described {
  status: number;
  code: WireErrorCode;
  detail: string;
  errors?: Problem['errors'];
}

function describe(error: unknown): Described {
  if (error instanceof ServiceException) {
    return { status: error.status, code: error.code, detail: error.message, errors: error.errors };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const code = codeFromBody(body) ?? CODE_BY_STATUS[status] ?? (status >= 500 ? CommonErrorCode.INTERNAL : CommonErrorCode.VALIDATION_FAILED);
    return { status, code, detail: detailFromBody(body, error.message), errors: errorsFromBody(body) };
  }
  // Fastify's own errors (malformed JSON, body too large, wrong content type) carry a 4xx
  // statusCode and a message written for clients.
  const fastify = error as { statusCode?: unknown; message?: unknown };
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const status = fastify.statusCode;
    return {
      status,
      code: CODE_BY_STATUS[status] ?? CommonErrorCode.VALIDATION_FAILED,
      detail: typeof fastify.message === 'string' ? fastify.message : 'The request could not be processed.',
    };
  }
  if (isDatabaseUnavailable(error)) return { status: 503, code: CommonErrorCode.SERVICE_UNAVAILABLE, detail: DATABASE_UNAVAILABLE_DETAIL };
  return { status: 500, code: CommonErrorCode.INTERNAL, detail: 'An unexpected error occurred; it has been logged with this correlation id.' };
}

function codeFromBody(body: unknown): ErrorCode | undefined {
  const code = (body as { code?: unknown })?.code;
  return isErrorCode(code) ? code : undefined;
}

function detailFromBody(body: unknown, fallback: string): string {
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown })?.message;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return fallback;
}

function errorsFromBody(body: unknown): Problem['errors'] {
  const errors = (body as { errors?: unknown })?.errors;
  return Array.isArray(errors) ? (errors as Problem['errors']) : undefined;
}
