/** What travels on JetStream: the event's identity and time around its versioned payload. */
export interface EventEnvelope<P = unknown> {
  id: string;
  subject: string;
  occurredAt: string;
  producer: string;
  payload: P;
  /** Present when the event's contract names its aggregate: consumers apply these in order. */
  aggregate?: EventAggregate;
}

/** Where an event stands in the history of the aggregate it is about. */
export interface EventAggregate {
  /** `ordering.order` for `evt.ordering.order.paid.v1`. */
  type: string;
  id: string;
  /** 1 for the aggregate's first event, then 2, 3… in the order they were written. */
  seq: number;
  /** Per subject, the seq of the aggregate's latest earlier event on it. */
  previous: Record<string, number>;
}

/**
 * When the event happened, by its envelope (`occurredAt`, the producer's commit): one that is
 * not a time fails the event (retried, then a dead letter), never guessed.
 */
export function occurredAt(envelope: Pick<EventEnvelope, 'occurredAt'>): Date {
  const at = new Date(envelope.occurredAt);
  if (typeof envelope.occurredAt !== 'string' || Number.isNaN(at.getTime())) throw new Error(`the event's occurredAt ${JSON.stringify(envelope.occurredAt)} is not a time`);
  return at;
}
