import { Module } from '@nestjs/common';
import { AccessRequestsController } from './access-requests.controller';
import { AdminOrdersController } from './admin-orders.controller';
import { OrdersController } from './orders.controller';
import { SalesController } from './sales.controller';

/** Ordering's public routes: each one a request to the ordering service over NATS. */
@Module({
  controllers: [OrdersController, AccessRequestsController, SalesController, AdminOrdersController],
})
export class OrderingRoutesModule {}
