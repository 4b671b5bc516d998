import { Module } from '@nestjs/common';
import { AuditEventRepository } from '../audit/audit-event.repository';
import { AdminOrganizationsController } from './admin-organizations.controller';
import { ApiKeyRepository } from './api-key.repository';
import { ApiKeysController } from './api-keys.controller';
import { BuyerNames } from './buyer-names';
import { IdentityService } from './identity.service';
import { OperatorKey } from './operator-key';
import { OperatorKeyRepository } from './operator-key.repository';
import { OrganizationRepository } from './organization.repository';
import { OrganizationsController } from './organizations.controller';
import { StatusAnnouncer } from './status-announcer';

@Module({
  controllers: [OrganizationsController, ApiKeysController, AdminOrganizationsController],
  providers: [IdentityService, OrganizationRepository, BuyerNames, ApiKeyRepository, OperatorKey, OperatorKeyRepository, AuditEventRepository, StatusAnnouncer],
  // the operators' figures (operations) count organizations; lists name buyers
  exports: [OrganizationRepository, BuyerNames],
})
export class IdentityModule {}
