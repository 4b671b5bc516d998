import { DeliveryErrorCode, GatewayErrorCode } from '@trove/contracts';
import { ServiceException } from '@trove/platform';

/** What delivery was told of the caller a URL was signed for. */
export interface CallerStanding {
  /** The gateway revoked the API key: final. */
  keyRevoked: boolean;
  /** The organization's latest status; null when delivery was never told of a change. */
  organizationStatus: string | null;
}

/**
 * The refusal of a caller whose organization is suspended or whose key is revoked; null otherwise.
 * `urls` names what the caller was using: download URLs (the default) or upload URLs.
 */
export function callerRefusal(standing: CallerStanding, urls: 'download' | 'upload' = 'download'): ServiceException | null {
  if (standing.organizationStatus === 'suspended') {
    return new ServiceException(GatewayErrorCode.ORGANIZATION_SUSPENDED, `The organization is suspended: its ${urls} URLs are refused until an operator reinstates it.`);
  }
  if (standing.keyRevoked) {
    const again = urls === 'download' ? 'read the manifest again with a valid key for new URLs' : 'ask for a new upload URL with a valid key';
    return new ServiceException(DeliveryErrorCode.API_KEY_REVOKED, `This URL was signed for an API key that has been revoked: ${again}.`);
  }
  return null;
}
