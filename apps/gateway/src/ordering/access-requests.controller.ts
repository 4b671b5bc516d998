import { OrderingSubjects, type AccessRequestView, type RpcSubject } from '@trove/contracts';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { validateMessage } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { OrganizationNames } from '../identity/organization-names';
import { uuidParam } from '../catalog/params';
import { ApiProblems } from '../openapi/api-problems';
import { AccessRequestDto, AccessRequestPageDto, AccessRequestsQuery, CreateAccessRequestDto, RejectAccessRequestDto } from './ordering.dto';

@ApiTags('Ordering')
@Controller('v1/access-requests')
export class AccessRequestsController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly organizationNames: OrganizationNames,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles(['buyer'], { activeOnly: true })
  @Audited('access-request.create', 'access-request')
  @ApiOperation({
    summary: 'Ask a vendor for access to an offer that needs approval',
    description: 'Only for offers with `requiresApproval` (409 otherwise); one open or approved request per buyer and offer (409 for a second).',
  })
  @ApiCreatedResponse({ type: AccessRequestDto })
  @ApiProblems(400, 404, 409, 503)
  async create(@Body() body: CreateAccessRequestDto): Promise<AccessRequestDto> {
    return this.named(OrderingSubjects.createAccessRequest, { offerId: body.offerId, intendedUse: body.intendedUse });
  }

  @Get()
  @Roles(['buyer', 'vendor'])
  @ApiOperation({ summary: 'Access requests, newest first', description: "A vendor's requests to decide, or a buyer's own; `?status=` narrows them." })
  @ApiOkResponse({ type: AccessRequestPageDto })
  @ApiProblems(400, 503)
  async list(@Query() query: AccessRequestsQuery): Promise<AccessRequestPageDto> {
    return this.organizationNames.attach(await this.rpc.send(OrderingSubjects.listAccessRequests, { status: query.status, limit: query.limit, cursor: query.cursor }));
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Roles(['vendor'], { activeOnly: true })
  @Audited('access-request.approve', 'access-request')
  @ApiOperation({ summary: 'Approve a request: the buyer may now order the offer', description: "The offer's vendor only (404 for others); a request already rejected is 409." })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessRequestDto })
  @ApiProblems(400, 404, 409, 503)
  async approve(@Param('id', uuidParam('id')) id: string): Promise<AccessRequestDto> {
    return this.named(OrderingSubjects.approveAccessRequest, { id });
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles(['vendor'], { activeOnly: true })
  @Audited('access-request.reject', 'access-request')
  @ApiOperation({
    summary: 'Reject a request, with a reason for the buyer if the vendor gives one',
    description:
      "The offer's vendor only (404 for others); a request already approved is 409. The body may be left out (or `{}`); `{reason}` is shown to the buyer as `rejectionReason`. Rejecting a rejected request again with the same reason, or none, answers it as it is (a retry); with another reason it is 409 INVALID_STATE naming the reason the buyer reads, as a decision is final. The buyer may ask again.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiBody({ type: RejectAccessRequestDto, required: false })
  @ApiOkResponse({ type: AccessRequestDto })
  @ApiProblems(400, 404, 409, 503)
  async reject(@Param('id', uuidParam('id')) id: string, @Body() body: unknown): Promise<AccessRequestDto> {
    // No body at all is a rejection without a reason; a body is held to the DTO's rules.
    const reason = body === undefined ? undefined : validateMessage(RejectAccessRequestDto, body).reason;
    return this.named(OrderingSubjects.rejectAccessRequest, { id, ...(reason === undefined ? {} : { reason }) });
  }

  /** A request as the ordering service answers it, with the buyer's name, as the list gives it. */
  private async named<Q>(subject: RpcSubject<Q, AccessRequestView>, request: Q): Promise<AccessRequestDto> {
    return this.organizationNames.attachOne(await this.rpc.send(subject, request));
  }
}
