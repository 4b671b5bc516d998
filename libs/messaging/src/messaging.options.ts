export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingOptions {
  /** How often the relay looks for outbox rows that a crash or an outage left behind. */
  outboxSweepMs: number;
  outboxBatchSize: number;
  /**
   * How long a relay's claim on outbox rows lasts. A relay that dies after publishing and before
   * marking leaves its rows to be published again (de-duplicated) once the claim expires.
   */
  outboxLeaseMs: number;
  /** How long JetStream waits for an ack before it delivers an event again. */
  ackWaitMs: number;
  /** Events one consumer handles at the same time. */
  consumerConcurrency: number;
  /** Overrides the EVENT_MAX_ATTEMPTS setting (tests). */
  eventMaxAttempts?: number;
}

export const DEFAULT_MESSAGING_OPTIONS: MessagingOptions = {
  outboxSweepMs: 1000,
  outboxBatchSize: 200,
  outboxLeaseMs: 30_000,
  ackWaitMs: 30_000,
  consumerConcurrency: 16,
};
