import { Module } from '@nestjs/common';
import { BillingController } from './billing.controller';
import { SubscriptionsController } from './subscriptions.controller';

/** Billing's public routes: each one a request to the billing service over NATS. */
@Module({
  controllers: [BillingController, SubscriptionsController],
})
export class BillingRoutesModule {}
