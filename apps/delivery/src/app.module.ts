import { Module } from '@nestjs/common';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { entities, migrations } from './database';
import { CallersModule } from './callers/callers.module';
import { DeliveryConfig } from './delivery.config';
import { DownloadsModule } from './downloads/downloads.module';
import { EntitlementsModule } from './entitlements/entitlements.module';
import { SamplesModule } from './samples/samples.module';
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
    EntitlementsModule,
    DownloadsModule,
    SamplesModule,
    CallersModule,
  ],
})
export class AppModule {}
