import {
  CatalogSubjects,
  CreateOfferRequest,
  GetOfferRequest,
  OrderingEvents,
  ReleaseExclusiveRequest,
  ReserveExclusiveRequest,
  WithdrawOfferRequest,
  type ExclusiveSaleView,
  type OrderExclusiveEndedV1,
  type OfferSnapshot,
  type OfferView,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { EventHandler, RpcHandler, type RpcContext } from '@trove/messaging';
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
    return this.offers.snapshot(context.caller, request.offerId, request.orderId);
  }

  @RpcHandler(CatalogSubjects.reserveExclusive)
  reserve(request: ReserveExclusiveRequest): Promise<ExclusiveSaleView> {
    return this.offers.reserveExclusive(request);
  }

  /** Ordering gives back the sale of an order it never wrote (ExclusiveHolds), and waits for the answer. */
  @RpcHandler(CatalogSubjects.releaseExclusive)
  release(request: ReleaseExclusiveRequest): Promise<ExclusiveSaleView | null> {
    return this.offers.releaseExclusive(request.orderId);
  }

  /**
   * An order that held an exclusive sale was cancelled or refunded, or its subscription lapsed:
   * the sale is released in the consumer's transaction, with its inbox row. Ordering's saga wrote
   * the event with the change, so a catalog that was down meanwhile releases it once it is back.
   * A repeat, or an order that holds no sale, changes nothing.
   */
  @EventHandler(OrderingEvents.orderExclusiveEnded, { consumer: 'order-exclusive-ends' })
  async exclusiveEnded(ended: OrderExclusiveEndedV1): Promise<void> {
    await this.offers.releaseExclusive(ended.orderId);
  }
}
