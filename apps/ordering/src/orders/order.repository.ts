import type { OrderStatus } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository, type EventAggregate } from '@trove/messaging';
import type { Position } from '@trove/platform';
import { In } from 'typeorm';
import { LicenseReceipt, Order, OrderLine } from './order.entity';

@Injectable()
export class OrderRepository extends TransactionalRepository {
  async insert(order: Order, lines: OrderLine[], receipt: LicenseReceipt): Promise<void> {
    await this.transaction.insert(Order, order);
    await this.transaction.insert(OrderLine, lines);
    await this.transaction.insert(LicenseReceipt, receipt);
  }

  /** Locks the order: two events of one order apply one after the other. */
  findForUpdate(id: string): Promise<Order | null> {
    return this.transaction.findOne(Order, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /**
   * Writes what a step of the saga may change on a stored order, in one UPDATE: `save` would
   * first read the row back to find what changed, a round trip and a hydration per step.
   */
  async save(order: Order): Promise<Order> {
    await this.transaction.update(Order, { id: order.id }, {
      status: order.status,
      cancellationReason: order.cancellationReason,
      refundReason: order.refundReason,
      paymentId: order.paymentId,
      entitlementIds: order.entitlementIds,
      awaitingEventId: order.awaitingEventId,
      redrives: order.redrives,
      paidAt: order.paidAt,
      fulfilledAt: order.fulfilledAt,
      closedAt: order.closedAt,
      updatedAt: order.updatedAt,
    });
    return order;
  }

  find(id: string): Promise<Order | null> {
    return this.manager.findOneBy(Order, { id });
  }

  async linesOf(orderIds: string[]): Promise<Map<string, OrderLine[]>> {
    const byOrder = new Map<string, OrderLine[]>(orderIds.map((id) => [id, []]));
    if (orderIds.length === 0) return byOrder;
    const lines = await this.manager.find(OrderLine, { where: { orderId: In(orderIds) }, order: { position: 'ASC' } });
    for (const line of lines) byOrder.get(line.orderId)!.push(line);
    return byOrder;
  }

  receiptOf(orderId: string): Promise<LicenseReceipt | null> {
    return this.manager.findOneBy(LicenseReceipt, { orderId });
  }

  /** Newest first, keyset-paged; `buyer` narrows to one buyer's orders. */
  list(filter: { buyer?: string; status?: OrderStatus }, limit: number, after: Position | undefined): Promise<Order[]> {
    const query = this.manager.createQueryBuilder(Order, 'o').orderBy('o.placed_at', 'DESC').addOrderBy('o.id', 'DESC').take(limit);
    if (filter.buyer) query.andWhere('o.buyer_organization_id = :buyer', { buyer: filter.buyer });
    if (filter.status) query.andWhere('o.status = :status', { status: filter.status });
    if (after) query.andWhere('(o.placed_at, o.id) < (:at, :id)', { at: after.at, id: after.id });
    return query.getMany();
  }

  /** The vendor's lines of orders that were paid (whatever happened after), newest first. */
  async sales(vendor: string, limit: number, after: Position | undefined): Promise<{ line: OrderLine; order: Order }[]> {
    const query = this.manager
      .createQueryBuilder(OrderLine, 'l')
      .where('l.vendor_organization_id = :vendor', { vendor })
      .andWhere(`EXISTS (SELECT 1 FROM purchase_order o WHERE o.id = l.order_id AND o.paid_at IS NOT NULL)`)
      .orderBy('l.placed_at', 'DESC')
      .addOrderBy('l.id', 'DESC')
      .take(limit);
    if (after) query.andWhere('(l.placed_at, l.id) < (:at, :id)', { at: after.at, id: after.id });
    const lines = await query.getMany();
    const orders = lines.length ? await this.manager.findBy(Order, { id: In([...new Set(lines.map((l) => l.orderId))]) }) : [];
    const byId = new Map(orders.map((o) => [o.id, o]));
    return lines.map((line) => ({ line, order: byId.get(line.orderId)! }));
  }

  async countByStatus(buyer?: string): Promise<{ status: OrderStatus; count: number }[]> {
    return (await this.manager.query(
      `SELECT status, count(*)::int AS count FROM purchase_order WHERE ($1::uuid IS NULL OR buyer_organization_id = $1) GROUP BY status`,
      [buyer ?? null],
    )) as { status: OrderStatus; count: number }[];
  }

  /** Orders waiting since before `before` for an answer, locked; replicas take different ones. */
  stuck(statuses: OrderStatus[], before: Date, limit: number): Promise<Order[]> {
    return this.transaction
      .createQueryBuilder(Order, 'o')
      .where('o.status IN (:...statuses)', { statuses })
      .andWhere('o.updated_at < :before', { before })
      .orderBy('o.updated_at', 'ASC')
      .take(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  /** An event this service wrote, as its outbox holds it (none once pruned). */
  async storedEvent(id: string): Promise<StoredEvent | null> {
    const [row] = (await this.manager.query(
      `SELECT id, subject, payload, headers, occurred_at, aggregate_type, aggregate_id, aggregate_seq, aggregate_previous FROM outbox WHERE id = $1`,
      [id],
    )) as OutboxRow[];
    if (!row) return null;
    return {
      id: row.id,
      subject: row.subject,
      payload: row.payload,
      headers: row.headers ?? {},
      occurredAt: new Date(row.occurred_at),
      aggregate:
        row.aggregate_type !== null && row.aggregate_id !== null && row.aggregate_seq !== null
          ? { type: row.aggregate_type, id: row.aggregate_id, seq: Number(row.aggregate_seq), previous: row.aggregate_previous ?? {} }
          : undefined,
    };
  }
}

export interface StoredEvent {
  id: string;
  subject: string;
  payload: unknown;
  headers: Record<string, string>;
  occurredAt: Date;
  aggregate?: EventAggregate;
}

interface OutboxRow {
  id: string;
  subject: string;
  payload: unknown;
  headers: Record<string, string> | null;
  occurred_at: string | Date;
  aggregate_type: string | null;
  aggregate_id: string | null;
  aggregate_seq: string | null;
  aggregate_previous: Record<string, number> | null;
}
