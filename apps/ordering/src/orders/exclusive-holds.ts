import { CatalogSubjects, CommonErrorCode, type OrderStatus } from '@trove/contracts';
import { blockedByExclusiveSale, licenseEndsAt, type LicenseTermsValue } from '@trove/licensing';
import { Injectable, Logger } from '@nestjs/common';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { RequestContext, ServiceException } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { ExclusiveHoldRepository, type ExclusiveGrant, type HeldSale } from './exclusive-hold.repository';
import type { BlockingSale } from './exclusivity-detail';
import { OrderRepository } from './order.repository';

/**
 * Exclusive sales reserved in the catalog for orders that are not written yet.
 *
 * Placing an order reserves its exclusive offers in the catalog before the order's transaction
 * opens, and nothing on the catalog's side knows whether that transaction ever commits. So
 * ordering, which does know, records its intent first: a hold (`exclusive_hold`, one per order
 * id) committed before the first reservation. The order's transaction takes the hold; a
 * placement that fails after writing it gives it back at once, releasing the order's sale; and
 * what a process that died in between left is given back by the sweep once the hold is older
 * than ORDER_REDRIVE_AFTER_MS. The catalog keeps its one release, by order id.
 *
 * Giving a hold back locks it first, then releases the sale only when no order holds it (none
 * was written, or it was cancelled or refunded), then deletes it. The order's transaction takes
 * the hold by its token, waiting on that lock: so either the order is written first and the
 * sale stays, or the sale is released first and the order is not written (the placement is
 * refused, and a retry of it reserves again). A hold given back and written again by a later
 * attempt has a new token, so an attempt that reserved before the release cannot take it.
 *
 * An order without exclusive offers never writes a hold, but reads those of its datasets
 * (`blocking`): a hold is written under its dataset's lock, so a placement of another offer of
 * the dataset either committed before it or sees it.
 */
@Injectable()
export class ExclusiveHolds {
  private readonly logger = new Logger('ExclusiveHolds');

  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly holds: ExclusiveHoldRepository,
    private readonly orders: OrderRepository,
    private readonly rpc: RpcClient,
  ) {}

  /**
   * Before the first reservation: writes the order's hold (or joins a concurrent attempt's) and
   * commits it. Answers the token the order's transaction takes it with.
   */
  hold(orderId: string, buyerOrganizationId: string, sale: HeldSale, now = new Date()): Promise<string> {
    return this.unitOfWork.run((tx) => this.holds.hold(tx, orderId, buyerOrganizationId, randomUUID(), now, sale));
  }

  /**
   * First in an order's transaction: the shared locks of its lines' datasets, under which
   * `blocking` sees every hold written before. An exclusive order takes them before its hold, as
   * a retry writing that hold again takes the dataset's lock before the hold's row: taken after,
   * each would wait for what the other held.
   */
  lockDatasets(lines: readonly Pick<HeldSale, 'datasetId'>[]): Promise<void> {
    return this.holds.lockDatasets(lines.map((line) => line.datasetId));
  }

  /**
   * In the transaction of an order with lines that are not exclusive: the first such line that
   * an exclusive grant of another buyer blocks (blockedByExclusiveSale), a hold of a placement in
   * progress or the line of an order that holds its sale. The catalog's answer the placement
   * began with may be older than a sale reserved since; this read, under `lockDatasets`, is not:
   * a hold of the dataset written after it waits for this transaction to end. (Read without the
   * locks it is the placement's early check, which its transaction makes again.)
   */
  async blocking<L extends HeldSale>(buyerOrganizationId: string, lines: readonly L[], at: Date): Promise<{ line: L; grant: ExclusiveGrant } | undefined> {
    const open = lines.filter((line) => !line.terms.exclusive);
    if (open.length === 0) return undefined;
    const grants = (await this.holds.exclusiveGrantsOf(open.map((line) => line.datasetId))).filter((grant) => grant.buyerOrganizationId !== buyerOrganizationId);
    for (const line of open) {
      const grant = grants.find((sale) => blockedByExclusiveSale({ datasetId: line.datasetId, terms: line.terms, startsAt: at }, sale));
      if (grant) return { line, grant };
    }
    return undefined;
  }

  /**
   * The exclusive grants ordering knows of (holds and live exclusive lines) that keep an offer
   * with `terms` of `datasetId` from `buyerOrganizationId` at `at`, for the refusal to name: the
   * catalog's answer says the offer is sold out and until when, not which sale. As the catalog
   * counts them: every grant against an exclusive offer (the buyer's own too), those of other
   * buyers against any other; never the grant of `orderId`, the order being placed.
   */
  async salesBlocking(buyerOrganizationId: string, offer: HeldSale, orderId: string, at: Date): Promise<BlockingSale[]> {
    const grants = await this.unitOfWork.read(() => this.holds.exclusiveGrantsOf([offer.datasetId]));
    const terms: LicenseTermsValue = offer.terms;
    return grants
      .filter((grant) => grant.orderId !== orderId && (terms.exclusive || grant.buyerOrganizationId !== buyerOrganizationId))
      .filter((grant) => blockedByExclusiveSale({ datasetId: offer.datasetId, terms, startsAt: at }, grant))
      .map((grant) => ({
        territories: grant.terms.territories,
        endsAt: licenseEndsAt(grant.terms, grant.startsAt),
        ...(grant.buyerOrganizationId === buyerOrganizationId ? { yours: grant.orderId } : {}),
      }));
  }

  /**
   * In the order's transaction: takes the hold. Refused when it was given back meanwhile (by
   * another attempt of the same command that failed, or by the sweep), since the sale may then
   * be released: the caller sends the command again, and the retry reserves anew.
   */
  async take(orderId: string, token: string): Promise<void> {
    if (await this.holds.take(orderId, token)) return;
    throw new ServiceException(
      CommonErrorCode.CONFLICT,
      `The exclusive sale reserved for order ${orderId} was given up while it was being placed (another attempt of this request failed); send the request again with the same Idempotency-Key.`,
    );
  }

  /**
   * Gives back the order's hold: the sale is released unless an order holds it. For a placement
   * that failed after writing its hold (or a duplicate that found the order written). Runs
   * outside the command's deadline, which may be what failed; a failure here is logged and the
   * sweep gives the hold back later.
   */
  async giveBack(orderId: string, buyerOrganizationId: string): Promise<void> {
    try {
      await RequestContext.run({ correlationId: RequestContext.correlationId() }, () =>
        this.unitOfWork.run(async () => {
          await this.holds.lock(orderId, buyerOrganizationId, randomUUID(), new Date());
          await this.releaseUnlessOrdered(orderId);
        }),
      );
    } catch (error) {
      this.logger.warn(`hold of order ${orderId} not given back (${(error as Error).message}); the sweep will`);
    }
  }

  /**
   * The sweep's part: gives back the holds last written before `before`, whose placements died
   * or failed to give them back. Answers how many it gave back.
   */
  async giveBackOlderThan(before: Date, limit = 100): Promise<number> {
    const due = await this.unitOfWork.read(() => this.holds.heldBefore(before, limit));
    let given = 0;
    for (const orderId of due) {
      try {
        const released = await this.unitOfWork.run(async () => {
          // Skipped when a placement wrote it again meanwhile, or another replica has it.
          if (!(await this.holds.lockIfHeldBefore(orderId, before))) return undefined;
          return this.releaseUnlessOrdered(orderId);
        });
        if (released === undefined) continue;
        given += 1;
        if (released) this.logger.warn(`released the exclusive sale reserved for order ${orderId}, which was never placed`);
      } catch (error) {
        this.logger.warn(`hold of order ${orderId} not given back (${(error as Error).message}); the next pass retries`);
      }
    }
    return given;
  }

  /** With the hold locked: releases the sale unless an order holds it, and deletes the hold. */
  private async releaseUnlessOrdered(orderId: string): Promise<boolean> {
    const status = await this.orders.statusOf(orderId);
    const release = status === null || RELEASED_WITH.includes(status);
    // The catalog's release is idempotent and touches this order's sale only.
    if (release) await this.rpc.send(CatalogSubjects.releaseExclusive, { orderId });
    await this.holds.remove(orderId);
    return release;
  }
}

/** An order in these states no longer holds its exclusive sale. */
const RELEASED_WITH: OrderStatus[] = ['cancelled', 'refunded'];
