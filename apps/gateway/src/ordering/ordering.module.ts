import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity/identity.module';
import { AccessRequestsController } from './access-requests.controller';
import { AdminOrdersController } from './admin-orders.controller';
import { OrdersController } from './orders.controller';
import { SalesController } from './sales.controller';

/** Ordering's public routes: each one a request to the ordering service over NATS. */
@Module({
  // Buyers' names on the vendor's lists.
  imports: [IdentityModule],
  controllers: [OrdersController, AccessRequestsController, SalesController, AdminOrdersController],
})
export class OrderingRoutesModule {}
