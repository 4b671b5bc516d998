import type { EventSubject } from '@trove/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { validateMessage } from '@trove/platform';
import { OutboxEvent } from './event.entities';
import { contextHeaders } from './message-context';

/** Writes one event into the outbox of the transaction that `manager` belongs to. */
export async function writeOutboxEvent<P extends object>(
  manager: EntityManager,
  event: EventSubject<P>,
  payload: P,
): Promise<string> {
  // The producer checks its own payload, so a malformed event never leaves the service.
  validateMessage(event.payload as new () => P, payload);
  const id = randomUUID();
  await manager.insert(OutboxEvent, { id, subject: event.subject, payload: payload as never, headers: contextHeaders(), occurredAt: new Date() });
  return id;
}
