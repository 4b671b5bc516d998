/** When each key was last logged, and how many of its occurrences went unlogged since. */
interface Logged {
  at: number;
  suppressed: number;
}

/**
 * Decides which occurrences of a repeated event are logged: the first of each key, then at most
 * one per interval, that one telling how many were held back since the last. The keys remembered
 * are capped, the one logged longest ago forgotten first, so a client asking for ever new keys
 * cannot grow it: a forgotten key is logged again at its next occurrence.
 */
export class LogThrottle {
  /** In the order they were last logged: a Map iterates in insertion order. */
  private readonly keys = new Map<string, Logged>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys: number,
    private readonly now: () => number,
  ) {}

  /**
   * Counts one occurrence of `key`. When it is to be logged, returns how many occurrences of the
   * key were not logged since its last line (0 the first time); otherwise undefined.
   */
  admit(key: string): number | undefined {
    const at = this.now();
    const last = this.keys.get(key);
    if (last && at - last.at < this.intervalMs) {
      last.suppressed++;
      return undefined;
    }
    this.keys.delete(key);
    this.keys.set(key, { at, suppressed: 0 });
    if (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    return last?.suppressed ?? 0;
  }
}
