import { Module } from '@nestjs/common';
import { EntitlementsController } from './entitlements.controller';

/** Delivery's public routes: entitlements, manifests and diffs, each a request to delivery over NATS. The bytes come from delivery's signed URLs. */
@Module({
  controllers: [EntitlementsController],
})
export class DeliveryRoutesModule {}
