import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EVENT_RETENTION_DAYS } from './jetstream';

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Keeps the outbox and inbox from growing forever. A published outbox row is history once the
 * stream itself has dropped the event; an inbox row must outlive every possible redelivery of
 * its event, so it goes a day after the stream's retention. Replicas may prune at the same
 * time: the deletes are idempotent.
 */
@Injectable()
export class MessagingJanitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MessagingJanitor');
  private timer?: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.prune().catch((error: Error) => this.logger.warn(`pruning failed: ${error.message}`)), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async prune(now = new Date()): Promise<{ outbox: number; inbox: number }> {
    const day = 24 * 60 * 60 * 1000;
    const [, outbox] = (await this.dataSource.query(`DELETE FROM outbox WHERE published_at < $1`, [
      new Date(now.getTime() - EVENT_RETENTION_DAYS * day),
    ])) as [unknown, number];
    const [, inbox] = (await this.dataSource.query(`DELETE FROM inbox WHERE handled_at < $1`, [
      new Date(now.getTime() - (EVENT_RETENTION_DAYS + 1) * day),
    ])) as [unknown, number];
    if (outbox + inbox > 0) this.logger.log(`pruned ${outbox} published outbox rows and ${inbox} inbox rows`);
    return { outbox, inbox };
  }
}
