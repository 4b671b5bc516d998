import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { VendorProfile } from './vendor-profile.entity';

@Injectable()
export class VendorProfileRepository extends TransactionalRepository {
  find(organizationId: string): Promise<VendorProfile | null> {
    return this.manager.findOneBy(VendorProfile, { organizationId });
  }

  findForUpdate(organizationId: string): Promise<VendorProfile | null> {
    return this.transaction.findOne(VendorProfile, { where: { organizationId }, lock: { mode: 'pessimistic_write' } });
  }

  save(profile: VendorProfile): Promise<VendorProfile> {
    return this.transaction.save(VendorProfile, profile);
  }
}
