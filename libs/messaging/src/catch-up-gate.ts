import { CommonErrorCode } from '@trove/contracts';
import type { Logger } from '@nestjs/common';
import { ServiceException } from '@trove/platform';
import type { CaughtUp, EventConsumers } from './event.consumers';

/**
 * Closed from a service's start until the named consumers have applied the backlog they found:
 * the events other services published while this one was down (an organization suspended, a
 * listing taken off sale). A decision that reads what those events keep (may this offer be sold,
 * this vendor paid?) asks `assertOpen`, which costs nothing once the gate has opened, and is
 * refused as unavailable (503, the caller retries) until then, rather than decided on standing
 * from before the outage. The gate reads the stream's last sequence when it starts and asks
 * `EventConsumers.caughtUp` every `pollMs` until every consumer has nothing waiting or has
 * acknowledged everything up to that sequence: events published after the start do not keep it
 * closed. After `maxWaitMs` it opens anyway and logs an error naming the consumer, so an event
 * held for good (ahead of one that never comes) cannot stop the service from serving; such an
 * event ends as a dead letter, which a decision about its organization checks on its own.
 */
export class CatchUpGate {
  private opened = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly consumers: EventConsumers,
    private readonly names: readonly string[],
    private readonly logger: Logger,
    private readonly options: { pollMs?: number; maxWaitMs?: number } = {},
  ) {}

  get open(): boolean {
    return this.opened;
  }

  /** Starts asking; resolves once the gate is open (or stopped). */
  start(): Promise<void> {
    const pollMs = this.options.pollMs ?? 200;
    const deadline = Date.now() + (this.options.maxWaitMs ?? 60_000);
    return new Promise((resolve) => {
      let since: number | undefined;
      const ask = async () => {
        if (this.stopped) return resolve();
        since ??= await this.consumers.streamLastSeq().catch(() => undefined);
        const answer: CaughtUp = await this.consumers.caughtUp(this.names, since);
        if (answer.caughtUp) {
          this.opened = true;
          return resolve();
        }
        if (Date.now() >= deadline) {
          this.logger.error(`consumer ${answer.consumer} still has ${answer.waiting ?? 'an unknown number of'} event(s) to apply since the start; serving anyway: look at it`);
          this.opened = true;
          return resolve();
        }
        this.timer = setTimeout(() => void ask(), pollMs);
        this.timer.unref();
      };
      void ask();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Refuses `what` (503) while the gate is closed. */
  assertOpen(what: string): void {
    if (this.opened) return;
    throw new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, `${what} cannot be answered yet: the service has just restarted and is catching up. Try again in a few seconds.`);
  }
}
