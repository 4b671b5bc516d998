import { SLOWEST_VENDORS_LISTED, type AccessRequestStatus, type AccessRequestsWaitingView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import type { Position } from '@trove/platform';
import { AccessRequest } from './access-request.entity';

@Injectable()
export class AccessRequestRepository extends TransactionalRepository {
  /** Inserts unless the buyer already has a live (pending or approved) request for the offer. */
  async insert(request: AccessRequest): Promise<boolean> {
    const rows = (await this.transaction.query(
      `INSERT INTO access_request (id, offer_id, dataset_id, vendor_organization_id, buyer_organization_id, intended_use, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (offer_id, buyer_organization_id) WHERE status IN ('pending', 'approved') DO NOTHING RETURNING id`,
      [request.id, request.offerId, request.datasetId, request.vendorOrganizationId, request.buyerOrganizationId, request.intendedUse, request.status, request.createdAt],
    )) as unknown[];
    return rows.length > 0;
  }

  live(offerId: string, buyer: string): Promise<AccessRequest | null> {
    return this.manager
      .createQueryBuilder(AccessRequest, 'r')
      .where('r.offer_id = :offerId AND r.buyer_organization_id = :buyer', { offerId, buyer })
      .andWhere(`r.status IN ('pending', 'approved')`)
      .getOne();
  }

  findForUpdate(id: string): Promise<AccessRequest | null> {
    return this.transaction.findOne(AccessRequest, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  save(request: AccessRequest): Promise<AccessRequest> {
    return this.transaction.save(AccessRequest, request);
  }

  list(filter: { vendor?: string; buyer?: string; status?: AccessRequestStatus }, limit: number, after: Position | undefined): Promise<AccessRequest[]> {
    const query = this.manager.createQueryBuilder(AccessRequest, 'r').orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').take(limit);
    if (filter.vendor) query.andWhere('r.vendor_organization_id = :vendor', { vendor: filter.vendor });
    if (filter.buyer) query.andWhere('r.buyer_organization_id = :buyer', { buyer: filter.buyer });
    if (filter.status) query.andWhere('r.status = :status', { status: filter.status });
    if (after) query.andWhere('(r.created_at, r.id) < (:at, :id)', { at: after.at, id: after.id });
    return query.getMany();
  }

  /**
   * Pending requests, in all and for the vendors whose oldest has waited longest (of one buyer
   * when given). One statement, so the totals and the vendors are of the same moment: the totals
   * are window sums over every vendor, taken before the LIMIT. "Seven days" is the database's
   * `now()`, not this replica's clock. access_request_pending_idx holds exactly these rows.
   */
  async waiting(buyer?: string): Promise<AccessRequestsWaitingView> {
    const rows = (await this.manager.query(
      `WITH by_vendor AS (
         SELECT vendor_organization_id, count(*)::int AS pending, min(created_at) AS oldest,
                count(*) FILTER (WHERE created_at < now() - interval '7 days')::int AS over_seven_days
           FROM access_request
          WHERE status = 'pending' AND ($1::uuid IS NULL OR buyer_organization_id = $1)
          GROUP BY vendor_organization_id)
       SELECT vendor_organization_id, pending, oldest,
              sum(pending) OVER ()::int AS total_pending, sum(over_seven_days) OVER ()::int AS total_over_seven_days
         FROM by_vendor
        ORDER BY oldest, vendor_organization_id
        LIMIT $2`,
      [buyer ?? null, SLOWEST_VENDORS_LISTED],
    )) as { vendor_organization_id: string; pending: number; oldest: Date; total_pending: number; total_over_seven_days: number }[];
    // The first vendor's oldest request is the oldest of all.
    const [first] = rows;
    return {
      pending: first?.total_pending ?? 0,
      oldestCreatedAt: first ? first.oldest.toISOString() : null,
      overSevenDays: first?.total_over_seven_days ?? 0,
      slowestVendors: rows.map((row) => ({ vendorOrganizationId: row.vendor_organization_id, pending: row.pending, oldestCreatedAt: row.oldest.toISOString() })),
    };
  }
}
