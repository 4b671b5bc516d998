import {
  CatalogErrorCode,
  CatalogSubjects,
  CommonErrorCode,
  type AccessRequestPage,
  type AccessRequestView,
  type CreateAccessRequestRequest,
  type ListAccessRequestsRequest,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { decodeCursor, DEFAULT_PAGE_SIZE, ServiceException, toPage, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { notFound } from '../access';
import type { Commit } from '../orders/orders.service';
import { AccessRequest } from './access-request.entity';
import { AccessRequestRepository } from './access-request.repository';

/** Offers with `requiresApproval`: the buyer asks, the offer's vendor approves or rejects. */
@Injectable()
export class AccessRequestsService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly requests: AccessRequestRepository,
    private readonly rpc: RpcClient,
  ) {}

  /**
   * The catalog is asked before the request's transaction opens (`commit`, the RPC server's
   * `context.command`): a transaction opened first held one of ordering's connections for as
   * long as the catalog took to answer, so buyers waiting on a slow catalog could take the whole
   * pool, and ordering answered nobody else meanwhile, the purchase saga included.
   */
  async create(buyer: Caller, input: CreateAccessRequestRequest, commit: Commit): Promise<AccessRequestView> {
    // The catalog answers as the buyer sees the offer: another buyer's private offer is NOT_FOUND.
    const offer = await this.rpc.send(CatalogSubjects.getOffer, { offerId: input.offerId });
    // What the catalog does not sell (withdrawn or expired, its dataset not published, its vendor
    // suspended) cannot be asked for either, as it cannot be ordered.
    if (!offer.available) {
      throw new ServiceException(CatalogErrorCode.OFFER_NOT_AVAILABLE, `Offer ${offer.id} cannot be asked for now: it is withdrawn or expired, its dataset is not published or its vendor is suspended.`);
    }
    if (!offer.requiresApproval) {
      throw new ServiceException(CommonErrorCode.CONFLICT, `Offer ${offer.id} needs no approval: order it directly.`);
    }
    const request = Object.assign(new AccessRequest(), {
      id: randomUUID(),
      offerId: offer.id,
      datasetId: offer.datasetId,
      vendorOrganizationId: offer.vendorOrganizationId,
      buyerOrganizationId: buyer.organizationId,
      intendedUse: input.intendedUse,
      status: 'pending' as const,
      rejectionReason: null,
      createdAt: new Date(),
      decidedAt: null,
    });
    return commit(async () => {
      if (!(await this.requests.insert(request))) {
        const live = await this.requests.live(offer.id, buyer.organizationId);
        throw new ServiceException(CommonErrorCode.CONFLICT, `Access request ${live?.id ?? ''} for offer ${offer.id} is already ${live?.status ?? 'open'}.`);
      }
      return request.toView();
    });
  }

  /**
   * A rejection may carry a reason for the buyer (`reason`, validated by the contract). A
   * decision is final. Deciding the same way again (a retry) answers the request as it is, but a
   * second rejection giving another reason is `409 INVALID_STATE` naming the reason the buyer
   * reads: the vendor learns its new words were not recorded rather than believing they were.
   */
  decide(vendor: Caller, id: string, decision: 'approved' | 'rejected', reason?: string): Promise<AccessRequestView> {
    return this.unitOfWork.run(async () => {
      const request = await this.requests.findForUpdate(id);
      // Only the offer's vendor may know the request exists.
      if (!request || request.vendorOrganizationId !== vendor.organizationId) throw notFound('access request', id);
      if (request.status === decision) {
        if (decision === 'rejected' && reason != null && reason !== request.rejectionReason) {
          const recorded = request.rejectionReason === null ? 'without a reason' : `with the reason "${request.rejectionReason}"`;
          throw new ServiceException(CommonErrorCode.INVALID_STATE, `Access request ${id} was already rejected ${recorded}, which is what the buyer reads; a decision is final and its reason is not replaced.`);
        }
        return request.toView();
      }
      request.decide(decision, reason ?? null);
      return (await this.requests.save(request)).toView();
    });
  }

  /** A vendor's requests to decide, or a buyer's own requests. */
  async list(caller: Caller, input: ListAccessRequestsRequest): Promise<AccessRequestPage> {
    const limit = input.limit ?? DEFAULT_PAGE_SIZE;
    const filter = caller.role === 'vendor' ? { vendor: caller.organizationId } : { buyer: caller.organizationId };
    const scope = `access-requests|${caller.role}|${caller.organizationId}|${input.status ?? '*'}`;
    const rows = await this.requests.list({ ...filter, status: input.status }, limit + 1, decodeCursor(input.cursor, scope));
    return toPage(rows, limit, (r) => ({ at: r.createdAt, id: r.id }), (r) => r.toView(), scope);
  }
}
