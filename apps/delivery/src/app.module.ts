import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { entities, migrations } from './database';
import { DeliveryConfig } from './delivery.config';
import { SigningModule } from './signing/signing.module';
import { StorageModule } from './storage/storage.module';
import { UploadsModule } from './uploads/uploads.module';

@Module({
  imports: [
    PlatformModule.forRoot({ service: 'delivery', config: DeliveryConfig, entities, migrations }),
    MessagingModule.forRoot(),
    StorageModule,
    SigningModule,
    UploadsModule,
  ],
})
export class AppModule {}
