import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Role } from '@trove/contracts';

/** Defined once, with the other identity values, in contracts. */
export type { Role };

/** Who is acting: set by the gateway from the API key, carried to services in NATS headers. */
export interface Caller {
  organizationId: string;
  role: Role;
  keyId: string;
  /**
   * When the key stops being accepted (epoch milliseconds), for a key made with an expiry: what
   * is signed for it (a download or upload URL) must not outlive it.
   */
  keyExpiresAt?: number;
}

/**
 * What a state-changing call is recorded as in the audit log. The gateway marks its audited
 * routes with it, so the unit of work can write the success record in the same transaction
 * as the change; `recorded` is set once a record for the call has been written.
 */
export interface AuditMark {
  action: string;
  targetType: string;
  targetId: string | null;
  /** The HTTP status the route answers on success. */
  successStatus?: number;
  /** The client's address. */
  ip?: string | null;
  recorded?: boolean;
}

export interface RequestContextData {
  correlationId: string;
  caller?: Caller;
  /**
   * When the caller stops waiting (epoch ms), from the request that started this work: work
   * whose deadline has passed is not started, and its transaction does not commit.
   */
  deadline?: number;
  /** The key under which a command's outcome is recorded, so a retry does not apply it twice. */
  idempotencyKey?: string;
  audit?: AuditMark;
}

const storage = new AsyncLocalStorage<RequestContextData>();

/**
 * The correlation id and caller of the work in progress, for HTTP requests and NATS messages
 * alike: logs pick it up, and the RPC client and the outbox copy it onto outgoing messages.
 */
export const RequestContext = {
  run<T>(data: RequestContextData, fn: () => T): T {
    return storage.run(data, fn);
  },
  current(): RequestContextData | undefined {
    return storage.getStore();
  },
  correlationId(): string {
    return storage.getStore()?.correlationId ?? randomUUID();
  },
};

/**
 * 1 to 128 printable ASCII characters, spaces inside allowed (`req:42/a.b_c`, `po 2026-11`,
 * `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`): what clients put in such a header.
 * Nothing that could break a log line or a header (control characters, line breaks); 128 is what
 * the audit record holds.
 */
const CORRELATION_ID = /^[\x21-\x7e](?:[\x20-\x7e]{0,126}[\x21-\x7e])?$/;

/** A client-sent correlation id is echoed when it is printable ASCII of at most 128 characters; otherwise a new one. */
export function acceptCorrelationId(value: unknown): string {
  return typeof value === 'string' && CORRELATION_ID.test(value) ? value : randomUUID();
}
