import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { entities, migrations } from './database';
import { DatasetsModule } from './datasets/datasets.module';
import { GatewayConfig } from './gateway.config';
import { OperationsModule } from './operations/operations.module';

@Module({
  imports: [
    PlatformModule.forRoot({ service: 'gateway', config: GatewayConfig, entities, migrations }),
    MessagingModule.forRoot(),
    OperationsModule,
    DatasetsModule,
  ],
})
export class AppModule {}
