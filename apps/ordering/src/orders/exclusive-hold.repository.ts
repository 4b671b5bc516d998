import { Injectable } from '@nestjs/common';
import type { LicenseTermsValue } from '@trove/licensing';
import { queryOpening, TransactionalRepository, type Transaction } from '@trove/messaging';

/** The exclusive offer a hold is for: its dataset and terms. */
export interface HeldSale {
  datasetId: string;
  terms: LicenseTermsValue;
}

/** An exclusive grant of a dataset, held or sold, to the buyer that has it. */
export interface ExclusiveGrant extends HeldSale {
  buyerOrganizationId: string;
  /** The order it is held or sold for. */
  orderId: string;
  startsAt: Date;
  /** A placement's hold, being reserved (it may yet be refused), rather than an order's line. */
  held: boolean;
}

/** One lock per dataset: exclusive for a hold, shared for reading the dataset's grants. */
const datasetLockKey = (datasetId: string) => `ordering.exclusive:${datasetId}`;

/** The exclusive holds of placements in progress (see ExclusiveHolds), in plain SQL. */
@Injectable()
export class ExclusiveHoldRepository extends TransactionalRepository {
  /**
   * Writes the order's hold, or joins the one a concurrent attempt of the same command wrote
   * (its age starts again); answers the hold's token. Its first statement, sent with its START
   * TRANSACTION, waits until no placement of another offer of the dataset is between reading the
   * dataset's exclusive grants and committing (lockDatasets), so that each such placement either
   * committed before this hold or sees it.
   */
  async hold(tx: Transaction, orderId: string, buyerOrganizationId: string, token: string, at: Date, sale: HeldSale): Promise<string> {
    await queryOpening(tx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [datasetLockKey(sale.datasetId)]);
    const [row] = (await this.transaction.query(
      `INSERT INTO exclusive_hold (order_id, buyer_organization_id, token, held_at, dataset_id, terms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (order_id) DO UPDATE SET held_at = EXCLUDED.held_at, dataset_id = EXCLUDED.dataset_id, terms = EXCLUDED.terms RETURNING token`,
      [orderId, buyerOrganizationId, token, at.toISOString(), sale.datasetId, JSON.stringify(sale.terms)],
    )) as { token: string }[];
    return row.token;
  }

  /**
   * Takes each dataset's lock, shared, for the rest of the transaction (in one order, by id):
   * placements of the same dataset go on side by side, and a hold of it waits for them to end.
   */
  async lockDatasets(datasetIds: readonly string[]): Promise<void> {
    for (const datasetId of [...new Set(datasetIds)].sort()) {
      await this.transaction.query(`SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))`, [datasetLockKey(datasetId)]);
    }
  }

  /**
   * The exclusive grants of these datasets that ordering knows of: the holds of placements in
   * progress and the exclusive lines of orders that still hold their sale (not cancelled or
   * refunded, no lapsed subscription). Read under lockDatasets to see every hold written before;
   * read without it, what a refusal names.
   */
  async exclusiveGrantsOf(datasetIds: readonly string[]): Promise<ExclusiveGrant[]> {
    const rows = (await this.manager.query(
      `SELECT order_id, dataset_id, buyer_organization_id, terms, held_at AS starts_at, true AS held FROM exclusive_hold WHERE dataset_id = ANY($1::uuid[])
       UNION ALL
       SELECT l.order_id, l.dataset_id, l.buyer_organization_id, l.terms, l.placed_at, false FROM order_line l JOIN purchase_order o ON o.id = l.order_id
        WHERE l.dataset_id = ANY($1::uuid[]) AND l.exclusive AND l.subscription_lapsed_at IS NULL AND o.status NOT IN ('cancelled', 'refunded')`,
      [[...new Set(datasetIds)]],
    )) as { order_id: string; dataset_id: string; buyer_organization_id: string; terms: LicenseTermsValue; starts_at: Date; held: boolean }[];
    return rows.map((row) => ({ orderId: row.order_id, datasetId: row.dataset_id, buyerOrganizationId: row.buyer_organization_id, terms: row.terms, startsAt: new Date(row.starts_at), held: row.held }));
  }

  /**
   * Takes the hold for the order's transaction: false when it is gone or is another one (it was
   * given back meanwhile, and with it the sale). Waits while someone gives it back.
   */
  async take(orderId: string, token: string): Promise<boolean> {
    const [, count] = (await this.transaction.query(`DELETE FROM exclusive_hold WHERE order_id = $1 AND token = $2`, [orderId, token])) as [unknown, number];
    return count > 0;
  }

  /**
   * Locks the order's hold, writing one when there is none: until this transaction ends, no
   * placement of the order writes or takes a hold, so none can write the order meanwhile.
   */
  async lock(orderId: string, buyerOrganizationId: string, token: string, at: Date): Promise<void> {
    await this.transaction.query(
      `INSERT INTO exclusive_hold (order_id, buyer_organization_id, token, held_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_id) DO UPDATE SET held_at = exclusive_hold.held_at`,
      [orderId, buyerOrganizationId, token, at],
    );
  }

  /** Locks the order's hold if it is still older than `before` and nobody else has it locked. */
  async lockIfHeldBefore(orderId: string, before: Date): Promise<boolean> {
    const rows = (await this.transaction.query(`SELECT order_id FROM exclusive_hold WHERE order_id = $1 AND held_at < $2 FOR UPDATE SKIP LOCKED`, [orderId, before])) as unknown[];
    return rows.length > 0;
  }

  /** The orders whose holds were last written before `before`, oldest first. */
  async heldBefore(before: Date, limit: number): Promise<string[]> {
    const rows = (await this.manager.query(`SELECT order_id FROM exclusive_hold WHERE held_at < $1 ORDER BY held_at LIMIT $2`, [before, limit])) as { order_id: string }[];
    return rows.map((row) => row.order_id);
  }

  async remove(orderId: string): Promise<void> {
    await this.transaction.query(`DELETE FROM exclusive_hold WHERE order_id = $1`, [orderId]);
  }
}
