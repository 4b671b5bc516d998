import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PeriodicJob } from '@trove/platform';
import { DataSource } from 'typeorm';
import { EVENT_RETENTION_DAYS } from './jetstream';

const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** How long a replayed dead letter stays for the record. */
export const REPLAYED_DEAD_LETTER_DAYS = 30;

/**
 * Keeps the outbox and inbox from growing forever. A published outbox row is history once the
 * stream itself has dropped the event; an inbox row must outlive every possible redelivery of
 * its event, so it goes a day after the stream's retention, and so do the failure counts of
 * events that stopped coming. A replayed dead letter stays a month for the record; one not
 * replayed, and the consumers' positions in each aggregate, are never pruned. Replicas may
 * prune at the same time: the deletes are idempotent.
 */
@Injectable()
export class MessagingJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MessagingJanitor');
  private readonly job = new PeriodicJob(this.logger, 'pruning failed', () => this.prune());

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.job.start(PRUNE_EVERY_MS);
  }

  onApplicationShutdown(): Promise<void> {
    return this.job.stop();
  }

  async prune(now = new Date()): Promise<{ outbox: number; inbox: number; attempts: number; deadLetters: number }> {
    const day = 24 * 60 * 60 * 1000;
    const [, outbox] = (await this.dataSource.query(`DELETE FROM outbox WHERE published_at < $1`, [
      new Date(now.getTime() - EVENT_RETENTION_DAYS * day),
    ])) as [unknown, number];
    const [, inbox] = (await this.dataSource.query(`DELETE FROM inbox WHERE handled_at < $1`, [
      new Date(now.getTime() - (EVENT_RETENTION_DAYS + 1) * day),
    ])) as [unknown, number];
    const [, attempts] = (await this.dataSource.query(`DELETE FROM event_attempt WHERE last_failed_at < $1`, [
      new Date(now.getTime() - (EVENT_RETENTION_DAYS + 1) * day),
    ])) as [unknown, number];
    const [, deadLetters] = (await this.dataSource.query(`DELETE FROM dead_letter WHERE replayed_at < $1`, [
      new Date(now.getTime() - REPLAYED_DEAD_LETTER_DAYS * day),
    ])) as [unknown, number];
    if (outbox + inbox + attempts + deadLetters > 0) {
      this.logger.log(`pruned ${outbox} published outbox rows, ${inbox} inbox rows, ${attempts} attempt counts and ${deadLetters} replayed dead letters`);
    }
    return { outbox, inbox, attempts, deadLetters };
  }
}
