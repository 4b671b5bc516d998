import { Injectable } from '@nestjs/common';
import { readAsSql } from '@trove/dataset';
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

  /**
   * Which of these names the profile of another vendor an operator approved already shows, in
   * either language, compared as a reader tells them apart: without what shows nothing,
   * NFKC-folded (full-width `Ｄａｔａ` is `Data`, `（` is `(`), case-insensitive, and without
   * white space and punctuation (`AISHELL Speech Data（demo）` is `AISHELL Speech Data (demo)`,
   * `数据 堂` is `数据堂`). Approved: an operator approved it once (`organization_standing.approved_at`)
   * or it has had a listing published, suspended since or not (a suspension does not free a name
   * for an impostor; a sign-up an operator declined reserves none). A vendor awaiting approval
   * reserves nothing: anyone could
   * sign up, take "SpeechOcean" and keep the real SpeechOcean from its own name while an operator
   * never approved it. Holds the lock that orders profile writes until the caller's transaction
   * ends, so two vendors cannot take one name at once.
   */
  async namesTakenByOthers(organizationId: string, names: string[]): Promise<string[]> {
    await this.transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended('vendor-profile-names', 0))`);
    const rows = (await this.transaction.query(
      `WITH wanted AS (SELECT name, ${nameKeySql('name')} AS key FROM unnest($2::text[]) AS name)
       SELECT DISTINCT w.name
         FROM wanted w
         JOIN vendor_profile p ON p.organization_id <> $1
          AND w.key IN (${nameKeySql('p.display_name_zh')}, ${nameKeySql('p.display_name_en')})
        WHERE ${APPROVED_PROFILE_SQL}`,
      [organizationId, names],
    )) as { name: string }[];
    return rows.map((row) => row.name);
  }

  /**
   * Whether another vendor an operator approved (as for names) already gives `website` as its
   * own, compared without case in the scheme and host, a `www.`, a trailing slash or `http` for
   * `https`. Run after `namesTakenByOthers`, under its lock.
   */
  async websiteTakenByOthers(organizationId: string, website: string): Promise<boolean> {
    const [row] = (await this.transaction.query(
      `SELECT EXISTS (
         SELECT 1 FROM vendor_profile p
          WHERE p.organization_id <> $1 AND p.website IS NOT NULL AND ${websiteKeySql('p.website')} = ${websiteKeySql('$2::text')}
            AND (${APPROVED_PROFILE_SQL})
       ) AS taken`,
      [organizationId, website],
    )) as { taken: boolean }[];
    return row.taken;
  }

  findForUpdate(organizationId: string): Promise<VendorProfile | null> {
    return this.transaction.findOne(VendorProfile, { where: { organizationId }, lock: { mode: 'pessimistic_write' } });
  }

  save(profile: VendorProfile): Promise<VendorProfile> {
    return this.transaction.save(VendorProfile, profile);
  }
}

/**
 * SQL: the profile `p` is of a vendor an operator approved once, or that has had a listing
 * published (suspended since or not): its names and website are its own.
 */
const APPROVED_PROFILE_SQL = `EXISTS (SELECT 1 FROM organization_standing s WHERE s.organization_id = p.organization_id AND s.approved_at IS NOT NULL)
           OR EXISTS (SELECT 1 FROM dataset d WHERE d.vendor_organization_id = p.organization_id AND d.published_at IS NOT NULL)`;

/** What a reader skips when telling two names apart: white space and punctuation, once NFKC has made full-width forms ASCII. */
const NAME_SEPARATORS = ` !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~·・、。「」『』《》〈〉【】〔〕—–`;

/** SQL: a name as `namesTakenByOthers` compares it (the characters removed by translate, whatever the cluster's locale). */
function nameKeySql(expression: string): string {
  return `translate(${readAsSql(expression)}, '${NAME_SEPARATORS.replace(/'/g, "''")}', '')`;
}

/** SQL: a website as `websiteTakenByOthers` compares it: `https://www.Example.cn/` is `example.cn`. */
function websiteKeySql(expression: string): string {
  return `regexp_replace(regexp_replace(lower(${expression}), '^https?://(www\\.)?', ''), '/+$', '')`;
}
