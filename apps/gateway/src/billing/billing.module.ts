import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../identity/organizations.module';
import { BillingController } from './billing.controller';
import { SubscriptionsController } from './subscriptions.controller';

/** Billing's public routes: each one a request to the billing service over NATS. */
@Module({
  // The organizations: an operator's statement of a vendor answers 404 for any other id.
  imports: [OrganizationsModule],
  controllers: [BillingController, SubscriptionsController],
})
export class BillingRoutesModule {}
