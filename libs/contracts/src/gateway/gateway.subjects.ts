/**
 * Broadcast, not request-reply: every gateway replica listens (no queue group), so a revoked
 * key or a suspended organization is refused by all of them at once.
 */
export const GatewayBroadcasts = {
  identityChanged: 'gateway.identity.changed',
} as const;
