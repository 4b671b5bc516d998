import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An event waiting to be published. Written in the same transaction as the state change it
 * reports, so the change and the news of it cannot part; the relay marks it published once
 * JetStream has acknowledged it.
 */
@Entity({ name: 'outbox' })
@Index('outbox_unpublished_idx', ['seq'], { where: 'published_at IS NULL' })
@Index('outbox_unpublished_aggregate_idx', ['aggregateType', 'aggregateId', 'seq'], { where: 'published_at IS NULL' })
export class OutboxEvent {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  subject: string;

  @Column('jsonb')
  payload: unknown;

  @Column('jsonb', { default: {} })
  headers: Record<string, string>;

  @Column('timestamptz', { name: 'occurred_at' })
  occurredAt: Date;

  @Column('timestamptz', { name: 'published_at', nullable: true })
  publishedAt: Date | null;

  @Column('integer', { default: 0 })
  attempts: number;

  /** Write order: relays claim and publish in this order. */
  @Column({ type: 'bigint', generated: 'identity', generatedIdentity: 'ALWAYS', insert: false, update: false })
  seq: string;

  /** `ordering.order` for `evt.ordering.order.paid.v1`; null for an event without an aggregate. */
  @Column('text', { name: 'aggregate_type', nullable: true })
  aggregateType: string | null;

  @Column('text', { name: 'aggregate_id', nullable: true })
  aggregateId: string | null;

  /** The event's place in its aggregate's history: 1, 2, 3… */
  @Column('bigint', { name: 'aggregate_seq', nullable: true })
  aggregateSeq: string | null;

  /** The aggregate's latest earlier event per subject, so a consumer knows what to wait for. */
  @Column('jsonb', { name: 'aggregate_previous', nullable: true })
  aggregatePrevious: Record<string, number> | null;

  /** Until when a relay has claimed the row; an expired claim is taken over by another relay. */
  @Column('timestamptz', { name: 'claimed_until', nullable: true })
  claimedUntil: Date | null;
}

/** Numbers each aggregate's events as they are written; its row lock orders the writers. */
@Entity({ name: 'outbox_aggregate' })
export class OutboxAggregate {
  @PrimaryColumn('text', { name: 'aggregate_type' })
  aggregateType: string;

  @PrimaryColumn('text', { name: 'aggregate_id' })
  aggregateId: string;

  @Column('bigint', { name: 'last_seq' })
  lastSeq: string;

  /** Per subject, the seq of the aggregate's latest event on it. */
  @Column('jsonb', { name: 'last_by_subject' })
  lastBySubject: Record<string, number>;

  /** `last_by_subject` as it was before the latest event: what that event carries. */
  @Column('jsonb', { name: 'previous_by_subject' })
  previousBySubject: Record<string, number>;
}

/** How far a consumer got in an aggregate's history: the seq of the last event it applied. */
@Entity({ name: 'event_position' })
export class EventPosition {
  @PrimaryColumn('text')
  consumer: string;

  @PrimaryColumn('text', { name: 'aggregate_type' })
  aggregateType: string;

  @PrimaryColumn('text', { name: 'aggregate_id' })
  aggregateId: string;

  @Column('bigint', { name: 'last_seq' })
  lastSeq: string;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}

/** A consumer's failed attempts at an event it has not applied yet. */
@Entity({ name: 'event_attempt' })
export class EventAttempt {
  @PrimaryColumn('text')
  consumer: string;

  @PrimaryColumn('uuid', { name: 'event_id' })
  eventId: string;

  @Column('integer')
  attempts: number;

  @Column('text', { name: 'last_error' })
  lastError: string;

  @Column('timestamptz', { name: 'first_failed_at' })
  firstFailedAt: Date;

  @Column('timestamptz', { name: 'last_failed_at' })
  lastFailedAt: Date;
}

/** An event this service has already applied, per consumer: a redelivery finds it and stops. */
@Entity({ name: 'inbox' })
export class InboxEvent {
  @PrimaryColumn('text')
  consumer: string;

  @PrimaryColumn('uuid', { name: 'event_id' })
  eventId: string;

  @Column('text')
  subject: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'handled_at' })
  handledAt: Date;
}

export const DEAD_LETTER_REASONS = ['failed', 'malformed', 'blocked'] as const;
export const REPLAY_OUTCOMES = ['applied', 'already-applied', 'failed', 'blocked', 'malformed'] as const;

/**
 * An event a consumer gave up on: its handler failed EVENT_MAX_ATTEMPTS times, it was
 * malformed, or an earlier event of its aggregate is itself a dead letter. Kept with the
 * message as it arrived until an operator replays it.
 */
@Entity({ name: 'dead_letter' })
@Index('dead_letter_event_idx', ['consumer', 'eventId'], { unique: true, where: 'event_id IS NOT NULL' })
@Index('dead_letter_listing_idx', ['deadAt', 'id'])
@Index('dead_letter_unreplayed_idx', ['consumer', 'aggregateType', 'aggregateId'], { where: 'replayed_at IS NULL' })
@Check('dead_letter_reason_check', `reason IN ('failed', 'malformed', 'blocked')`)
@Check('dead_letter_replay_outcome_check', `replay_outcome IN ('applied', 'already-applied', 'failed', 'blocked', 'malformed')`)
export class DeadLetter {
  @PrimaryColumn('uuid')
  id: string;

  @Column('text')
  consumer: string;

  @Column('text')
  subject: string;

  @Column('uuid', { name: 'event_id', nullable: true })
  eventId: string | null;

  @Column('text', { name: 'aggregate_type', nullable: true })
  aggregateType: string | null;

  @Column('text', { name: 'aggregate_id', nullable: true })
  aggregateId: string | null;

  @Column('bigint', { name: 'aggregate_seq', nullable: true })
  aggregateSeq: string | null;

  /** The event's payload when the message could be decoded. */
  @Column('jsonb', { nullable: true })
  payload: unknown;

  /** The message exactly as it arrived: a replay decodes it again. */
  @Column('text')
  body: string;

  @Column('jsonb')
  headers: Record<string, string>;

  @Column('text')
  reason: (typeof DEAD_LETTER_REASONS)[number];

  @Column('text')
  error: string;

  @Column('integer')
  attempts: number;

  @Column('bigint', { name: 'stream_seq', nullable: true })
  streamSeq: string | null;

  @Column('timestamptz', { name: 'first_failed_at' })
  firstFailedAt: Date;

  @Column('timestamptz', { name: 'dead_at' })
  deadAt: Date;

  @Column('timestamptz', { name: 'replayed_at', nullable: true })
  replayedAt: Date | null;

  @Column('text', { name: 'replay_outcome', nullable: true })
  replayOutcome: (typeof REPLAY_OUTCOMES)[number] | null;
}

export const messagingEntities = [OutboxEvent, InboxEvent, OutboxAggregate, EventPosition, EventAttempt, DeadLetter];
