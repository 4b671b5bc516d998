import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { entities, migrations } from './database';

@Module({
  imports: [PlatformModule.forRoot({ service: 'billing', entities, migrations }), MessagingModule.forRoot()],
})
export class AppModule {}
