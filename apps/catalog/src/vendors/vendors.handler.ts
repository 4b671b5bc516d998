import { CatalogSubjects, GetVendorProfileRequest, UpsertVendorProfileRequest, type VendorProfileView } from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerOf } from '../access';
import { VendorsService } from './vendors.service';

@Injectable()
export class VendorsHandler {
  constructor(private readonly vendors: VendorsService) {}

  @RpcHandler(CatalogSubjects.upsertVendorProfile)
  upsert(request: UpsertVendorProfileRequest, context: RpcContext): Promise<VendorProfileView> {
    return this.vendors.upsert(callerOf(context), request);
  }

  @RpcHandler(CatalogSubjects.getVendorProfile)
  get(request: GetVendorProfileRequest, context: RpcContext): Promise<VendorProfileView> {
    return this.vendors.get(context.caller, request.organizationId);
  }
}
