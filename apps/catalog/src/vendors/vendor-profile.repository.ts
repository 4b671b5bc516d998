import { Injectable } from '@nestjs/common';
import { TransactionalRepository } from '@trove/messaging';
import type { ShownProfile } from './vendor-identity';
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

  /**
   * The names and websites the profiles of the other vendors an operator approved show, for a
   * vendor's new profile to be told apart from them (`takenBy`). Approved: an operator approved
   * it once (`organization_standing.approved_at`) or it has had a listing published, suspended
   * since or not (a suspension does not free a name for an impostor; a sign-up an operator
   * declined reserves none). A vendor awaiting approval reserves nothing: anyone could sign up,
   * take "SpeechOcean" and keep the real SpeechOcean from its own name while an operator never
   * approved it. Holds the lock that orders profile writes until the caller's transaction ends,
   * so two vendors cannot take one name at once. Compared in the service rather than in SQL:
   * what a reader skims past (Unicode punctuation and symbols, traditional characters) is not
   * something a cluster's locale says alike everywhere.
   */
  async approvedProfilesOfOthers(organizationId: string): Promise<ShownProfile[]> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended('vendor-profile-names', 0))`);
    const rows = (await this.transaction.query(
      `SELECT p.display_name_zh, p.display_name_en, p.website FROM vendor_profile p
        WHERE p.organization_id <> $1
          AND (EXISTS (SELECT 1 FROM organization_standing s WHERE s.organization_id = p.organization_id AND s.approved_at IS NOT NULL)
               OR EXISTS (SELECT 1 FROM dataset d WHERE d.vendor_organization_id = p.organization_id AND d.published_at IS NOT NULL))`,
      [organizationId],
    )) as { display_name_zh: string; display_name_en: string; website: string | null }[];
    return rows.map((row) => ({ displayNameZh: row.display_name_zh, displayNameEn: row.display_name_en, website: row.website }));
  }

  findForUpdate(organizationId: string): Promise<VendorProfile | null> {
    return this.transaction.findOne(VendorProfile, { where: { organizationId }, lock: { mode: 'pessimistic_write' } });
  }

  save(profile: VendorProfile): Promise<VendorProfile> {
    return this.transaction.save(VendorProfile, profile);
  }
}

