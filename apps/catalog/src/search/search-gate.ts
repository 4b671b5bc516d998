import { CommonErrorCode } from '@trove/contracts';
import { ServiceException } from '@trove/platform';

/**
 * At most `slots` search statements of a replica run at once; the next ones wait their turn in
 * the order they came, at most `waiting` of them, and any more are turned away (503, retry
 * shortly). A search the cache cannot answer reads every match, which for a broad word or a price
 * cap with a new value each time is half a second of a core: twenty such requests a second, each
 * new, used to hold as many of the replica's connections and every core, and the catalog's other
 * work (an order's offer lookup, a vendor's edit) queued behind them. A search that waited past
 * its caller's deadline is dropped without running: nobody reads its answer any more.
 */
export class SearchGate {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly slots: number,
    private readonly maxWaiting: number,
  ) {}

  /** Statements running now. */
  get running(): number {
    return this.active;
  }

  /** Searches waiting for a slot now. */
  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(work: () => Promise<T>, deadline?: number): Promise<T> {
    if (this.active < this.slots) {
      this.active++;
    } else {
      if (this.queue.length >= this.maxWaiting) {
        throw new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, `Search is busy: ${this.active} searches are running and ${this.queue.length} waiting on this server. Retry in a few seconds.`);
      }
      // A slot is handed over by the search that leaves it (`release`): `active` already counts this one.
      await new Promise<void>((resolve) => this.queue.push(resolve));
      if (deadline !== undefined && Date.now() >= deadline) {
        this.release();
        throw new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, 'Search is busy: this search waited past its deadline for its turn. Retry in a few seconds.');
      }
    }
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }
}
