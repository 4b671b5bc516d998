import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../identity/organizations.module';
import { AccessRequestsController } from './access-requests.controller';
import { AdminOrdersController } from './admin-orders.controller';
import { OrdersController } from './orders.controller';
import { SalesController } from './sales.controller';

/** Ordering's public routes: each one a request to the ordering service over NATS. */
@Module({
  // Buyers' names on the vendor's lists.
  imports: [OrganizationsModule],
  controllers: [OrdersController, AccessRequestsController, SalesController, AdminOrdersController],
})
export class OrderingRoutesModule {}
