import { OrderingSubjects } from '@trove/contracts';
import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { uuidParam } from '../catalog/params';
import { ApiProblems } from '../openapi/api-problems';
import { OrderDto, RefundOrderDto } from './ordering.dto';

@ApiTags('Operations')
@Controller('v1/admin/orders')
export class AdminOrdersController {
  constructor(private readonly rpc: RpcClient) {}

  @Post(':id/refund')
  @HttpCode(202)
  @Roles(['admin'])
  @Audited('order.refund', 'order')
  @ApiOperation({
    summary: 'Refund a paid order',
    description:
      'The order becomes `refund_pending`; billing posts a reversing entry, then the order is `refunded` and delivery revokes its entitlements. ' +
      'An order that was never paid (or is refunded already) is 409 ORDER_NOT_REFUNDABLE.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiAcceptedResponse({ type: OrderDto })
  @ApiProblems(400, 404, 409, 503)
  refund(@Param('id', uuidParam('id')) id: string, @Body() body: RefundOrderDto): Promise<OrderDto> {
    return this.rpc.send(OrderingSubjects.refundOrder, { id, reason: body.reason });
  }
}
