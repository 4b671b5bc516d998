import { CatalogSubjects } from '@trove/contracts';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { validateMessage } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';
import { AdminDatasetsQuery, DatasetDto, DatasetPageDto, RejectDatasetDto, SuspendDatasetDto } from './catalog.dto';
import { uuidParam } from './params';

@ApiTags('Operations')
@Controller('v1/admin/datasets')
export class AdminDatasetsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @Roles(['admin'])
  @ApiOperation({
    summary: 'Listings in every state, newest first',
    description: '`?status=in_review` is the review queue; `?vendor=` one vendor organization\'s listings.',
  })
  @ApiOkResponse({ type: DatasetPageDto })
  @ApiProblems(400)
  list(@Query() query: AdminDatasetsQuery): Promise<DatasetPageDto> {
    return this.rpc.send(CatalogSubjects.listDatasets, { status: query.status, vendorOrganizationId: query.vendor, limit: query.limit, cursor: query.cursor });
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('dataset.approve', 'dataset')
  @ApiOperation({
    summary: 'Publish a dataset in review, or reinstate a suspended one',
    description: 'A dataset in review must still have a released version and a live offer (409 INVALID_STATE otherwise: reject it so the vendor can fix it).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404, 409)
  approve(@Param('id', uuidParam('id')) id: string): Promise<DatasetDto> {
    return this.rpc.send(CatalogSubjects.approveDataset, { id });
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('dataset.reject', 'dataset')
  @ApiOperation({ summary: 'Reject a dataset in review', description: 'The vendor sees the reason, fixes the listing and submits again.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404, 409)
  reject(@Param('id', uuidParam('id')) id: string, @Body() body: RejectDatasetDto): Promise<DatasetDto> {
    return this.rpc.send(CatalogSubjects.rejectDataset, { id, reason: body.reason });
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('dataset.suspend', 'dataset')
  @ApiOperation({
    summary: 'Take a published dataset down',
    description:
      'It disappears for everyone but its vendor and admins until approved again. The body may be left out; `{reason}` is shown to the vendor as `rejectionReason` (cleared when the listing is approved again).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiBody({ type: SuspendDatasetDto, required: false })
  @ApiOkResponse({ type: DatasetDto })
  @ApiProblems(400, 404, 409)
  suspend(@Param('id', uuidParam('id')) id: string, @Body() body: unknown): Promise<DatasetDto> {
    // No body at all is a suspension without a reason; a body is held to the DTO's rules.
    const reason = body === undefined ? undefined : validateMessage(SuspendDatasetDto, body).reason;
    return this.rpc.send(CatalogSubjects.suspendDataset, { id, ...(reason === undefined ? {} : { reason }) });
  }
}
