import {
  CreateAccessRequestRequest,
  DecideAccessRequestRequest,
  GetOrderRequest,
  ListAccessRequestsRequest,
  ListOrdersRequest,
  ListSalesRequest,
  OrderingSubjects,
  OrderStatsRequest,
  PlaceOrderRequest,
  RefundOrderRequest,
  RejectAccessRequestRequest,
  type AccessRequestPage,
  type AccessRequestView,
  type LicenseReceiptView,
  type OrderPage,
  type OrderStatsView,
  type OrderView,
  type SalePage,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerAs } from '../access';
import { AccessRequestsService } from '../access-requests/access-requests.service';
import { OrdersService } from './orders.service';

@Injectable()
export class OrdersHandler {
  constructor(
    private readonly orders: OrdersService,
    private readonly accessRequests: AccessRequestsService,
  ) {}

  // The catalog is asked for the offers before the order's transaction opens.
  @RpcHandler(OrderingSubjects.placeOrder, { deferTransaction: true })
  place(request: PlaceOrderRequest, context: RpcContext): Promise<OrderView> {
    return this.orders.place(callerAs(context, 'buyer'), request, context.command!);
  }

  @RpcHandler(OrderingSubjects.getOrder)
  get(request: GetOrderRequest, context: RpcContext): Promise<OrderView> {
    return this.orders.get(callerAs(context, 'buyer', 'admin'), request.id);
  }

  @RpcHandler(OrderingSubjects.listOrders)
  list(request: ListOrdersRequest, context: RpcContext): Promise<OrderPage> {
    return this.orders.list(callerAs(context, 'buyer', 'admin'), request);
  }

  @RpcHandler(OrderingSubjects.getReceipt)
  receipt(request: GetOrderRequest, context: RpcContext): Promise<LicenseReceiptView> {
    return this.orders.receipt(callerAs(context, 'buyer', 'admin'), request.id);
  }

  @RpcHandler(OrderingSubjects.refundOrder)
  refund(request: RefundOrderRequest, context: RpcContext): Promise<OrderView> {
    callerAs(context, 'admin');
    return this.orders.refund(request.id, request.reason);
  }

  @RpcHandler(OrderingSubjects.listSales)
  sales(request: ListSalesRequest, context: RpcContext): Promise<SalePage> {
    return this.orders.sales(callerAs(context, 'vendor'), request);
  }

  @RpcHandler(OrderingSubjects.orderStats)
  stats(request: OrderStatsRequest, context: RpcContext): Promise<OrderStatsView> {
    callerAs(context, 'admin');
    return this.orders.stats(request.buyerOrganizationId);
  }

  // The catalog is asked for the offer before the request's transaction opens.
  @RpcHandler(OrderingSubjects.createAccessRequest, { deferTransaction: true })
  requestAccess(request: CreateAccessRequestRequest, context: RpcContext): Promise<AccessRequestView> {
    return this.accessRequests.create(callerAs(context, 'buyer'), request, context.command!);
  }

  @RpcHandler(OrderingSubjects.approveAccessRequest)
  approveAccess(request: DecideAccessRequestRequest, context: RpcContext): Promise<AccessRequestView> {
    return this.accessRequests.decide(callerAs(context, 'vendor'), request.id, 'approved');
  }

  @RpcHandler(OrderingSubjects.rejectAccessRequest)
  rejectAccess(request: RejectAccessRequestRequest, context: RpcContext): Promise<AccessRequestView> {
    return this.accessRequests.decide(callerAs(context, 'vendor'), request.id, 'rejected', request.reason);
  }

  @RpcHandler(OrderingSubjects.listAccessRequests)
  listAccess(request: ListAccessRequestsRequest, context: RpcContext): Promise<AccessRequestPage> {
    return this.accessRequests.list(callerAs(context, 'buyer', 'vendor'), request);
  }
}
