import { CommonErrorCode, type UpsertVendorProfileRequest, type VendorProfileView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import { ServiceException, type Caller } from '@trove/platform';
import { notFound, seesEverything } from '../access';
import { assertDisplayText } from '../display-text';
import { VendorProfile } from './vendor-profile.entity';
import { takenBy } from './vendor-identity';
import { VendorProfileRepository } from './vendor-profile.repository';

@Injectable()
export class VendorsService {
  constructor(
    private readonly profiles: VendorProfileRepository,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** A vendor writes its own profile whole; the organization comes from the key, never the body. */
  async upsert(caller: Caller, request: UpsertVendorProfileRequest): Promise<VendorProfileView> {
    // Buyers read the names next to every listing: no control or reordering characters in them.
    assertDisplayText(request, ['description']);
    return this.unitOfWork.run(async () => {
      // An approved vendor could rename itself after another (its names, then its Croissant
      // cards' creator): only the organization id told the two apart. And a vendor awaiting
      // approval gave the real one's site as its own, for buyers and operators to trust.
      const taken = takenBy(await this.profiles.approvedProfilesOfOthers(caller.organizationId), [request.displayNameZh, request.displayNameEn], request.website);
      if (taken.names.length > 0) {
        const fields = (['displayNameZh', 'displayNameEn'] as const).filter((field) => taken.names.includes(request[field]));
        throw new ServiceException(
          CommonErrorCode.CONFLICT,
          `Another vendor already shows ${taken.names.map((name) => `"${name}"`).join(' and ')}: choose names buyers can tell from theirs.`,
          fields.map((field) => ({ field, problems: [`${field} is another vendor's name`] })),
        );
      }
      if (taken.website) {
        throw new ServiceException(CommonErrorCode.CONFLICT, `Another vendor already gives ${request.website} as its website: give your organization's own.`, [
          { field: 'website', problems: ["website is another vendor's website"] },
        ]);
      }
      const existing = await this.profiles.findForUpdate(caller.organizationId);
      const profile = Object.assign(existing ?? new VendorProfile(), {
        organizationId: caller.organizationId,
        displayNameZh: request.displayNameZh,
        displayNameEn: request.displayNameEn,
        description: request.description ?? null,
        website: request.website ?? null,
        certifications: request.certifications ?? [],
      });
      return (await this.profiles.save(profile)).toView();
    });
  }

  async find(organizationId: string): Promise<VendorProfile | null> {
    return this.profiles.find(organizationId);
  }

  /**
   * A vendor's profile: to everyone once an operator approved the vendor (and while it is not
   * suspended), to the vendor itself and operators always. Before, anyone who signed up as a
   * vendor had a public page under any name ("SpeechOcean (official)") before an operator looked.
   */
  async get(caller: Caller | undefined, organizationId: string): Promise<VendorProfileView> {
    const profile = await this.profiles.find(organizationId);
    if (!profile) throw notFound('vendor profile', organizationId);
    if (!seesEverything(caller, organizationId) && !(await this.profiles.isPublic(organizationId))) throw notFound('vendor profile', organizationId);
    return profile.toView();
  }
}
