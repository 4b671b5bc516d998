import { Module } from '@nestjs/common';
import { AccessRequestRepository } from './access-requests/access-request.repository';
import { AccessRequestsService } from './access-requests/access-requests.service';
import { ExclusiveHoldRepository } from './orders/exclusive-hold.repository';
import { ExclusiveHolds } from './orders/exclusive-holds';
import { OrderRepository } from './orders/order.repository';
import { OrdersHandler } from './orders/orders.handler';
import { OrdersService } from './orders/orders.service';
import { PurchaseSaga } from './saga/purchase-saga';
import { SagaSweep } from './saga/saga-sweep';

/** Orders, license receipts, access requests and the purchase saga. */
@Module({
  providers: [OrderRepository, AccessRequestRepository, ExclusiveHoldRepository, ExclusiveHolds, OrdersService, AccessRequestsService, OrdersHandler, PurchaseSaga, SagaSweep],
  exports: [OrdersService, SagaSweep],
})
export class OrderingModule {}
