import { Module } from '@nestjs/common';
import { OrganizationNames } from './organization-names';
import { OrganizationRepository } from './organization.repository';

/**
 * The organizations as the other routes read them: their kind (a statement's vendor, a private
 * offer's buyer) and their names (the buyers on a vendor's lists, a card's vendor). Only the repository and the
 * unit of work, so a module that reads organizations does not pull in sign-up and keys.
 */
@Module({
  providers: [OrganizationRepository, OrganizationNames],
  exports: [OrganizationRepository, OrganizationNames],
})
export class OrganizationsModule {}
