/** Outcomes every service can report. */
export enum CommonErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  /** The same idempotency key was sent before with a different request. */
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  RATE_LIMITED = 'RATE_LIMITED',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL = 'INTERNAL',
}

/** Each service's own codes (`<service>.errors.ts`) join this union as they are added. */
export type ErrorCode = CommonErrorCode;

/**
 * The HTTP status of every error code. Exhaustive by type: a new code without a status does
 * not compile. Services put the status on the wire; the gateway turns it into problem+json.
 */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  [CommonErrorCode.VALIDATION_FAILED]: 400,
  [CommonErrorCode.UNAUTHENTICATED]: 401,
  [CommonErrorCode.FORBIDDEN]: 403,
  [CommonErrorCode.NOT_FOUND]: 404,
  [CommonErrorCode.METHOD_NOT_ALLOWED]: 405,
  [CommonErrorCode.CONFLICT]: 409,
  [CommonErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [CommonErrorCode.IDEMPOTENCY_KEY_REUSED]: 422,
  [CommonErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [CommonErrorCode.RATE_LIMITED]: 429,
  [CommonErrorCode.INTERNAL]: 500,
  [CommonErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/** The typed error a service answers with instead of a result. */
export interface ServiceError {
  code: ErrorCode;
  message: string;
  status: number;
  /** Field-level problems of a VALIDATION_FAILED. */
  errors?: { field: string; problems: string[] }[];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && value in ERROR_STATUS;
}
