import type { OrderStatus } from '@trove/contracts';
import { licenseEndsAt, type LicenseTermsValue } from '@trove/licensing';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository, type EventAggregate } from '@trove/messaging';
import type { Position } from '@trove/platform';
import { In } from 'typeorm';
import { bigintNumber } from '../columns';
import { LicenseReceipt, Order, OrderLine, type Renewal } from './order.entity';

/** A live order's line of an offer, as a new order of that offer by the same buyer is checked against it. */
export interface LiveHolding {
  id: string;
  status: OrderStatus;
  subscriptionLapsedAt: Date | null;
}

@Injectable()
export class OrderRepository extends TransactionalRepository {
  /**
   * The order, its lines and its receipt in one statement (one round trip): the order row and
   * the lines as data-modifying CTEs, the receipt as the statement itself; the lines' and the
   * receipt's keys to the order are checked at the statement's end, when the order is there.
   */
  async insert(order: Order, lines: OrderLine[], receipt: LicenseReceipt): Promise<void> {
    const parameters: unknown[] = [
      order.id,
      order.buyerOrganizationId,
      order.status,
      order.totalAmount,
      order.currency,
      order.cancellationReason,
      order.refundReason,
      order.paymentId,
      JSON.stringify(order.entitlementIds),
      order.awaitingEventId,
      order.redrives,
      order.placedAt,
      order.paidAt,
      order.fulfilledAt,
      order.closedAt,
      order.updatedAt,
      receipt.id,
      receipt.orderId,
      receipt.acceptedByOrganizationId,
      receipt.acceptedByKeyId,
      receipt.acceptedAt,
      JSON.stringify(receipt.lines),
      receipt.sha256,
    ];
    const values = lines.map((line) => {
      const first = parameters.length + 1;
      parameters.push(
        line.id,
        line.orderId,
        line.buyerOrganizationId,
        line.position,
        line.offerId,
        line.datasetId,
        line.datasetTitle,
        line.vendorOrganizationId,
        line.priceAmount,
        line.quantity,
        line.wholeQuantity,
        line.currency,
        JSON.stringify(line.pricing),
        line.licenseTemplate,
        JSON.stringify(line.terms),
        line.termsSha256,
        line.exclusive,
        line.coversFutureVersions,
        JSON.stringify(line.versionIds),
        line.placedAt,
      );
      return `(${Array.from({ length: LINE_COLUMNS }, (_, i) => `$${first + i}`).join(', ')})`;
    });
    await this.transaction.query(
      `WITH new_order AS (
         INSERT INTO purchase_order (${ORDER_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ), new_lines AS (
         INSERT INTO order_line (${LINE_COLUMN_NAMES}) VALUES ${values.join(', ')}
       )
       INSERT INTO license_receipt (id, order_id, accepted_by_organization_id, accepted_by_key_id, accepted_at, lines, sha256)
       VALUES ($17, $18, $19, $20, $21, $22, $23)`,
      parameters,
    );
  }

  /** Locks the order: two events of one order apply one after the other. */
  async findForUpdate(id: string): Promise<Order | null> {
    const rows = (await this.transaction.query(`SELECT ${ORDER_COLUMNS} FROM purchase_order WHERE id = $1 FOR UPDATE`, [id])) as OrderRow[];
    return rows.length ? orderOf(rows[0]) : null;
  }

  /**
   * Locks the order and reads its lines (by position) in one statement: a step of the saga that
   * needs both makes one round trip. The order's columns come once per line.
   */
  async findForUpdateWithLines(id: string): Promise<{ order: Order; lines: OrderLine[] } | null> {
    const rows = (await this.transaction.query(
      `SELECT ${ORDER_COLUMNS_OF_O}, ${LINE_COLUMNS_OF_L}
         FROM purchase_order o
         LEFT JOIN order_line l ON l.order_id = o.id
        WHERE o.id = $1
        ORDER BY l.position
          FOR UPDATE OF o`,
      [id],
    )) as (OrderRow & PrefixedLineRow)[];
    if (rows.length === 0) return null;
    return { order: orderOf(rows[0]), lines: rows.filter((row) => row.l_id !== null).map(lineOfPrefixed) };
  }

  /**
   * Writes what a step of the saga may change on a stored order, in one UPDATE: `save` would
   * first read the row back to find what changed, a round trip and a hydration per step.
   */
  async save(order: Order): Promise<Order> {
    await this.transaction.query(
      `UPDATE purchase_order
          SET status = $2, cancellation_reason = $3, refund_reason = $4, payment_id = $5, entitlement_ids = $6,
              awaiting_event_id = $7, redrives = $8, paid_at = $9, fulfilled_at = $10, closed_at = $11, updated_at = $12
        WHERE id = $1`,
      [
        order.id,
        order.status,
        order.cancellationReason,
        order.refundReason,
        order.paymentId,
        JSON.stringify(order.entitlementIds),
        order.awaitingEventId,
        order.redrives,
        order.paidAt,
        order.fulfilledAt,
        order.closedAt,
        order.updatedAt,
      ],
    );
    return order;
  }

  find(id: string): Promise<Order | null> {
    return this.manager.findOneBy(Order, { id });
  }

  /**
   * The end of the first period each subscription line's charge paid (`ends`, by line id), kept
   * unless a later end is recorded already: a renewal applied first leaves it as it is.
   */
  async recordFirstPeriods(orderId: string, ends: Map<string, Date>): Promise<void> {
    if (ends.size === 0) return;
    await this.transaction.query(
      `UPDATE order_line l SET subscription_paid_through = GREATEST(l.subscription_paid_through, e.ends_at)
         FROM unnest($2::uuid[], $3::timestamptz[]) AS e(line_id, ends_at)
        WHERE l.order_id = $1 AND l.id = e.line_id`,
      [orderId, [...ends.keys()], [...ends.values()]],
    );
  }

  /**
   * One renewal of a subscription line, applied once (the caller's inbox row): counted, its
   * amount added, and the period's end kept when it is the latest; an older end moves nothing
   * back. False when the order has no such subscription line.
   */
  async recordRenewal(orderId: string, lineId: string, periodEnd: Date, amount: number | null): Promise<boolean> {
    const rows = (await this.transaction.query(
      `UPDATE order_line
          SET subscription_renewals = subscription_renewals + 1,
              subscription_renewed_amount = subscription_renewed_amount + coalesce($4::bigint, price_amount),
              subscription_paid_through = GREATEST(subscription_paid_through, $3::timestamptz)
        WHERE order_id = $1 AND id::text = $2 AND pricing->>'model' = 'subscription'
        RETURNING id`,
      [orderId, lineId, periodEnd, amount],
    )) as [unknown[], number] | unknown[];
    return affected(rows) > 0;
  }

  /** When a subscription line lapsed; the first lapse recorded stays. False when the order has no such line. */
  async recordLapse(orderId: string, lineId: string, at: Date): Promise<boolean> {
    const rows = (await this.transaction.query(
      `UPDATE order_line SET subscription_lapsed_at = coalesce(subscription_lapsed_at, $3::timestamptz)
        WHERE order_id = $1 AND id::text = $2 AND pricing->>'model' = 'subscription'
        RETURNING id`,
      [orderId, lineId, at],
    )) as [unknown[], number] | unknown[];
    return affected(rows) > 0;
  }

  /**
   * When the buyer's latest order of this exclusive offer that billing declined was cancelled,
   * if that was after `since`; null otherwise. Reads the exclusive lines' partial index
   * (migration 1764880000000): only exclusive orders ask.
   */
  async exclusiveDeclinedSince(buyerOrganizationId: string, offerId: string, since: Date): Promise<Date | null> {
    const [row] = (await this.manager.query(
      `SELECT max(o.closed_at) AS closed_at
         FROM order_line l JOIN purchase_order o ON o.id = l.order_id
        WHERE l.offer_id = $1 AND l.exclusive AND o.buyer_organization_id = $2
          AND o.status = 'cancelled' AND o.closed_at > $3`,
      [offerId, buyerOrganizationId, since],
    )) as { closed_at: Date | null }[];
    return row?.closed_at ?? null;
  }

  /**
   * The buyer's live orders (awaiting payment, paid or fulfilled), oldest first, with a line of
   * `offerId` under these terms that covers every one of `versionIds`, each with when that
   * line's subscription lapsed (null: it has not, or the line is no subscription). Takes a lock
   * on (buyer, offer) for the rest of the transaction first (lockHolding), so two placements of
   * one offer by one buyer take turns and the second one's read sees the first one's order.
   */
  async liveOrdersCovering(buyerOrganizationId: string, offerId: string, termsSha256: string, versionIds: string[]): Promise<LiveHolding[]> {
    await this.lockHolding(buyerOrganizationId, offerId);
    const rows = (await this.transaction.query(
      // The buyer's lines of the offer first (a few at most, by order_line_buyer_offer_idx), their
      // orders after: left to itself, the planner may walk every live order by placed_at instead.
      `WITH held AS MATERIALIZED (
         SELECT order_id, subscription_lapsed_at FROM order_line
          WHERE buyer_organization_id = $1 AND offer_id = $2 AND terms_sha256 = $3 AND version_ids @> $4::jsonb
       )
       SELECT o.id, o.status, held.subscription_lapsed_at FROM held JOIN purchase_order o ON o.id = held.order_id
        WHERE o.status IN ('pending_payment', 'paid', 'fulfilled')
        ORDER BY o.placed_at`,
      [buyerOrganizationId, offerId, termsSha256, JSON.stringify(versionIds)],
    )) as { id: string; status: OrderStatus; subscription_lapsed_at: Date | null }[];
    return rows.map((row) => ({ id: row.id, status: row.status, subscriptionLapsedAt: row.subscription_lapsed_at }));
  }

  /**
   * Until the transaction ends, what the buyer holds of the offer is the caller's to read and
   * change: placements and payments of one offer by one buyer take turns.
   */
  async lockHolding(buyerOrganizationId: string, offerId: string): Promise<void> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`ordering.licensed:${buyerOrganizationId}:${offerId}`]);
  }

  /**
   * The run of the buyer's paid terms of this license that ends last (null: none on record): the
   * lines of its other paid or fulfilled orders of the offer under these terms, each ending at
   * its run's start plus the months of the run to it (the first of a run, or a line paid before
   * runs were kept, runs from its payment: a renewal always has its run). Call under lockHolding.
   */
  async latestPaidTerm(buyerOrganizationId: string, offerId: string, termsSha256: string, exceptOrderId: string): Promise<{ endsAt: Date; anchorAt: Date; anchorMonths: number } | null> {
    const rows = (await this.transaction.query(
      `SELECT l.terms, coalesce(l.term_anchor_at, o.paid_at) AS anchor_at, l.term_anchor_months
         FROM order_line l JOIN purchase_order o ON o.id = l.order_id
        WHERE l.buyer_organization_id = $1 AND l.offer_id = $2 AND l.terms_sha256 = $3 AND l.order_id <> $4
          AND NOT l.exclusive AND o.status IN ('paid', 'fulfilled') AND o.paid_at IS NOT NULL`,
      [buyerOrganizationId, offerId, termsSha256, exceptOrderId],
    )) as { terms: LicenseTermsValue; anchor_at: Date; term_anchor_months: number | null }[];
    let latest: { endsAt: Date; anchorAt: Date; anchorMonths: number } | null = null;
    for (const row of rows) {
      const anchorMonths = row.term_anchor_months ?? row.terms.termMonths;
      if (anchorMonths === null) continue;
      const anchorAt = new Date(row.anchor_at);
      const endsAt = licenseEndsAt({ termMonths: anchorMonths }, anchorAt)!;
      if (!latest || endsAt > latest.endsAt) latest = { endsAt, anchorAt, anchorMonths };
    }
    return latest;
  }

  /** Keeps the terms of an order's renewed lines (by line id). */
  async recordRenewals(orderId: string, renewals: ReadonlyMap<string, Renewal>): Promise<void> {
    if (renewals.size === 0) return;
    const lines = [...renewals.keys()];
    const values = [...renewals.values()];
    await this.transaction.query(
      `UPDATE order_line l SET term_starts_at = r.starts_at, term_anchor_at = r.anchor_at, term_anchor_months = r.anchor_months
         FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::int[]) AS r(line_id, starts_at, anchor_at, anchor_months)
        WHERE l.order_id = $1 AND l.id = r.line_id`,
      [orderId, lines, values.map((r) => r.startsAt), values.map((r) => r.anchorAt), values.map((r) => r.anchorMonths)],
    );
  }

  /** The order's status, or null when there is no such order. */
  async statusOf(id: string): Promise<OrderStatus | null> {
    const [row] = (await this.manager.query(`SELECT status FROM purchase_order WHERE id = $1`, [id])) as { status: OrderStatus }[];
    return row?.status ?? null;
  }

  async linesOf(orderIds: string[]): Promise<Map<string, OrderLine[]>> {
    const byOrder = new Map<string, OrderLine[]>(orderIds.map((id) => [id, []]));
    if (orderIds.length === 0) return byOrder;
    const rows = (await this.manager.query(`SELECT ${LINE_COLUMN_NAMES} FROM order_line WHERE order_id = ANY($1::uuid[]) ORDER BY position`, [orderIds])) as LineRow[];
    for (const row of rows) byOrder.get(row.order_id)!.push(lineOf(row));
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

  /**
   * The vendor's lines of orders that were paid (whatever happened after), newest first; of one
   * dataset, or to one buyer, when the filter names them.
   */
  async sales(vendor: string, filter: { datasetId?: string; buyer?: string }, limit: number, after: Position | undefined): Promise<{ line: OrderLine; order: Order }[]> {
    const query = this.manager
      .createQueryBuilder(OrderLine, 'l')
      .where('l.vendor_organization_id = :vendor', { vendor })
      .andWhere(`EXISTS (SELECT 1 FROM purchase_order o WHERE o.id = l.order_id AND o.paid_at IS NOT NULL)`)
      .orderBy('l.placed_at', 'DESC')
      .addOrderBy('l.id', 'DESC')
      .take(limit);
    if (filter.datasetId) query.andWhere('l.dataset_id = :datasetId', { datasetId: filter.datasetId });
    if (filter.buyer) query.andWhere('l.buyer_organization_id = :buyer', { buyer: filter.buyer });
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

// The hot path of the saga reads and writes these rows with plain SQL: entity hydration and the
// query builder cost more CPU per purchase than the statements themselves. The column lists
// follow the entities (the schema test holds those to the database), mapped as they map them.
const ORDER_COLUMN_LIST = [
  'id',
  'buyer_organization_id',
  'status',
  'total_amount',
  'currency',
  'cancellation_reason',
  'refund_reason',
  'payment_id',
  'entitlement_ids',
  'awaiting_event_id',
  'redrives',
  'placed_at',
  'paid_at',
  'fulfilled_at',
  'closed_at',
  'updated_at',
] as const;
const ORDER_COLUMNS = ORDER_COLUMN_LIST.join(', ');
const ORDER_COLUMNS_OF_O = ORDER_COLUMN_LIST.map((c) => `o.${c}`).join(', ');

const LINE_COLUMN_LIST = [
  'id',
  'order_id',
  'buyer_organization_id',
  'position',
  'offer_id',
  'dataset_id',
  'dataset_title',
  'vendor_organization_id',
  'price_amount',
  'quantity',
  'whole_quantity',
  'currency',
  'pricing',
  'license_template',
  'terms',
  'terms_sha256',
  'exclusive',
  'covers_future_versions',
  'version_ids',
  'placed_at',
] as const;
const LINE_COLUMNS = LINE_COLUMN_LIST.length;
const LINE_COLUMN_NAMES = LINE_COLUMN_LIST.join(', ');
const LINE_COLUMNS_OF_L = LINE_COLUMN_LIST.map((c) => `l.${c} AS l_${c}`).join(', ');

interface OrderRow {
  id: string;
  buyer_organization_id: string;
  status: OrderStatus;
  total_amount: string;
  currency: Order['currency'];
  cancellation_reason: string | null;
  refund_reason: string | null;
  payment_id: string | null;
  entitlement_ids: string[];
  awaiting_event_id: string | null;
  redrives: number;
  placed_at: Date;
  paid_at: Date | null;
  fulfilled_at: Date | null;
  closed_at: Date | null;
  updated_at: Date;
}

interface LineRow {
  id: string;
  order_id: string;
  buyer_organization_id: string;
  position: number;
  offer_id: string;
  dataset_id: string;
  dataset_title: string;
  vendor_organization_id: string;
  price_amount: string;
  quantity: number | null;
  whole_quantity: string | null;
  currency: OrderLine['currency'];
  pricing: OrderLine['pricing'];
  license_template: string;
  terms: OrderLine['terms'];
  terms_sha256: string;
  exclusive: boolean;
  covers_future_versions: boolean;
  version_ids: string[];
  placed_at: Date;
}

type PrefixedLineRow = { [K in keyof LineRow as `l_${K}`]: LineRow[K] | null };

function orderOf(row: OrderRow): Order {
  return Object.assign(new Order(), {
    id: row.id,
    buyerOrganizationId: row.buyer_organization_id,
    status: row.status,
    totalAmount: bigintNumber.from(row.total_amount) as number,
    currency: row.currency,
    cancellationReason: row.cancellation_reason,
    refundReason: row.refund_reason,
    paymentId: row.payment_id,
    entitlementIds: row.entitlement_ids,
    awaitingEventId: row.awaiting_event_id,
    redrives: row.redrives,
    placedAt: row.placed_at,
    paidAt: row.paid_at,
    fulfilledAt: row.fulfilled_at,
    closedAt: row.closed_at,
    updatedAt: row.updated_at,
  });
}

function lineOf(row: LineRow): OrderLine {
  return Object.assign(new OrderLine(), {
    id: row.id,
    orderId: row.order_id,
    buyerOrganizationId: row.buyer_organization_id,
    position: row.position,
    offerId: row.offer_id,
    datasetId: row.dataset_id,
    datasetTitle: row.dataset_title,
    vendorOrganizationId: row.vendor_organization_id,
    priceAmount: bigintNumber.from(row.price_amount) as number,
    quantity: row.quantity,
    wholeQuantity: bigintNumber.from(row.whole_quantity) as number | null,
    currency: row.currency,
    pricing: row.pricing,
    licenseTemplate: row.license_template,
    terms: row.terms,
    termsSha256: row.terms_sha256,
    exclusive: row.exclusive,
    coversFutureVersions: row.covers_future_versions,
    versionIds: row.version_ids,
    placedAt: row.placed_at,
  });
}

function lineOfPrefixed(row: PrefixedLineRow): OrderLine {
  return lineOf({
    id: row.l_id!,
    order_id: row.l_order_id!,
    buyer_organization_id: row.l_buyer_organization_id!,
    position: row.l_position!,
    offer_id: row.l_offer_id!,
    dataset_id: row.l_dataset_id!,
    dataset_title: row.l_dataset_title!,
    vendor_organization_id: row.l_vendor_organization_id!,
    price_amount: row.l_price_amount!,
    quantity: row.l_quantity,
    whole_quantity: row.l_whole_quantity,
    currency: row.l_currency!,
    pricing: row.l_pricing!,
    license_template: row.l_license_template!,
    terms: row.l_terms!,
    terms_sha256: row.l_terms_sha256!,
    exclusive: row.l_exclusive!,
    covers_future_versions: row.l_covers_future_versions!,
    version_ids: row.l_version_ids!,
    placed_at: row.l_placed_at!,
  });
}

/** Rows an UPDATE ... RETURNING touched, as TypeORM's postgres driver answers it ([rows, count] or rows). */
function affected(result: [unknown[], number] | unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[1];
  return result.length;
}
