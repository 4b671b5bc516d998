import { CatalogSubjects } from '@trove/contracts';
import { Body, Controller, Get, Header, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Audited } from '../audit/audited.decorator';
import { Public, Roles } from '../auth/access.decorators';
import { OrganizationNames } from '../identity/organization-names';
import { CurrentPrincipal } from '../auth/principal.decorator';
import type { Principal } from '../auth/principal';
import { DatasetRecipientListDto, RecipientsQuery } from '../delivery/delivery.dto';
import { ApiProblems } from '../openapi/api-problems';
import { CreateDatasetDto, DatasetDetailDto, DatasetDto, UpdateDatasetDto } from './catalog.dto';
import { uuidParam } from './params';

@ApiTags('Catalog')
@Controller('v1/datasets')
export class DatasetsController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly organizationNames: OrganizationNames,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles(['vendor'])
  @Audited('dataset.create', 'dataset')
  @ApiOperation({
    summary: 'List a new dataset (a draft)',
    description: 'The listing per the dataset model. Unknown fields (`status`, `vendorId`, ...) are refused with 400 listing them. A pending vendor may prepare drafts; submitting needs approval.',
  })
  @ApiCreatedResponse({ type: DatasetDto })
  @ApiProblems(400, 413)
  create(@Body() body: CreateDatasetDto): Promise<DatasetDto> {
    return this.rpc.send(CatalogSubjects.createDataset, { metadata: { ...body } });
  }

  @Get(':id')
  @Public()
  @ApiOperation({
    summary: 'A dataset with its newest versions, their first files, its offers and samples',
    description:
      'Anyone for a published dataset; its vendor and admins in every state (404 for everyone else). Private offers are shown to their buyer only. ' +
      '`versionCount` says how many versions there are; the newest are shown, and GET /v1/datasets/:id/versions pages through every one.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DatasetDetailDto })
  @ApiProblems(400, 404, 503)
  get(@Param('id', uuidParam('id')) id: string): Promise<DatasetDetailDto> {
    return this.rpc.send(CatalogSubjects.getDataset, { id });
  }

  @Get(':id/croissant')
  @Public()
  @Header('content-type', 'application/ld+json; charset=utf-8')
  @ApiOperation({
    summary: 'The dataset card as Croissant JSON-LD',
    description: 'MLCommons Croissant 1.0: metadata, a distribution entry per file of the newest release (its first 100) with its SHA-256. Same visibility as the dataset. ' +
      "The `creator` is the vendor's organization: `identifier` its id, and `name` its profile's display names, which Trove keeps unique among vendors. A vendor without a profile is named by its id alone: the name an organization signs up with is not reserved, and a card is where buyers and dataset search engines read where the data comes from.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ description: 'The card', content: { 'application/ld+json': { schema: { type: 'object' } } } })
  @ApiProblems(400, 404, 503)
  async croissant(@Param('id', uuidParam('id')) id: string): Promise<Record<string, unknown>> {
    return this.rpc.send(CatalogSubjects.getCroissant, { id });
  }

  @Get(':id/downloads')
  @Roles(['vendor', 'admin'])
  @ApiOperation({
    summary: 'Who received the dataset, and what each downloaded',
    description:
      'For the listing\'s vendor and operators (another vendor\'s listing is 404): every entitlement granted on it, newest first, in every status, each with its buyer, its order, ' +
      'the versions it covers and what was downloaded under it per API key and version (files, requests, bytes, first and last time). With `versionId`, only the entitlements covering that version ' +
      'and their downloads of it: when a copy of a release turns up where it should not, who could hold it and who fetched it.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DatasetRecipientListDto })
  @ApiProblems(400, 404, 503)
  async recipients(@Param('id', uuidParam('id')) datasetId: string, @Query() query: RecipientsQuery): Promise<DatasetRecipientListDto> {
    return this.organizationNames.attach(await this.rpc.send(CatalogSubjects.datasetRecipients, { ...query, datasetId }));
  }

  @Patch(':id')
  @Roles(['vendor'])
  @Audited('dataset.update', 'dataset')
  @ApiOperation({
    summary: "Edit a dataset's metadata",
    description:
      'Owning vendor only. Each field sent replaces the listing\'s (nested objects whole); `null` removes an optional field; the result must be a valid listing. ' +
      'A listing in review cannot be edited (409) until an operator decides. An edit that leaves a live metered offer with no volume in its unit (a per-hour offer without `speech.hours`) is 409 CONFLICT naming the offers. Status, versions and offers have routes of their own.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404, 409, 413)
  update(@Param('id', uuidParam('id')) id: string, @Body() body: UpdateDatasetDto): Promise<DatasetDto> {
    return this.rpc.send(CatalogSubjects.updateDataset, { id, metadata: { ...body } });
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Roles(['vendor'])
  @Audited('dataset.submit', 'dataset')
  @ApiOperation({
    summary: 'Submit a dataset for review',
    description:
      '`draft` or `rejected` -> `in_review`. Needs an approved vendor (`409 VENDOR_NOT_APPROVED` while the vendor awaits approval), a released version and a live offer (`409 INVALID_STATE` naming what is missing).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404, 409)
  submit(@CurrentPrincipal() principal: Principal, @Param('id', uuidParam('id')) id: string): Promise<DatasetDto> {
    return this.rpc.send(CatalogSubjects.submitDataset, { id, vendorStatus: principal.organization.status });
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @Roles(['vendor'])
  @Audited('dataset.withdraw', 'dataset')
  @ApiOperation({
    summary: 'Withdraw a published dataset from sale',
    description:
      '`published` -> `withdrawn`: the vendor takes its own listing off sale (consent withdrawn by the people recorded, a licensing problem). It leaves search and its page (404 to others), and its offers cannot be ordered; buyers keep their entitlements and downloads, and subscriptions to it stop renewing. Submitting it again (`POST .../submit`) puts it back through review. Any other status is `409 INVALID_STATE`.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404, 409)
  withdraw(@Param('id', uuidParam('id')) id: string): Promise<DatasetDto> {
    return this.rpc.send(CatalogSubjects.withdrawDataset, { id });
  }
}
