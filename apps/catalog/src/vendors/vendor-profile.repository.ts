import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import { VendorProfile } from './vendor-profile.entity';

@Injectable()
export class VendorProfileRepository extends TransactionalRepository {
  find(organizationId: string): Promise<VendorProfile | null> {
    return this.manager.findOneBy(VendorProfile, { organizationId });
  }

  /**
   * Whether the vendor's profile is for everyone to read: its organization is not suspended, and
   * an operator approved it (its standing is `active`) or it has had a listing published, which
   * only an approved vendor can. A vendor awaiting approval has no public face yet.
   */
  async isPublic(organizationId: string): Promise<boolean> {
    const [row] = (await this.manager.query(
      `SELECT NOT EXISTS (SELECT 1 FROM organization_standing s WHERE s.organization_id = $1 AND s.status = 'suspended')
              AND (EXISTS (SELECT 1 FROM organization_standing s WHERE s.organization_id = $1 AND s.status = 'active')
                   OR EXISTS (SELECT 1 FROM dataset d WHERE d.vendor_organization_id = $1 AND d.published_at IS NOT NULL)) AS public`,
      [organizationId],
    )) as { public: boolean }[];
    return row.public;
  }

  findForUpdate(organizationId: string): Promise<VendorProfile | null> {
    return this.transaction.findOne(VendorProfile, { where: { organizationId }, lock: { mode: 'pessimistic_write' } });
  }

  save(profile: VendorProfile): Promise<VendorProfile> {
    return this.transaction.save(VendorProfile, profile);
  }
}
