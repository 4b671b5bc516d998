import { Module } from '@nestjs/common';
import { DatasetFilesController } from './dataset-files.controller';
import { EntitlementsController } from './entitlements.controller';

/** Delivery's public routes: entitlements, manifests and diffs, a file by its path, each a request to delivery over NATS. The bytes come from delivery's signed URLs. */
@Module({
  controllers: [EntitlementsController, DatasetFilesController],
})
export class DeliveryRoutesModule {}
