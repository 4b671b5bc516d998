import type { SubscriptionLapseReason, SubscriptionStatus, SubscriptionView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { addMonthsUtc, firstPeriodEndsAt, licenseEndsAt, PERIOD_MONTHS, periodEndsAt, type BillingPeriod, type CurrencyCode } from '@trove/licensing';
import { recordNewestStatus, TransactionalRepository } from '@trove/messaging';
import type { Position } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { amountOf } from '../ledger/ledger.repository';
import type { WriteBatch } from '../write-batch';

/** Calendar months, quarters or years, UTC: the periods `libs/licensing` prices and ends. */
export type SubscriptionPeriod = BillingPeriod;

/** Why a subscription stopped renewing without being refunded. */
export type LapseReason = SubscriptionLapseReason;

/** A dataset as the catalog last said it stands. */
export type DatasetStanding = 'published' | 'suspended' | 'withdrawn';

/** A period a renewal sells: from `start` (inclusive) to `end` (exclusive), for `amount` minor units. */
export interface PeriodToSell {
  start: Date;
  end: Date;
  amount: number;
}

/**
 * When the `n`th period of a subscription whose first period started at `anchor` ends: `n`
 * periods from the anchor, UTC, on the anchor's day or the month's last day when the month is
 * shorter (`addMonthsUtc`). Counted from the anchor, never from the end before it: one period
 * after each end drifts to the shortest month's day and stays there (31 January, 28 February,
 * 28 March...), so the billing day moved and twelve monthly periods fell three days short of a
 * 12-month license, for which a thirteenth, prorated, period was charged.
 */
export function periodEndFrom(anchor: Date, period: SubscriptionPeriod, n: number): Date {
  return addMonthsUtc(anchor, PERIOD_MONTHS[period] * n);
}

/**
 * The period after the one paid last, and its price; null when the license's term is over by
 * its start: the entitlement ends there (delivery grants it until the license end), so nothing
 * after it is sold. The period paid last is the subscription's `renewals + 1`th, from
 * `subscribedAt`, the first period's start, so the next ends `renewals + 2` periods after that
 * start (`periodEndFrom`): bought on 31 January, it is paid up to the last day of each month,
 * and twelve monthly periods end exactly with a 12-month license. A subscription renewed before
 * this rule, whose end drifted to an earlier day (28 March), finds its day again with its next
 * period, a little longer than one; should a row's end ever be past its anchored one, the next
 * period is one period from that end, as before.
 *
 * A period that would run past the license end is the last one: it is cut at the license end
 * and costs its share of the price by time (a 12-month term paid quarterly is four whole
 * quarters; an 18-month term paid yearly is a year, then half a year at its share of the year's
 * price), rounded up to the fen, so that the buyer pays for the time its license runs and no
 * more. A subscription whose term billing was not told renews period after period, as before.
 */
export function nextPeriod(subscription: Pick<Subscription, 'subscribedAt' | 'renewals' | 'periodEnd' | 'period' | 'amount' | 'licenseEndsAt'>): PeriodToSell | null {
  const start = subscription.periodEnd;
  const anchored = periodEndFrom(subscription.subscribedAt, subscription.period, subscription.renewals + 2);
  const end = anchored > start ? anchored : periodEndsAt(start, subscription.period);
  const licenseEnd = subscription.licenseEndsAt;
  if (licenseEnd === null) return { start, end, amount: subscription.amount };
  if (start >= licenseEnd) return null;
  if (end <= licenseEnd) return { start, end, amount: subscription.amount };
  // In integers: the price times a share of two durations in milliseconds is not exact in floats.
  const used = BigInt(licenseEnd.getTime() - start.getTime());
  const whole = BigInt(end.getTime() - start.getTime());
  const amount = Number((BigInt(subscription.amount) * used + whole - 1n) / whole);
  return { start, end: licenseEnd, amount };
}

/**
 * The first period a subscription line's charge at `start` pays for, and when its license ends:
 * one period from the charge, cut at the license end when the term is shorter. An exclusive
 * license ends with its sale, counted from the placement as delivery counts it; a charge so late
 * that the term is over already sells a period that ends as it begins. The subscription row and
 * the first invoice's line both say this period.
 */
export function firstPeriod(line: Pick<LineToSubscribe, 'termMonths' | 'termStartsAt'> & { period: string }, start: Date): { start: Date; end: Date; licenseEnd: Date | null } {
  if (!(line.period in PERIOD_MONTHS)) throw new Error(`unknown subscription period ${line.period}`);
  const termStart = line.termStartsAt ? new Date(line.termStartsAt) : start;
  const termEnd = typeof line.termMonths === 'number' ? licenseEndsAt({ termMonths: line.termMonths }, termStart) : null;
  const licenseEnd = termEnd && termEnd < start ? start : termEnd;
  return { start, end: firstPeriodEndsAt(start, line.period as SubscriptionPeriod, licenseEnd), licenseEnd };
}

export interface Subscription {
  id: string;
  orderId: string;
  lineId: string;
  buyerOrganizationId: string;
  vendorOrganizationId: string;
  offerId: string;
  datasetId: string;
  amount: number;
  currency: CurrencyCode;
  period: SubscriptionPeriod;
  status: SubscriptionStatus;
  /** The period paid last: from `periodStart` (inclusive) to `periodEnd` (exclusive). */
  periodStart: Date;
  periodEnd: Date;
  /** The start of the first period: every period's end is counted from it (`periodEndFrom`). */
  subscribedAt: Date;
  /** Its buyer cancelled it: the next renewal charges nothing and it lapses. */
  cancelAtPeriodEnd: boolean;
  cancelledAt: Date | null;
  lapseReason: LapseReason | null;
  renewals: number;
  /** The listing's title and the license template its first invoice line named; null for older ones. */
  datasetTitle: string | null;
  licenseTemplate: string | null;
  /**
   * When the license it sells ends (exclusive): its term from the first charge, as delivery ends
   * the entitlement; no period is sold past it. Null for a perpetual license, and for
   * subscriptions whose order did not say its term (placed before billing was told).
   */
  licenseEndsAt: Date | null;
  /** Why its next period will not be sold, or null when it will be. */
  unsold: Unsold | null;
}

/**
 * Why a subscription's next period will not be sold, as billing last heard from the catalog and
 * identity: its offer withdrawn, its vendor's organization or its dataset suspended, or its
 * buyer's organization suspended. The renewal lapses it for that reason when it falls due.
 */
export type Unsold = Extract<LapseReason, 'offer_withdrawn' | 'vendor_suspended' | 'dataset_suspended' | 'dataset_withdrawn' | 'buyer_suspended'>;

/** A due subscription, locked for its renewal. */
export type DueSubscription = Subscription;

/**
 * The `unsold` column of every read of a subscription: one expression over the row named
 * `subscription`, so that a SELECT and an UPDATE's RETURNING read it alike.
 */
const UNSOLD = `CASE WHEN EXISTS (SELECT 1 FROM withdrawn_offer w WHERE w.offer_id = subscription.offer_id) THEN 'offer_withdrawn'
          WHEN EXISTS (SELECT 1 FROM organization_standing o WHERE o.organization_id = subscription.vendor_organization_id AND o.status = 'suspended') THEN 'vendor_suspended'
          WHEN EXISTS (SELECT 1 FROM dataset_standing d WHERE d.dataset_id = subscription.dataset_id AND d.status = 'suspended') THEN 'dataset_suspended'
          WHEN EXISTS (SELECT 1 FROM dataset_standing d WHERE d.dataset_id = subscription.dataset_id AND d.status = 'withdrawn') THEN 'dataset_withdrawn'
          WHEN EXISTS (SELECT 1 FROM organization_standing b WHERE b.organization_id = subscription.buyer_organization_id AND b.status = 'suspended') THEN 'buyer_suspended' END AS unsold`;

interface SubscriptionRow {
  id: string;
  order_id: string;
  line_id: string;
  buyer_organization_id: string;
  vendor_organization_id: string;
  offer_id: string;
  dataset_id: string;
  amount: string;
  currency: CurrencyCode;
  period: SubscriptionPeriod;
  status: StoredStatus;
  period_start: Date;
  period_end: Date;
  subscribed_at: Date;
  cancel_at_period_end: boolean;
  cancelled_at: Date | null;
  lapse_reason: LapseReason | null;
  renewals: number;
  dataset_title: string | null;
  license_template: string | null;
  license_ends_at: Date | null;
  unsold: Unsold | null;
}

/**
 * A refunded order's subscription is stored `cancelled`, the name it had before buyers could
 * cancel; everything above the SQL calls it `refunded`, so that a buyer's own cancellation (a
 * lapse at the period end) is never mistaken for it.
 */
type StoredStatus = 'active' | 'lapsed' | 'cancelled';
const STATUS_OF: Record<StoredStatus, SubscriptionStatus> = { active: 'active', lapsed: 'lapsed', cancelled: 'refunded' };
const STORED_STATUS: Record<SubscriptionStatus, StoredStatus> = { active: 'active', lapsed: 'lapsed', refunded: 'cancelled' };

function toSubscription(r: SubscriptionRow): Subscription {
  return {
    id: r.id,
    orderId: r.order_id,
    lineId: r.line_id,
    buyerOrganizationId: r.buyer_organization_id,
    vendorOrganizationId: r.vendor_organization_id,
    offerId: r.offer_id,
    datasetId: r.dataset_id,
    amount: amountOf(r.amount),
    currency: r.currency,
    period: r.period,
    status: STATUS_OF[r.status],
    periodStart: new Date(r.period_start),
    periodEnd: new Date(r.period_end),
    subscribedAt: new Date(r.subscribed_at),
    cancelAtPeriodEnd: r.cancel_at_period_end,
    cancelledAt: r.cancelled_at ? new Date(r.cancelled_at) : null,
    lapseReason: r.lapse_reason,
    renewals: r.renewals,
    datasetTitle: r.dataset_title,
    licenseTemplate: r.license_template,
    licenseEndsAt: r.license_ends_at ? new Date(r.license_ends_at) : null,
    unsold: r.unsold,
  };
}

/** A subscription as its buyer (or an operator) reads it. */
export function subscriptionView(s: Subscription): SubscriptionView {
  // Nothing is charged next for a subscription whose listing is no longer sold: it lapses instead.
  const renews = s.status === 'active' && !s.cancelAtPeriodEnd && s.unsold === null && (s.licenseEndsAt === null || s.periodEnd < s.licenseEndsAt);
  return {
    id: s.id,
    orderId: s.orderId,
    lineId: s.lineId,
    buyerOrganizationId: s.buyerOrganizationId,
    vendorOrganizationId: s.vendorOrganizationId,
    datasetId: s.datasetId,
    offerId: s.offerId,
    price: { amount: s.amount, currency: s.currency },
    period: s.period,
    status: s.status,
    subscribedAt: s.subscribedAt.toISOString(),
    currentPeriodStart: s.periodStart.toISOString(),
    currentPeriodEnd: s.periodEnd.toISOString(),
    nextChargeAt: renews ? s.periodEnd.toISOString() : null,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    cancelledAt: s.cancelledAt ? s.cancelledAt.toISOString() : null,
    lapseReason: s.lapseReason,
    renewals: s.renewals,
  };
}

interface LineToSubscribe {
  lineId: string;
  offerId: string;
  datasetId: string;
  vendorOrganizationId: string;
  price: { amount: number; currency: CurrencyCode };
  /** What the first invoice line named: renewals name the same. */
  item?: { datasetTitle?: string; licenseTemplate?: string };
  /** The license's term in months; null (perpetual) or absent (not told): no end. */
  termMonths?: number | null;
  /** An exclusive line's: when its term began (the order's placement); absent, the first charge. */
  termStartsAt?: string;
}

@Injectable()
export class SubscriptionRepository extends TransactionalRepository {
  /**
   * Adds the subscriptions of an order's subscription lines to a batch written with its charge,
   * in one INSERT. `start`, the charge's time, is the first paid moment: the license runs its
   * term from there (as delivery's entitlement, from the payment), and a first period longer
   * than the term ends with it.
   */
  insertInto(batch: WriteBatch, order: { orderId: string; buyerOrganizationId: string }, lines: (LineToSubscribe & { period: string })[], start: Date): void {
    if (lines.length === 0) return;
    const values = lines.map((line) => {
      const first = firstPeriod(line, start);
      const row = [
        randomUUID(),
        order.orderId,
        line.lineId,
        order.buyerOrganizationId,
        line.vendorOrganizationId,
        line.offerId,
        line.datasetId,
        line.price.amount,
        line.price.currency,
        line.period,
        first.end,
        start,
        line.item?.datasetTitle ?? null,
        line.item?.licenseTemplate ?? null,
        first.licenseEnd,
      ].map((value) => batch.param(value));
      return `(${row[0]}::uuid, ${row[1]}::uuid, ${row[2]}, ${row[3]}::uuid, ${row[4]}::uuid, ${row[5]}::uuid, ${row[6]}::uuid, ${row[7]}::bigint, ${row[8]}, ${row[9]}, ${row[10]}::timestamptz, 'active', ${row[11]}::timestamptz, ${row[11]}::timestamptz, ${row[12]}::text, ${row[13]}::text, ${row[14]}::timestamptz)`;
    });
    batch.add(
      `INSERT INTO subscription (id, order_id, line_id, buyer_organization_id, vendor_organization_id, offer_id, dataset_id, amount, currency, period, period_end, status, period_start, subscribed_at, dataset_title, license_template, license_ends_at)
       VALUES ${values.join(', ')} ON CONFLICT (order_id, line_id) DO NOTHING`,
    );
  }

  /** Ids of active subscriptions whose paid period has ended by `now`, oldest first, but for `except`. */
  async dueIds(now: Date, limit: number, orderId?: string, except: string[] = []): Promise<string[]> {
    const rows = (await this.manager.query(
      `SELECT id FROM subscription WHERE status = 'active' AND period_end <= $1 AND ($3::uuid IS NULL OR order_id = $3) AND id <> ALL($4::uuid[]) ORDER BY period_end, id LIMIT $2`,
      [now, limit, orderId ?? null, except],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /**
   * Locks a subscription that is still active and due, and reads in the same statement whether
   * the catalog still sells it (a withdrawn offer first: that is final; then a suspended vendor,
   * which takes all its listings off sale; then a suspended dataset) and whether its buyer may
   * still buy (an operator-suspended buyer organization cannot use its keys, not even to cancel,
   * and delivery refuses its downloads); null when another renewal got there first.
   */
  async lockDue(id: string, now: Date): Promise<DueSubscription | null> {
    const rows = (await this.transaction.query(
      `SELECT *, ${UNSOLD} FROM subscription
        WHERE id = $1 AND status = 'active' AND period_end <= $2
        FOR UPDATE SKIP LOCKED`,
      [id, now],
    )) as SubscriptionRow[];
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  /** The next period is paid: it starts where the last one ended, and is one more renewal counted from the first period's start. */
  async extend(id: string, end: Date): Promise<void> {
    await this.transaction.query(`UPDATE subscription SET period_start = period_end, period_end = $2, renewals = renewals + 1 WHERE id = $1`, [id, end]);
  }

  async lapse(id: string, reason: LapseReason): Promise<void> {
    await this.transaction.query(`UPDATE subscription SET status = 'lapsed', lapse_reason = $2 WHERE id = $1`, [id, reason]);
  }

  /**
   * Records a dataset's status as of `at`, the catalog's time of the change, unless billing
   * already holds a later one: the catalog's dataset events carry no order of their own, so a
   * suspension arriving after the reinstatement that lifted it (or an old publication arriving
   * late) must change nothing. Two changes at the very same instant resolve to the one off sale.
   */
  async recordDatasetStanding(datasetId: string, status: DatasetStanding, at: Date): Promise<void> {
    await this.transaction.query(
      `INSERT INTO dataset_standing (dataset_id, status, changed_at) VALUES ($1, $2, $3)
       ON CONFLICT (dataset_id) DO UPDATE SET status = EXCLUDED.status, changed_at = EXCLUDED.changed_at
        WHERE (dataset_standing.changed_at, dataset_standing.status <> 'published') < (EXCLUDED.changed_at, EXCLUDED.status <> 'published')`,
      [datasetId, status, at],
    );
  }

  /**
   * Records an organization's status as of `changedAt`, the gateway's time of the change, when
   * that is newer than the one recorded; false when a newer (or the same) change was recorded
   * already and nothing changed. The catalog and delivery record it with the same
   * `recordNewestStatus`, so all three agree on which change won.
   */
  async recordOrganizationStatus(organizationId: string, status: string, changedAt: Date): Promise<boolean> {
    return (await recordNewestStatus(this.transaction, 'organization_standing', 'organization_id', organizationId, status, changedAt)) !== null;
  }

  /** Records an offer its vendor withdrew; the catalog never sells it again. */
  async recordOfferWithdrawn(offerId: string, datasetId: string, at: Date): Promise<void> {
    await this.transaction.query(
      `INSERT INTO withdrawn_offer (offer_id, dataset_id, withdrawn_at) VALUES ($1, $2, $3) ON CONFLICT (offer_id) DO NOTHING`,
      [offerId, datasetId, at],
    );
  }

  async find(id: string): Promise<Subscription | null> {
    const rows = (await this.manager.query(`SELECT *, ${UNSOLD} FROM subscription WHERE id = $1`, [id])) as SubscriptionRow[];
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  /**
   * Locks a subscription for its buyer's command. A renewal in flight holds the row: the command
   * waits for it and reads the subscription as the renewal left it. A renewal that comes while
   * the command holds the row skips it (lockDue) and takes it up on a later pass.
   */
  async findForUpdate(id: string): Promise<Subscription | null> {
    const rows = (await this.transaction.query(`SELECT *, ${UNSOLD} FROM subscription WHERE id = $1 FOR UPDATE`, [id])) as SubscriptionRow[];
    return rows[0] ? toSubscription(rows[0]) : null;
  }

  async markCancelAtPeriodEnd(id: string, at: Date): Promise<Subscription> {
    const rows = (await this.transaction.query(`UPDATE subscription SET cancel_at_period_end = true, cancelled_at = $2 WHERE id = $1 RETURNING *, ${UNSOLD}`, [id, at])) as [
      SubscriptionRow[],
      number,
    ];
    // An UPDATE through TypeORM answers [rows, affected].
    return toSubscription(rows[0][0]);
  }

  async markResumed(id: string): Promise<Subscription> {
    const rows = (await this.transaction.query(`UPDATE subscription SET cancel_at_period_end = false, cancelled_at = NULL WHERE id = $1 RETURNING *, ${UNSOLD}`, [id])) as [SubscriptionRow[], number];
    return toSubscription(rows[0][0]);
  }

  /** A page of subscriptions, newest first: one buyer's (or every one's when null), of one status when given. */
  async list(buyer: string | null, status: SubscriptionStatus | undefined, limit: number, after?: Position): Promise<Subscription[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (buyer) {
      params.push(buyer);
      where.push(`buyer_organization_id = $${params.length}`);
    }
    if (status) {
      params.push(STORED_STATUS[status]);
      where.push(`status = $${params.length}`);
    }
    if (after) {
      params.push(after.at, after.id);
      where.push(`(subscribed_at, id) < ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit);
    const rows = (await this.manager.query(
      `SELECT *, ${UNSOLD} FROM subscription ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY subscribed_at DESC, id DESC LIMIT $${params.length}`,
      params,
    )) as SubscriptionRow[];
    return rows.map(toSubscription);
  }

  /** Locks the order's subscriptions (a refund waits here for a renewal in flight, and holds renewals off). */
  async lockOrder(orderId: string): Promise<void> {
    await this.transaction.query(`SELECT id FROM subscription WHERE order_id = $1 ORDER BY id FOR UPDATE`, [orderId]);
  }

  /** A refunded order's subscriptions end: they never renew again (a lapsed one stays lapsed). */
  async cancelOrder(orderId: string): Promise<void> {
    await this.transaction.query(`UPDATE subscription SET status = 'cancelled' WHERE order_id = $1 AND status = 'active'`, [orderId]);
  }
}
