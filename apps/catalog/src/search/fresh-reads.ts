import { AsyncLocalStorage } from 'node:async_hooks';

const ignore = () => undefined;

/**
 * A value read from the database no earlier than the moment it is asked for, with one read shared
 * by everyone who asks while it waits to start.
 *
 * The answer cache needs the published set's generation as of each search's arrival: a read
 * already under way may have taken its snapshot before the search arrived, and would miss a change
 * committed just before. So a caller never joins a read under way; it joins the next one, which
 * starts as soon as the one under way ends, and every caller arriving in between shares it. A
 * quiet replica reads once per search, as before; a busy one reads once per round trip (a read
 * for every search was about a quarter of the catalog's CPU for a cached answer on the search
 * bench's mix).
 *
 * A shared read runs outside every caller's context: no caller's transaction, deadline or log
 * fields, since it answers them all.
 */
export class FreshReads<T> {
  /** The read under way, if any. */
  private current?: Promise<T>;
  /** The read that starts when the current one ends, and the callers waiting for it. */
  private next?: Promise<T>;
  private readonly detached = AsyncLocalStorage.snapshot();

  constructor(private readonly read: () => Promise<T>) {}

  /** The value as a read started after this call found it. */
  get(): Promise<T> {
    if (this.next) return this.next;
    const after = this.current ? this.current.then(ignore, ignore) : Promise.resolve();
    const next = after.then(() => {
      this.next = undefined;
      const read = this.detached(() => this.read());
      this.current = read;
      const done = () => {
        if (this.current === read) this.current = undefined;
      };
      read.then(done, done);
      return read;
    });
    this.next = next;
    return next;
  }
}
