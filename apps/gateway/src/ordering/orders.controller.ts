import { CommonErrorCode, OrderingSubjects } from '@trove/contracts';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { uuidParam } from '../catalog/params';
import { ApiProblems } from '../openapi/api-problems';
import { LicenseReceiptDto, OrderDto, OrderPageDto, OrdersQuery, PlaceOrderDto } from './ordering.dto';

@ApiTags('Ordering')
@Controller('v1/orders')
export class OrdersController {
  constructor(private readonly rpc: RpcClient) {}

  @Post()
  @HttpCode(201)
  @Roles(['buyer'], { activeOnly: true })
  @Audited('order.place', 'order')
  @ApiOperation({
    summary: 'Buy one or more offers',
    description:
      'Snapshots each offer (price, license template, terms and their SHA-256) and writes a license receipt; the order starts `pending_payment` and moves on by itself ' +
      '(`paid`, then `fulfilled` once the entitlements are granted, or `cancelled` with `INSUFFICIENT_FUNDS`). `Idempotency-Key` is required: the same key and body give the same answer, ' +
      'a different body 422 IDEMPOTENCY_KEY_REUSED. Offers the buyer may not see, and offers of listings not published, are 404; withdrawn or expired ones, or ones of a suspended vendor, 409 OFFER_NOT_AVAILABLE; ' +
      'offers needing approval without an approved access request 403 ACCESS_NOT_APPROVED; an exclusive license already sold 409 EXCLUSIVITY_CONFLICT; mixed currencies 422 CURRENCY_MISMATCH. ' +
      'A perpetual one-time license the buyer holds already, through a live order covering every released version, or a subscription of the buyer that has not lapsed, is 409 ALREADY_LICENSED naming that order. ' +
      'A license with a term bought again while the buyer\'s earlier terms of it run is a renewal: once paid, its term starts where they end (the entitlement\'s `expiresAt` says until when). ' +
      'A metered offer takes `quantity`, the units to buy (its line costs the unit price times it); without it the item buys every unit the listing declares, and where the listing declares none (or the unit is `gib`) it is 400. `quantity` on any other offer is 400. ' +
      'An order of free offers alone totals zero and is answered `paid`: nothing is charged or invoiced, the license receipt is written all the same.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1 to 255 printable ASCII characters; a retry repeats it' })
  @ApiCreatedResponse({ type: OrderDto })
  @ApiProblems(400, 404, 409, 422, 503)
  place(@Headers('idempotency-key') key: string | undefined, @Body() body: PlaceOrderDto): Promise<OrderDto> {
    if (key === undefined) {
      throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'Idempotency-Key: required on POST /v1/orders, so a retry never buys twice', [
        { field: 'Idempotency-Key', problems: ['Idempotency-Key is required'] },
      ]);
    }
    const items = body.items.map((item) => ({ offerId: item.offerId, ...(item.quantity !== undefined ? { quantity: item.quantity } : {}) }));
    return this.rpc.send(OrderingSubjects.placeOrder, { items, acceptLicense: body.acceptLicense });
  }

  @Get()
  @Roles(['buyer', 'admin'])
  @ApiOperation({ summary: 'Orders, newest first', description: "A buyer's own orders; an admin's view is every order, or one buying organization's with `?buyer=`. `?status=` narrows the list." })
  @ApiOkResponse({ type: OrderPageDto })
  @ApiProblems(400, 503)
  list(@Query() query: OrdersQuery): Promise<OrderPageDto> {
    return this.rpc.send(OrderingSubjects.listOrders, { status: query.status, buyer: query.buyer, limit: query.limit, cursor: query.cursor });
  }

  @Get(':id')
  @Roles(['buyer', 'admin'])
  @ApiOperation({ summary: 'One order', description: "The buyer's own, or any for an admin; another buyer's order is 404." })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: OrderDto })
  @ApiProblems(400, 404, 503)
  get(@Param('id', uuidParam('id')) id: string): Promise<OrderDto> {
    return this.rpc.send(OrderingSubjects.getOrder, { id });
  }

  @Get(':id/receipt')
  @Roles(['buyer', 'admin'])
  @ApiOperation({
    summary: "The order's license receipt",
    description:
      'Written once when the order was placed and never changed: the exact terms, their SHA-256, the accepting organization and key, the time. ' +
      '`sha256` is the SHA-256 of the canonical JSON (RFC 8785) of every other field, so the buyer can verify it. Another buyer\'s receipt is 404.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: LicenseReceiptDto })
  @ApiProblems(400, 404, 503)
  receipt(@Param('id', uuidParam('id')) id: string): Promise<LicenseReceiptDto> {
    return this.rpc.send(OrderingSubjects.getReceipt, { id });
  }
}
