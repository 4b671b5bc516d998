import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { MessagingModule } from '@trove/messaging';
import { PlatformModule } from '@trove/platform';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BillingRoutesModule } from './billing/billing.module';
import { CatalogModule } from './catalog/catalog.module';
import { DeliveryRoutesModule } from './delivery/delivery.module';
import { SearchModule } from './search/search.module';
import { entities, migrations } from './database';
import { GatewayConfig } from './gateway.config';
import { NoBodyInterceptor } from './http/no-body.interceptor';
import { IdentityModule } from './identity/identity.module';
import { OperationsModule } from './operations/operations.module';
import { OrderingRoutesModule } from './ordering/ordering.module';

@Module({
  imports: [
    PlatformModule.forRoot({ service: 'gateway', config: GatewayConfig, entities, migrations }),
    MessagingModule.forRoot(),
    AuthModule,
    AuditModule,
    IdentityModule,
    OperationsModule,
    CatalogModule,
    SearchModule,
    OrderingRoutesModule,
    BillingRoutesModule,
    DeliveryRoutesModule,
  ],
  providers: [{ provide: APP_INTERCEPTOR, useClass: NoBodyInterceptor }],
})
export class AppModule {}
