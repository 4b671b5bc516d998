import type { UpsertVendorProfileRequest, VendorProfileView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import { notFound } from '../access';
import { assertDisplayText } from '../display-text';
import { VendorProfile } from './vendor-profile.entity';
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

  async get(organizationId: string): Promise<VendorProfileView> {
    const profile = await this.profiles.find(organizationId);
    if (!profile) throw notFound('vendor profile', organizationId);
    return profile.toView();
  }
}
