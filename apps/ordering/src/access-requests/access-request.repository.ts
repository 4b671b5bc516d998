import type { AccessRequestStatus } from '@trove/contracts';
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
}
