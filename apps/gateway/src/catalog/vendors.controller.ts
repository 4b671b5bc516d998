import { CatalogSubjects } from '@trove/contracts';
import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Audited } from '../audit/audited.decorator';
import { Public, Roles } from '../auth/access.decorators';
import type { Principal } from '../auth/principal';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { ApiProblems } from '../openapi/api-problems';
import { DatasetPageDto, VendorDatasetsQuery, VendorProfileDto, VendorProfileInputDto } from './catalog.dto';
import { uuidParam } from './params';

@ApiTags('Catalog')
@Controller('v1')
export class VendorsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get('vendor/datasets')
  @Roles(['vendor'])
  @ApiOperation({
    summary: "The caller's own datasets, in every state, newest first",
    description: 'Filter with `?status=draft|in_review|published|rejected|suspended`; a rejected one carries the reason.',
  })
  @ApiOkResponse({ type: DatasetPageDto })
  @ApiProblems(400)
  listOwn(@Query() query: VendorDatasetsQuery): Promise<DatasetPageDto> {
    return this.rpc.send(CatalogSubjects.listVendorDatasets, { status: query.status, limit: query.limit, cursor: query.cursor });
  }

  @Put('vendor/profile')
  @Roles(['vendor'])
  @Audited('vendor.profile.update', 'organization')
  @ApiOperation({
    summary: "Write the caller's vendor profile",
    description:
      'Display names in Chinese and English, description, website, certifications. Replaces the whole profile. ' +
      "A display name that the profile of another vendor an operator approved shows (in either language; compared trimmed, with runs of spaces as one, NFKC-folded and case-insensitive) is 409 CONFLICT naming the field; a vendor awaiting approval reserves no name.",
  })
  @ApiOkResponse({ type: VendorProfileDto })
  @ApiProblems(400, 409, 413)
  upsertProfile(@Body() body: VendorProfileInputDto): Promise<VendorProfileDto> {
    return this.rpc.send(CatalogSubjects.upsertVendorProfile, body);
  }

  @Get('vendor/profile')
  @Roles(['vendor'])
  @ApiOperation({ summary: "The caller's vendor profile", description: 'As buyers see it once the vendor is approved; 404 until the vendor writes one with PUT.' })
  @ApiOkResponse({ type: VendorProfileDto })
  @ApiProblems(404, 503)
  ownProfile(@CurrentPrincipal() principal: Principal): Promise<VendorProfileDto> {
    return this.rpc.send(CatalogSubjects.getVendorProfile, { organizationId: principal.organizationId });
  }

  @Get('vendors/:id')
  @Public()
  @ApiOperation({
    summary: "A vendor's public profile",
    description: 'Public once an operator approved the vendor, and while it is not suspended; the vendor itself and admins always see it. Otherwise 404.',
  })
  @ApiParam({ name: 'id', format: 'uuid', description: "The vendor organization's id" })
  @ApiOkResponse({ type: VendorProfileDto })
  @ApiProblems(400, 404, 503)
  profile(@Param('id', uuidParam('id')) organizationId: string): Promise<VendorProfileDto> {
    return this.rpc.send(CatalogSubjects.getVendorProfile, { organizationId });
  }
}
