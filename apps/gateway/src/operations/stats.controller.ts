import { BillingSubjects, CommonErrorCode, ORDER_STATUSES, OrderingSubjects, type OrderStatus, type SalesPerCurrency } from '@trove/contracts';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { Roles } from '../auth/access.decorators';
import { ApiProblems } from '../openapi/api-problems';

export class AdminStatsDto {
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: `Orders per status (${ORDER_STATUSES.join(', ')}), zero included; null when ordering did not answer`,
    example: { pending_payment: 3, paid: 1, fulfilled: 1280, cancelled: 42, refund_pending: 0, refunded: 5 },
  })
  ordersByStatus: Record<OrderStatus, number> | null;

  @ApiProperty({ nullable: true, type: 'array', items: { type: 'object' }, description: 'Captured sales per currency (billing); null when billing did not answer' })
  salesPerCurrency: SalesPerCurrency[] | null;

  @ApiProperty({ type: [String], description: 'Services that did not answer; their figures are null' })
  unavailable: string[];
}

@ApiTags('Operations')
@Controller('v1/admin/stats')
export class StatsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @Roles(['admin'])
  @ApiOperation({
    summary: 'Operations figures',
    description: 'Orders by status and sales per currency, each asked of its service at once; a service that does not answer is listed in `unavailable` and its figures are null.',
  })
  @ApiOkResponse({ type: AdminStatsDto })
  @ApiProblems(503)
  async stats(): Promise<AdminStatsDto> {
    const unavailable: string[] = [];
    const down = (service: string) => (error: unknown) => {
      if (!(error instanceof ServiceException) || error.code !== CommonErrorCode.SERVICE_UNAVAILABLE) throw error;
      unavailable.push(service);
      return undefined;
    };
    const [orders, sales] = await Promise.all([
      this.rpc.send(OrderingSubjects.orderStats, {}).catch(down('ordering')),
      this.rpc.send(BillingSubjects.salesStats, {}).catch(down('billing')),
    ]);
    return { ordersByStatus: orders ? orders.byStatus : null, salesPerCurrency: sales ? sales.salesPerCurrency : null, unavailable: unavailable.sort() };
  }
}
