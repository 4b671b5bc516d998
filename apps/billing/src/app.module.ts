import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { BillingConfig } from './billing.config';
import { BillingModule } from './billing.module';
import { entities, migrations } from './database';

@Module({
  imports: [PlatformModule.forRoot({ service: 'billing', config: BillingConfig, entities, migrations }), MessagingModule.forRoot(), BillingModule],
})
export class AppModule {}
