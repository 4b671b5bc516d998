import { OrderedEventTablesMigration } from '@trove/messaging';

/** Ordered outbox claims, per-aggregate positions and dead letters in the ordering database. */
export class OrderEventsAndDeadLetters1764450000000 extends OrderedEventTablesMigration {
  readonly name = 'OrderEventsAndDeadLetters1764450000000';
}
