import { Module } from '@nestjs/common';
import { BuyerNames } from './buyer-names';
import { OrganizationRepository } from './organization.repository';

/**
 * The organizations as the other routes read them: their kind (a statement's vendor, a private
 * offer's buyer) and their names (the buyers on a vendor's lists). Only the repository and the
 * unit of work, so a module that reads organizations does not pull in sign-up and keys.
 */
@Module({
  providers: [OrganizationRepository, BuyerNames],
  exports: [OrganizationRepository, BuyerNames],
})
export class OrganizationsModule {}
