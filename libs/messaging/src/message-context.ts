import { AUDIT_ACTION, isRole, MessageHeaders } from '@trove/contracts';
import { acceptCorrelationId, RequestContext, type RequestContextData } from '@trove/platform';
import { headers as natsHeaders, type MsgHdrs } from 'nats';

/**
 * The correlation id and caller of the work in progress, as the headers every outgoing
 * message carries: requests, and events through the outbox.
 */
export function contextHeaders(): Record<string, string> {
  const context = RequestContext.current();
  const headers: Record<string, string> = { [MessageHeaders.correlationId]: context?.correlationId ?? RequestContext.correlationId() };
  if (context?.caller) {
    headers[MessageHeaders.callerOrganization] = context.caller.organizationId;
    headers[MessageHeaders.callerRole] = context.caller.role;
    headers[MessageHeaders.callerKey] = context.caller.keyId;
    if (context.caller.keyExpiresAt !== undefined) headers[MessageHeaders.callerKeyExpires] = String(context.caller.keyExpiresAt);
  }
  return headers;
}

export function toNatsHeaders(values: Record<string, string>): MsgHdrs {
  const h = natsHeaders();
  for (const [key, value] of Object.entries(values)) h.set(key, value);
  return h;
}

/** The caller travels in headers; a header set that is incomplete or malformed means none. */
export function contextFrom(headers: MsgHdrs | undefined): RequestContextData {
  const correlationId = acceptCorrelationId(headers?.get(MessageHeaders.correlationId));
  const organizationId = headers?.get(MessageHeaders.callerOrganization);
  const role = headers?.get(MessageHeaders.callerRole);
  const keyId = headers?.get(MessageHeaders.callerKey);
  if (organizationId && keyId && isRole(role)) {
    // Epoch milliseconds as the gateway writes them: digits only, or no expiry is read.
    const expires = headers?.get(MessageHeaders.callerKeyExpires) ?? '';
    const keyExpiresAt = /^[1-9]\d{0,15}$/.test(expires) ? Number(expires) : undefined;
    return { correlationId, caller: { organizationId, role, keyId, ...(keyExpiresAt !== undefined && Number.isSafeInteger(keyExpiresAt) ? { keyExpiresAt } : {}) } };
  }
  return { correlationId };
}

/** The deadline and idempotency key of a request; they never travel on events. */
export function commandHeadersFrom(headers: MsgHdrs | undefined): Pick<RequestContextData, 'deadline' | 'idempotencyKey'> {
  const deadline = Number(headers?.get(MessageHeaders.deadline) || NaN);
  const idempotencyKey = headers?.get(MessageHeaders.idempotencyKey) || undefined;
  return {
    ...(Number.isSafeInteger(deadline) && deadline > 0 ? { deadline } : {}),
    ...(idempotencyKey && idempotencyKey.length <= 255 ? { idempotencyKey } : {}),
  };
}

/** The audit action and target a gateway route sent with a command; none when malformed. */
export function auditHeaderFrom(headers: MsgHdrs | undefined): Pick<RequestContextData, 'audit'> {
  const raw = headers?.get(MessageHeaders.audit);
  if (!raw) return {};
  try {
    const value = JSON.parse(raw) as Record<string, unknown>;
    const optional = (v: unknown) => v === undefined || v === null || typeof v === 'string';
    if (
      typeof value.action !== 'string' ||
      !AUDIT_ACTION.test(value.action) ||
      typeof value.targetType !== 'string' ||
      !optional(value.targetId) ||
      !optional(value.ip) ||
      !(value.successStatus === undefined || (Number.isInteger(value.successStatus) && (value.successStatus as number) >= 200 && (value.successStatus as number) < 300))
    ) {
      return {};
    }
    return {
      audit: {
        action: value.action,
        targetType: value.targetType,
        targetId: (value.targetId as string | null | undefined) ?? null,
        successStatus: value.successStatus as number | undefined,
        ip: (value.ip as string | null | undefined) ?? null,
      },
    };
  } catch {
    return {};
  }
}
