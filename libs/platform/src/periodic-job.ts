import type { Logger } from '@nestjs/common';

/**
 * A pass a provider runs on a timer: sweeps, renewals, pruning. One pass at a time in the
 * process: a tick that comes while a pass runs is skipped (the next one catches up), and `run`
 * joins the running pass. A failed tick is logged and the next tick retries. The timer keeps no
 * process alive, and `stop` (from a shutdown hook) waits for the running pass, so none is cut off
 * by the connections closing after it.
 */
export class PeriodicJob<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;
  private stopped = false;

  /**
   * `failure` is what is logged, with the error, when a tick's pass fails: a warning, or an error
   * with `level: 'error'` (a failure an operator must hear of, not one the next tick settles).
   */
  constructor(
    private readonly logger: Logger,
    private readonly failure: string,
    private readonly pass: () => Promise<T>,
    private readonly options: { level?: 'warn' | 'error' } = {},
  ) {}

  /** True once `stop` was called: a long pass may end early at a safe point (its work is in units of its own). */
  get stopping(): boolean {
    return this.stopped;
  }

  /** A pass every `everyMs`, and one at once with `immediately`. */
  start(everyMs: number, { immediately = false }: { immediately?: boolean } = {}): void {
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
    if (immediately) this.tick();
  }

  /**
   * A pass now, or the running one joined, whatever it was asked for. `pass` stands in for the
   * job's own this once (a caller's other age or batch), and still overlaps no tick.
   */
  run(pass: () => Promise<T> = this.pass): Promise<T> {
    if (!this.running) {
      if (this.stopped) return Promise.reject(new Error('the periodic job has stopped'));
      this.running = Promise.resolve()
        .then(pass)
        .finally(() => (this.running = undefined));
    }
    return this.running;
  }

  /** No more passes; answers once the running one has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    // Its failure was logged by its tick, or is its caller's.
    await this.running?.catch(() => undefined);
  }

  private tick(): void {
    if (this.running || this.stopped) return;
    void this.run().catch((error: unknown) => this.logger[this.options.level ?? 'warn']({ err: error }, this.failure));
  }
}
