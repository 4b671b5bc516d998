import { CommonErrorCode } from '@trove/contracts';
import type { CaughtUp } from '@trove/messaging';
import { ServiceException } from '@trove/platform';

/**
 * The consumers through which billing learns what it may sell and to whom it may pay: the
 * gateway's organization status changes, and the catalog's dataset and offer changes. When billing
 * was down while an operator suspended a vendor, those events wait in the stream; until billing
 * has applied them its standing tables are stale, so the renewal pass and a payout's approval
 * wait for them (`EventConsumers.caughtUp`) rather than charge or pay against the old standing.
 */
export const STANDING_CONSUMERS = ['organization-statuses', 'catalog-datasets', 'catalog-offers'] as const;

/** How long a command waits for those consumers before it is refused as unavailable. */
export const STANDING_WAIT_MS = 2_000;

/** What the waiting consumer means, in words for a log line or a refusal. */
export function notCaughtUp(answer: Extract<CaughtUp, { caughtUp: false }>): string {
  const waiting = answer.waiting === null ? 'JetStream did not say how many events' : `${answer.waiting} event(s)`;
  return `billing has not yet applied every event its consumer ${answer.consumer} has to apply (${waiting} waiting)`;
}

/** A command that must not act on stale standing, refused until billing has caught up: 503, retry shortly. */
export function standingUnavailable(what: string, answer: Extract<CaughtUp, { caughtUp: false }>): ServiceException {
  return new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, `${what} waits: ${notCaughtUp(answer)}. Try again in a few seconds.`);
}
