import { CommonErrorCode, DeliveryErrorCode, type EntitlementStatus } from '@trove/contracts';
import { ServiceException } from '@trove/platform';
import type { Entitlement } from './entitlement.repository';

/**
 * How an entitlement stands and how a refusal of it reads, shared by what lists and signs its
 * files (EntitlementsService) and what serves them (DownloadsService).
 */

/** The status a buyer sees: an active entitlement whose license term has ended is expired. */
export function currentStatus(entitlement: Pick<Entitlement, 'status' | 'expiresAt'>, now: Date): EntitlementStatus {
  if (entitlement.status === 'active' && entitlement.expiresAt && entitlement.expiresAt.getTime() <= now.getTime()) return 'expired';
  return entitlement.status;
}

/** A revoked (refunded) or expired entitlement's refusal (403). */
export function statusRefusal(status: 'revoked' | 'expired'): ServiceException {
  return status === 'revoked'
    ? new ServiceException(DeliveryErrorCode.ENTITLEMENT_REVOKED, 'This entitlement was revoked (the order was refunded).')
    : new ServiceException(DeliveryErrorCode.ENTITLEMENT_EXPIRED, 'This entitlement has expired: its license term or subscription ended.');
}

/** A license refusal as delivery reports it (403). */
export function refusal(reason: string, detail: string): ServiceException {
  switch (reason) {
    case 'DOWNLOAD_LIMIT_REACHED':
      return new ServiceException(DeliveryErrorCode.DOWNLOAD_LIMIT_REACHED, `The license's download limit is reached: ${detail}.`);
    case 'SEATS_EXCEEDED':
      return new ServiceException(DeliveryErrorCode.SEATS_EXCEEDED, `All the license's seats are taken by other API keys: ${detail}.`);
    case 'LICENSE_EXPIRED':
      return new ServiceException(DeliveryErrorCode.ENTITLEMENT_EXPIRED, `The license does not run now: ${detail}.`);
    case 'LICENSE_NOT_STARTED':
      return new ServiceException(DeliveryErrorCode.ENTITLEMENT_NOT_STARTED, `The license does not run yet: ${detail}.`);
    default:
      return new ServiceException(CommonErrorCode.FORBIDDEN, `The license does not permit this download: ${detail}.`);
  }
}
