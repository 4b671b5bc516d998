import { eventAggregateType, type EventSubject } from '@trove/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { validateMessage } from '@trove/platform';
import { contextHeaders } from './message-context';

/**
 * Writes one event into the outbox of the transaction that `manager` belongs to.
 *
 * An event whose contract names its aggregate gets the next number in that aggregate's history.
 * The numbering row stays locked until the transaction ends, so two transactions writing events
 * of one order commit in the order of their numbers, and the relay and the consumers can keep
 * that order. The event also carries, per subject, the number of the aggregate's latest earlier
 * event: a consumer of some of the subjects knows which earlier event it must wait for.
 */
export async function writeOutboxEvent<P extends object>(
  manager: EntityManager,
  event: EventSubject<P>,
  payload: P,
): Promise<string> {
  // The producer checks its own payload, so a malformed event never leaves the service.
  validateMessage(event.payload as new () => P, payload);
  const id = randomUUID();
  const headers = JSON.stringify(contextHeaders());
  const aggregateId = event.aggregate?.(payload);
  if (aggregateId === undefined) {
    await manager.query(`INSERT INTO outbox (id, subject, payload, headers, occurred_at) VALUES ($1, $2, $3, $4, now())`, [
      id,
      event.subject,
      JSON.stringify(payload),
      headers,
    ]);
    return id;
  }
  if (typeof aggregateId !== 'string' || aggregateId.length === 0) {
    throw new Error(`the aggregate id of ${event.subject} must be a non-empty string`);
  }
  await manager.query(
    `WITH numbered AS (
       INSERT INTO outbox_aggregate AS a (aggregate_type, aggregate_id, last_seq, last_by_subject, previous_by_subject)
       VALUES ($5, $6, 1, jsonb_build_object($2::text, 1), '{}'::jsonb)
       ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
         SET last_seq = a.last_seq + 1,
             last_by_subject = a.last_by_subject || jsonb_build_object($2::text, a.last_seq + 1),
             previous_by_subject = a.last_by_subject
       RETURNING last_seq, previous_by_subject
     )
     INSERT INTO outbox (id, subject, payload, headers, occurred_at, aggregate_type, aggregate_id, aggregate_seq, aggregate_previous)
     SELECT $1, $2, $3, $4, now(), $5, $6, last_seq, previous_by_subject FROM numbered`,
    [id, event.subject, JSON.stringify(payload), headers, eventAggregateType(event.subject), aggregateId],
  );
  return id;
}
