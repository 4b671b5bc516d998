import { BILLING_ERROR_STATUS, BillingErrorCode } from './billing/billing.errors';
import { CATALOG_ERROR_STATUS, CatalogErrorCode } from './catalog/catalog.errors';
import { DELIVERY_ERROR_STATUS, DeliveryErrorCode } from './delivery/delivery.errors';
import { GATEWAY_ERROR_STATUS, GatewayErrorCode } from './gateway/gateway.errors';
import { ORDERING_ERROR_STATUS, OrderingErrorCode } from './ordering/ordering.errors';

export { BillingErrorCode, CatalogErrorCode, DeliveryErrorCode, GatewayErrorCode, OrderingErrorCode };

/** Outcomes every service can report. */
export enum CommonErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  /** The object is not in a state that allows this (a state machine refused the move). */
  INVALID_STATE = 'INVALID_STATE',
  /** The same idempotency key was sent before with a different request. */
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  RATE_LIMITED = 'RATE_LIMITED',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL = 'INTERNAL',
}

const COMMON_ERROR_STATUS: Record<CommonErrorCode, number> = {
  [CommonErrorCode.VALIDATION_FAILED]: 400,
  [CommonErrorCode.UNAUTHENTICATED]: 401,
  [CommonErrorCode.FORBIDDEN]: 403,
  [CommonErrorCode.NOT_FOUND]: 404,
  [CommonErrorCode.METHOD_NOT_ALLOWED]: 405,
  [CommonErrorCode.CONFLICT]: 409,
  [CommonErrorCode.INVALID_STATE]: 409,
  [CommonErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [CommonErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [CommonErrorCode.IDEMPOTENCY_KEY_REUSED]: 422,
  [CommonErrorCode.RATE_LIMITED]: 429,
  [CommonErrorCode.INTERNAL]: 500,
  [CommonErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/**
 * Every code this build knows: the common ones and each service's own, declared in
 * `<service>/<service>.errors.ts` next to its subjects. A service adds a code there, with its
 * status; a gateway built before that still passes it on unchanged (see ServiceException.from).
 */
export type ErrorCode = CommonErrorCode | CatalogErrorCode | OrderingErrorCode | BillingErrorCode | DeliveryErrorCode | GatewayErrorCode;

/**
 * The HTTP status of every error code. Exhaustive by type: a new code without a status does
 * not compile. Services put the status on the wire; the gateway turns it into problem+json.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  ...COMMON_ERROR_STATUS,
  ...CATALOG_ERROR_STATUS,
  ...ORDERING_ERROR_STATUS,
  ...BILLING_ERROR_STATUS,
  ...DELIVERY_ERROR_STATUS,
  ...GATEWAY_ERROR_STATUS,
};

/**
 * A code as it travels: one this build knows, or a code a service built later added (the
 * `string & {}` keeps editors offering the known ones). Only the gateway's ServiceException.from
 * lets an unknown one in, after isWireErrorCode and isErrorStatus.
 */
export type WireErrorCode = ErrorCode | (string & {});

/** The typed error a service answers with instead of a result. */
export interface ServiceError {
  code: WireErrorCode;
  message: string;
  status: number;
  /** Field-level problems of a VALIDATION_FAILED. */
  errors?: { field: string; problems: string[] }[];
}

/** A code this build knows. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_STATUS, value);
}

const WIRE_CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/**
 * A code as any service may send it, including one added after this build: UPPER_SNAKE_CASE,
 * at most 64 characters.
 */
export function isWireErrorCode(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && WIRE_CODE.test(value);
}

/** An HTTP status an error may carry: 400-599. */
export function isErrorStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599;
}
