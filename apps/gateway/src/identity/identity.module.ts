import { Module } from '@nestjs/common';
import { AuditEventRepository } from '../audit/audit-event.repository';
import { AdminApiKeysController, AdminOrganizationsController } from './admin-organizations.controller';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeysController } from './api-keys.controller';
import { IdentityService } from './identity.service';
import { OperatorKey } from './operator-key';
import { OperatorKeyRepository } from './operator-key.repository';
import { OrganizationsModule } from './organizations.module';
import { OrganizationsController } from './organizations.controller';
import { StatusAnnouncer } from './status-announcer';

@Module({
  imports: [OrganizationsModule],
  controllers: [OrganizationsController, ApiKeysController, AdminOrganizationsController, AdminApiKeysController],
  providers: [IdentityService, ApiKeyRepository, OperatorKey, OperatorKeyRepository, AuditEventRepository, StatusAnnouncer],
  // the operators' figures (operations) count organizations
  exports: [OrganizationsModule],
})
export class IdentityModule {}
