/** When a key was last logged, and how many of its occurrences went unlogged since. */
interface Logged {
  at: number;
  suppressed: number;
}

/** An occurrence to log: how many were held back since the last line, and whether the line stands for many keys. */
export interface Admitted {
  /** Occurrences not logged since the last line of the key (or of the shared line): 0 the first time. */
  suppressed: number;
  /** The line stands for every key beyond the ones remembered, not for this key alone. */
  shared: boolean;
}

/**
 * Decides which occurrences of a repeated event are logged: the first of each key, then at most
 * one per interval, that one telling how many were held back since the last. At most `maxKeys`
 * keys are remembered; a key logged longer than an interval ago makes room for a new one (its
 * count held back is lost, and its next occurrence is logged as new). When every remembered key
 * was logged within the interval, new keys share one line per interval: a client cycling through
 * ever more keys can neither grow the memory nor bring back a line per request.
 */
export class LogThrottle {
  /** In the order they were last logged: a Map iterates in insertion order. */
  private readonly keys = new Map<string, Logged>();
  /** The shared line of keys beyond those remembered. */
  private others?: Logged;

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys: number,
    /** A clock that never goes back (performance.now): a wall clock set back would silence a key for as long. */
    private readonly now: () => number,
  ) {}

  /** Counts one occurrence of `key`: what to log with it, or undefined when it is held back. */
  admit(key: string): Admitted | undefined {
    const at = this.now();
    const last = this.keys.get(key);
    if (last) return this.next(last, at, () => {
      this.keys.delete(key);
      this.keys.set(key, { at, suppressed: 0 });
    }, false);
    if (this.keys.size >= this.maxKeys) {
      const [oldestKey, oldest] = this.keys.entries().next().value!;
      if (at - oldest.at >= this.intervalMs) this.keys.delete(oldestKey);
    }
    if (this.keys.size < this.maxKeys) {
      this.keys.set(key, { at, suppressed: 0 });
      return { suppressed: 0, shared: false };
    }
    if (!this.others) {
      this.others = { at, suppressed: 0 };
      return { suppressed: 0, shared: true };
    }
    return this.next(this.others, at, () => (this.others = { at, suppressed: 0 }), true);
  }

  /** Holds the occurrence back within the interval of `last`, or starts a new interval and logs it. */
  private next(last: Logged, at: number, restart: () => void, shared: boolean): Admitted | undefined {
    if (at - last.at < this.intervalMs) {
      last.suppressed++;
      return undefined;
    }
    restart();
    return { suppressed: last.suppressed, shared };
  }
}
