import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from './repository';

/** A change a consumer was told of and could not apply: a dead letter not yet replayed. */
export interface UnappliedChange {
  id: string;
  subject: string;
}

/**
 * The dead letters not yet replayed that a decision may concern: what the service keeps of an
 * aggregate (a vendor's standing) may be stale while an event of it was never applied. A
 * decision that cannot be taken back (a payout, a period charged, a sale) checks them first.
 * Read in the caller's unit of work, on its connection.
 */
@Injectable()
export class UnappliedChanges extends TransactionalRepository {
  /** The first of `consumer`'s for any of these aggregates (by id), or null. */
  async ofAggregates(consumer: string, aggregateType: string, aggregateIds: readonly string[]): Promise<UnappliedChange | null> {
    const rows = (await this.manager.query(
      `SELECT id, subject FROM dead_letter
        WHERE consumer = $1 AND aggregate_type = $2 AND aggregate_id = ANY($3::text[]) AND replayed_at IS NULL
        ORDER BY dead_at LIMIT 1`,
      [consumer, aggregateType, aggregateIds],
    )) as UnappliedChange[];
    return rows[0] ?? null;
  }

  /**
   * The first of these consumers' whose payload names one of `fields` (`{datasetId: '…'}`:
   * `payload ->> 'datasetId'` is that value), or null: events without an aggregate, found by
   * what they are about.
   */
  async naming(consumers: readonly string[], fields: Record<string, string>): Promise<UnappliedChange | null> {
    const rows = (await this.manager.query(
      `SELECT id, subject FROM dead_letter
        WHERE consumer = ANY($1::text[]) AND replayed_at IS NULL
          AND EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS f(field, value) WHERE payload ->> f.field = f.value)
        ORDER BY dead_at LIMIT 1`,
      [consumers, Object.keys(fields), Object.values(fields)],
    )) as UnappliedChange[];
    return rows[0] ?? null;
  }
}
