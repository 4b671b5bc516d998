import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';

/** The gateway's own outbox, counted as the other services count theirs in their health reply. */
@Injectable()
export class OutboxBacklogRepository extends TransactionalRepository {
  /** Events written and not yet published to the stream; the partial index on them keeps it cheap. */
  async unpublishedCount(): Promise<number> {
    const [{ count }] = (await this.manager.query(`SELECT count(*)::int AS count FROM outbox WHERE published_at IS NULL`)) as { count: number }[];
    return count;
  }
}
