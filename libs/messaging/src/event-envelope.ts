/** What travels on JetStream: the event's identity and time around its versioned payload. */
export interface EventEnvelope<P = unknown> {
  id: string;
  subject: string;
  occurredAt: string;
  producer: string;
  payload: P;
}
