/**
 * What one answer of a service may take of a NATS message (1 MiB at most), leaving room for the
 * reply's envelope and headers. A larger answer is never delivered: the caller sees a 503.
 */
export const ANSWER_MAX_BYTES = 768 * 1024;

/** The bytes of `value` as JSON, as it travels. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * The longest run of `items` from the first whose sizes add up to `budget` at most; the first
 * item always, so that a list with something to show never shows nothing.
 */
export function leadingWithin<T>(items: readonly T[], bytes: (item: T) => number, budget: number): T[] {
  let used = 0;
  let count = 0;
  for (const item of items) {
    used += bytes(item);
    if (count > 0 && used > budget) break;
    count++;
  }
  return items.slice(0, count);
}
