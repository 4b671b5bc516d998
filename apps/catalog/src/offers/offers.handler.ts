import {
  CatalogSubjects,
  CreateOfferRequest,
  GetOfferRequest,
  ReleaseExclusiveRequest,
  ReserveExclusiveRequest,
  WithdrawOfferRequest,
  type ExclusiveSaleView,
  type OfferSnapshot,
  type OfferView,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerOf } from '../access';
import { OffersService } from './offers.service';

@Injectable()
export class OffersHandler {
  constructor(private readonly offers: OffersService) {}

  @RpcHandler(CatalogSubjects.createOffer)
  create(request: CreateOfferRequest, context: RpcContext): Promise<OfferView> {
    return this.offers.create(callerOf(context), request);
  }

  @RpcHandler(CatalogSubjects.withdrawOffer)
  withdraw(request: WithdrawOfferRequest, context: RpcContext): Promise<OfferView> {
    return this.offers.withdraw(callerOf(context), request.datasetId, request.offerId);
  }

  @RpcHandler(CatalogSubjects.getOffer)
  get(request: GetOfferRequest, context: RpcContext): Promise<OfferSnapshot> {
    return this.offers.snapshot(context.caller, request.offerId);
  }

  @RpcHandler(CatalogSubjects.reserveExclusive)
  reserve(request: ReserveExclusiveRequest): Promise<ExclusiveSaleView> {
    return this.offers.reserveExclusive(request);
  }

  @RpcHandler(CatalogSubjects.releaseExclusive)
  release(request: ReleaseExclusiveRequest): Promise<ExclusiveSaleView | null> {
    return this.offers.releaseExclusive(request.orderId);
  }
}
