import type { EventSubject } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { writeOutboxEvent } from './outbox.writer';
import { OutboxRelay } from './outbox.relay';

/** A transaction in progress, and the events that commit with it. */
export interface Transaction {
  manager: EntityManager;
  /** Records an event in the outbox, inside this transaction. Returns the event id. */
  publish<P extends object>(event: EventSubject<P>, payload: P): Promise<string>;
}

/**
 * One command, one transaction: the state change and its events commit together, and the relay
 * is woken right after the commit instead of waiting for its next sweep.
 */
@Injectable()
export class UnitOfWork {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly relay: OutboxRelay,
  ) {}

  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    let events = 0;
    const result = await this.dataSource.transaction(async (manager) =>
      work({
        manager,
        publish: async (event, payload) => {
          events++;
          return writeOutboxEvent(manager, event, payload);
        },
      }),
    );
    if (events > 0) this.relay.kick();
    return result;
  }
}
