/**
 * Outcomes about API keys and the organizations behind them. The gateway reports them on every
 * call; delivery reports ORGANIZATION_SUSPENDED too, on the download URLs signed earlier for
 * such an organization.
 */
export enum GatewayErrorCode {
  /** The key's organization is suspended; every key of it is refused until an operator reinstates it. */
  ORGANIZATION_SUSPENDED = 'ORGANIZATION_SUSPENDED',
  /** The key's organization (a vendor) is awaiting an operator's approval. */
  ORGANIZATION_PENDING = 'ORGANIZATION_PENDING',
  /** The key was made with `access: "read"`: it may GET and HEAD only. */
  KEY_READ_ONLY = 'KEY_READ_ONLY',
}

export const GATEWAY_ERROR_STATUS: Record<GatewayErrorCode, number> = {
  [GatewayErrorCode.ORGANIZATION_SUSPENDED]: 403,
  [GatewayErrorCode.ORGANIZATION_PENDING]: 403,
  [GatewayErrorCode.KEY_READ_ONLY]: 403,
};
