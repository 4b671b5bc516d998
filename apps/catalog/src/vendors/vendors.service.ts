import type { UpsertVendorProfileRequest, VendorProfileView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@trove/messaging';
import type { Caller } from '@trove/platform';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notFound } from '../access';
import { VendorProfile } from './vendor-profile.entity';

@Injectable()
export class VendorsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly unitOfWork: UnitOfWork,
  ) {}

  /** A vendor writes its own profile whole; the organization comes from the key, never the body. */
  async upsert(caller: Caller, request: UpsertVendorProfileRequest): Promise<VendorProfileView> {
    return this.unitOfWork.run(async (tx) => {
      const existing = await tx.manager.findOne(VendorProfile, { where: { organizationId: caller.organizationId }, lock: { mode: 'pessimistic_write' } });
      const profile = Object.assign(existing ?? new VendorProfile(), {
        organizationId: caller.organizationId,
        displayNameZh: request.displayNameZh,
        displayNameEn: request.displayNameEn,
        description: request.description ?? null,
        website: request.website ?? null,
        certifications: request.certifications ?? [],
      });
      return (await tx.manager.save(VendorProfile, profile)).toView();
    });
  }

  async find(organizationId: string): Promise<VendorProfile | null> {
    return this.dataSource.manager.findOneBy(VendorProfile, { organizationId });
  }

  async get(organizationId: string): Promise<VendorProfileView> {
    const profile = await this.dataSource.manager.findOneBy(VendorProfile, { organizationId });
    if (!profile) throw notFound('vendor profile', organizationId);
    return profile.toView();
  }
}
