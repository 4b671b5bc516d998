import { BillingSubjects } from '@trove/contracts';
import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { uuidParam } from '../catalog/params';
import { ApiProblems } from '../openapi/api-problems';
import { AdminSubscriptionsQuery, SubscriptionDto, SubscriptionPageDto, SubscriptionsQuery } from './billing.dto';

/** A buyer's subscriptions: what each costs, the period paid, the next charge, and stopping it. */
@ApiTags('Billing')
@Controller('v1')
export class SubscriptionsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get('subscriptions')
  @Roles(['buyer'])
  @ApiOperation({
    summary: "The buyer's subscriptions, newest first",
    description: "The buying organization's own, one per subscription line it ordered: price and period, status, the period paid, the next charge, and why one lapsed. `?status=` narrows them.",
  })
  @ApiOkResponse({ type: SubscriptionPageDto })
  @ApiProblems(400, 503)
  list(@Query() query: SubscriptionsQuery): Promise<SubscriptionPageDto> {
    return this.rpc.send(BillingSubjects.listSubscriptions, { limit: query.limit, cursor: query.cursor, status: query.status });
  }

  @Get('subscriptions/:id')
  @Roles(['buyer', 'admin'])
  @ApiOperation({ summary: 'One subscription', description: "A buyer sees its organization's own (another organization's is 404); an operator sees every one." })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, 404, 503)
  get(@Param('id', uuidParam('id')) subscriptionId: string): Promise<SubscriptionDto> {
    return this.rpc.send(BillingSubjects.getSubscription, { subscriptionId });
  }

  @Post('subscriptions/:id/cancel')
  @HttpCode(200)
  @Roles(['buyer'])
  @Audited('subscription.cancel', 'subscription')
  @ApiOperation({
    summary: 'Stop renewing at the end of the paid period',
    description:
      "`cancelAtPeriodEnd: true`, `nextChargeAt: null`. Nothing more is charged; the entitlement runs to `currentPeriodEnd`, then the subscription lapses (`lapseReason: cancelled_by_buyer`) and the entitlement ends (`expired`). Nothing is given back for the period paid. Cancelling again answers the same; one that lapsed otherwise or was refunded is 409 INVALID_STATE; another organization's is 404. A renewal already under way when the cancellation arrives is charged first (its period was due), and the cancellation takes effect at the end of that period.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, 404, 409, 503)
  cancel(@Param('id', uuidParam('id')) subscriptionId: string): Promise<SubscriptionDto> {
    return this.rpc.send(BillingSubjects.cancelSubscription, { subscriptionId });
  }

  @Post('subscriptions/:id/resume')
  @HttpCode(200)
  @Roles(['buyer'])
  @Audited('subscription.resume', 'subscription')
  @ApiOperation({
    summary: 'Take a cancellation back before the paid period ends',
    description:
      "Renewals go on as before: `cancelAtPeriodEnd: false`, `nextChargeAt` is `currentPeriodEnd` again. Once `currentPeriodEnd` has passed it is too late (409 INVALID_STATE): the subscription lapses, and the buyer orders the offer again. Resuming one that was not cancelled answers it as it is; a lapsed or refunded one is 409 INVALID_STATE; another organization's is 404.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, 404, 409, 503)
  resume(@Param('id', uuidParam('id')) subscriptionId: string): Promise<SubscriptionDto> {
    return this.rpc.send(BillingSubjects.resumeSubscription, { subscriptionId });
  }

  @Get('admin/subscriptions')
  @Roles(['admin'])
  @ApiOperation({ summary: 'Every subscription, newest first', description: '`?organization=` narrows them to one buying organization, `?status=` to one status.' })
  @ApiOkResponse({ type: SubscriptionPageDto })
  @ApiProblems(400, 503)
  adminList(@Query() query: AdminSubscriptionsQuery): Promise<SubscriptionPageDto> {
    return this.rpc.send(BillingSubjects.listSubscriptions, { limit: query.limit, cursor: query.cursor, status: query.status, organizationId: query.organization });
  }
}
