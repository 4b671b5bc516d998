/** A class that a message payload is validated against (class-validator decorators). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type MessageClass<T> = new (...args: any[]) => T;

/**
 * A request-reply subject with the types of its request and reply. Handlers and the RPC client
 * take these constants, never a string, so a subject and its payloads cannot drift apart.
 */
export interface RpcSubject<Req, Res> {
  readonly kind: 'rpc';
  readonly subject: string;
  readonly request: MessageClass<Req>;
  /**
   * A command changes state: the client must send an idempotency key with it, and the service
   * records its outcome under that key, so a retry after a timeout is not applied twice.
   */
  readonly command: boolean;
  /** Phantom: carries the reply type; never set at run time. */
  readonly reply?: Res;
}

export function rpcSubject<Req, Res>(subject: string, request: MessageClass<Req>, options: { command?: boolean } = {}): RpcSubject<Req, Res> {
  if (!/^[a-z]+\.[a-z-]+\.[a-z-]+$/.test(subject)) {
    throw new Error(`RPC subject "${subject}" is not <service>.<aggregate>.<verb>`);
  }
  return { kind: 'rpc', subject, request, command: options.command ?? false };
}

/** A domain event: a fact in the past tense, versioned, carried on JetStream. */
export interface EventSubject<Payload> {
  readonly kind: 'event';
  readonly subject: string;
  readonly payload: MessageClass<Payload>;
  /**
   * The id of the aggregate the event is about (an order's events: its order id). Events of one
   * aggregate are published and applied in the order they were written; events without one
   * carry no order. (A method, so that an EventSubject of a payload is still an
   * EventSubject<unknown>.)
   */
  aggregate?(payload: Payload): string;
}

export interface EventSubjectOptions<Payload> {
  aggregate?: (payload: Payload) => string;
}

export function eventSubject<Payload>(
  subject: string,
  payload: MessageClass<Payload>,
  options: EventSubjectOptions<Payload> = {},
): EventSubject<Payload> {
  if (!/^evt\.[a-z]+\.[a-z-]+\.[a-z-]+\.v[0-9]+$/.test(subject)) {
    throw new Error(`event subject "${subject}" is not evt.<service>.<aggregate>.<past-tense>.v<N>`);
  }
  return options.aggregate ? { kind: 'event', subject, payload, aggregate: options.aggregate } : { kind: 'event', subject, payload };
}

/** The aggregate type of an event subject: `evt.ordering.order.paid.v1` -> `ordering.order`. */
export function eventAggregateType(subject: string): string {
  const [, service, aggregate] = subject.split('.');
  return `${service}.${aggregate}`;
}

/** NATS header names that travel on every message. */
export const MessageHeaders = {
  correlationId: 'x-correlation-id',
  caller: 'trove-caller',
  callerOrganization: 'trove-caller-org',
  callerRole: 'trove-caller-role',
  callerKey: 'trove-caller-key',
  /** When the caller's key expires, epoch milliseconds; absent for a key without an expiry. */
  callerKeyExpires: 'trove-caller-key-expires',
  /** Requests only: when the caller stops waiting, epoch milliseconds. */
  deadline: 'trove-deadline',
  /** Commands only: the key a retry repeats, scoped by the caller. */
  idempotencyKey: 'trove-idempotency-key',
  /** Commands from an audited gateway route: the audit action and target, as JSON. */
  audit: 'trove-audit',
  eventId: 'Nats-Msg-Id',
} as const;
