/**
 * Search answers kept by the catalog, exact rather than fresh-enough: each answer is stored with
 * the generation of the published set (`search_generation`, migration 1764500003000) that its
 * statement saw, and served only to a search that reads that same generation. Every change to
 * `dataset_search` (publish, suspend, reject, edit, offer created, withdrawn or expired) raises
 * the generation in its own transaction, so an answer is never served once anything it could
 * depend on has committed, whichever replica committed it.
 *
 * Least recently used entries go first once there are more than `maxEntries` or their JSON
 * takes more than `maxBytes`. Seeing a newer generation drops every entry at once: none of them
 * can be served again.
 */
export class AnswerCache<T> {
  private readonly entries = new Map<string, { value: T; bytes: number }>();
  private generation = 0;
  private used = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get enabled(): boolean {
    return this.maxEntries > 0 && this.maxBytes > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.used;
  }

  /** The answer stored for `key` at exactly `generation`, or undefined. */
  get(key: string, generation: number): T | undefined {
    this.observe(generation);
    if (generation !== this.generation) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Most recently used last: eviction takes the Map's first entries.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keeps an answer computed at `generation`; one of an older generation is not kept. */
  set(key: string, generation: number, value: T, bytes: number): void {
    this.observe(generation);
    if (!this.enabled || generation !== this.generation) return;
    const size = bytes + key.length;
    if (size > this.maxBytes) return;
    this.delete(key);
    this.entries.set(key, { value, bytes: size });
    this.used += size;
    while (this.entries.size > this.maxEntries || this.used > this.maxBytes) {
      const oldest = this.entries.keys().next().value as string;
      this.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  private observe(generation: number): void {
    if (generation > this.generation) {
      this.clear();
      this.generation = generation;
    }
  }
}

/** Freezes an answer handed to several callers, so none can change what the others get. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
