import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An event waiting to be published. Written in the same transaction as the state change it
 * reports, so the change and the news of it cannot part; the relay marks it published once
 * JetStream has acknowledged it.
 */
@Entity({ name: 'outbox' })
@Index('outbox_unpublished_idx', ['occurredAt'], { where: 'published_at IS NULL' })
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

export const messagingEntities = [OutboxEvent, InboxEvent];
