import type { ServiceError } from '@trove/contracts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * What a service answers on a request subject: a result or a typed error, never both.
 * `audited`: the service wrote the call's audit record in the transaction of its change.
 */
export type RpcReply<T> = { ok: true; data: T; audited?: true } | { ok: false; error: ServiceError };

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson(data: Uint8Array): unknown {
  return JSON.parse(decoder.decode(data));
}
