import { Injectable } from '@nestjs/common';
import { queryOpening, TransactionalRepository, type Transaction } from '@trove/messaging';

/** The exclusive holds of placements in progress (see ExclusiveHolds), in plain SQL. */
@Injectable()
export class ExclusiveHoldRepository extends TransactionalRepository {
  /**
   * Writes the order's hold, or joins the one a concurrent attempt of the same command wrote
   * (its age starts again); answers the hold's token. The transaction's only statement, sent
   * with its START TRANSACTION.
   */
  async hold(tx: Transaction, orderId: string, buyerOrganizationId: string, token: string, at: Date): Promise<string> {
    const [row] = (await queryOpening(
      tx,
      `INSERT INTO exclusive_hold (order_id, buyer_organization_id, token, held_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (order_id) DO UPDATE SET held_at = EXCLUDED.held_at RETURNING token`,
      [orderId, buyerOrganizationId, token, at.toISOString()],
    )) as { token: string }[];
    return row.token;
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
