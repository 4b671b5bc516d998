import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { entities, migrations } from './database';
import { OrderingConfig } from './ordering.config';
import { OrderingModule } from './ordering.module';

@Module({
  imports: [PlatformModule.forRoot({ service: 'ordering', config: OrderingConfig, entities, migrations }), MessagingModule.forRoot(), OrderingModule],
})
export class AppModule {}
