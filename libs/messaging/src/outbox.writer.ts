import { eventAggregateType, type EventSubject } from '@trove/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { EventAggregate } from './event-envelope';
import { validateMessage } from '@trove/platform';
import { contextHeaders } from './message-context';

/** An outbox row on its way to JetStream, as a relay holds it under its claim. */
export interface OutboxRecord {
  id: string;
  subject: string;
  /** The payload as JSON text: published as it is, never parsed again. */
  payloadJson: string;
  headers: Record<string, string>;
  occurredAt: Date;
  aggregate?: EventAggregate;
}

/** The event written, and the row itself when the writer's transaction claimed it for publishing. */
export interface WrittenEvent {
  id: string;
  /** Claimed by the writing transaction: publish it right after the commit, no claim needed. */
  claimed?: OutboxRecord;
}

interface Returned {
  occurred_at: Date;
  aggregate_seq: string | null;
  aggregate_previous: Record<string, number> | null;
  claimed: boolean;
}

/**
 * Writes one event into the outbox of the transaction that `manager` belongs to.
 *
 * An event whose contract names its aggregate gets the next number in that aggregate's history.
 * The numbering row stays locked until the transaction ends, so two transactions writing events
 * of one order commit in the order of their numbers, and the relay and the consumers can keep
 * that order. The event also carries, per subject, the number of the aggregate's latest earlier
 * event: a consumer of some of the subjects knows which earlier event it must wait for.
 *
 * The producer checks the payload against its contract before anything is written: TypeScript
 * checks neither the contract's rules (`@IsInt`, `@Min`, lengths) nor extra fields of an object
 * passed through a variable, and an event that no consumer can apply must fail the change that
 * wrote it, not commit it and then sit in every consumer's dead letters. The consumer checks
 * again, since for it the event is input from outside.
 */
export async function writeOutboxEvent<P extends object>(manager: EntityManager, event: EventSubject<P>, payload: P): Promise<string> {
  return (await writeOutboxRow(manager, event, payload)).id;
}

/**
 * `writeOutboxEvent`, and with `claimForMs` the row is also claimed for that long by the writing
 * transaction when nothing has to go out before it: an event without an aggregate, the first event
 * of its aggregate, or one whose every earlier event is already published, as the statement's own
 * snapshot shows (an earlier event committed by a transaction this one waited for, not yet
 * visible, means no claim). Such a row is published by whoever wrote it, right after the commit,
 * without a claiming statement; a writer that dies first leaves the claim to expire, and the relay
 * publishes the row then. Every other row waits for the relay's claim, which keeps the order.
 */
export async function writeOutboxRow<P extends object>(
  manager: EntityManager,
  event: EventSubject<P>,
  payload: P,
  claimForMs: number | null = null,
): Promise<WrittenEvent> {
  validateMessage(event.payload as new () => P, payload);
  const id = randomUUID();
  const headers = contextHeaders();
  const payloadJson = JSON.stringify(payload);
  const aggregateId = event.aggregate?.(payload);
  let returned: Returned;
  if (aggregateId === undefined) {
    [returned] = (await manager.query(
      `INSERT INTO outbox (id, subject, payload, headers, occurred_at, claimed_until)
       VALUES ($1, $2, $3, $4, now(), clock_timestamp() + make_interval(secs => $5::double precision / 1000))
       RETURNING occurred_at, aggregate_seq, aggregate_previous, claimed_until IS NOT NULL AS claimed`,
      [id, event.subject, payloadJson, JSON.stringify(headers), claimForMs],
    )) as Returned[];
  } else {
    if (typeof aggregateId !== 'string' || aggregateId.length === 0) {
      throw new Error(`the aggregate id of ${event.subject} must be a non-empty string`);
    }
    // `known` is the aggregate's numbering as this statement's snapshot saw it, before the
    // upsert waited for any other writer: when it is just before this event, every earlier event
    // is visible to the NOT EXISTS below, and "none unpublished" can be trusted.
    [returned] = (await manager.query(
      `WITH known AS (
         SELECT last_seq FROM outbox_aggregate WHERE aggregate_type = $5 AND aggregate_id = $6
       ), numbered AS (
         INSERT INTO outbox_aggregate AS a (aggregate_type, aggregate_id, last_seq, last_by_subject, previous_by_subject)
         VALUES ($5, $6, 1, jsonb_build_object($2::text, 1), '{}'::jsonb)
         ON CONFLICT (aggregate_type, aggregate_id) DO UPDATE
           SET last_seq = a.last_seq + 1,
               last_by_subject = a.last_by_subject || jsonb_build_object($2::text, a.last_seq + 1),
               previous_by_subject = a.last_by_subject
         RETURNING last_seq, previous_by_subject
       )
       INSERT INTO outbox (id, subject, payload, headers, occurred_at, aggregate_type, aggregate_id, aggregate_seq, aggregate_previous, claimed_until)
       SELECT $1, $2, $3, $4, now(), $5, $6, n.last_seq, n.previous_by_subject,
              CASE WHEN $7::double precision IS NOT NULL AND (
                     n.last_seq = 1
                     OR ((SELECT last_seq FROM known) = n.last_seq - 1
                         AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.aggregate_type = $5 AND e.aggregate_id = $6 AND e.published_at IS NULL)))
                   THEN clock_timestamp() + make_interval(secs => $7::double precision / 1000) END
         FROM numbered n
       RETURNING occurred_at, aggregate_seq, aggregate_previous, claimed_until IS NOT NULL AS claimed`,
      [id, event.subject, payloadJson, JSON.stringify(headers), eventAggregateType(event.subject), aggregateId, claimForMs],
    )) as Returned[];
  }
  if (!returned.claimed) return { id };
  const claimed: OutboxRecord = { id, subject: event.subject, payloadJson, headers, occurredAt: returned.occurred_at };
  if (aggregateId !== undefined && returned.aggregate_seq !== null) {
    claimed.aggregate = { type: eventAggregateType(event.subject), id: aggregateId, seq: Number(returned.aggregate_seq), previous: returned.aggregate_previous ?? {} };
  }
  return { id, claimed };
}
