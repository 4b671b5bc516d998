import { Module } from '@nestjs/common';
import { BillingController } from './billing.controller';

/** Billing's public routes: each one a request to the billing service over NATS. */
@Module({
  controllers: [BillingController],
})
export class BillingRoutesModule {}
