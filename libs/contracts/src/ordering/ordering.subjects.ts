import { rpcSubject } from '../subject';
import {
  CreateAccessRequestRequest,
  DecideAccessRequestRequest,
  GetOrderRequest,
  ListAccessRequestsRequest,
  ListOrdersRequest,
  ListSalesRequest,
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
} from './ordering.messages';

const COMMAND = { command: true };

/**
 * Ordering's request subjects. The caller travels in the headers: a buyer sees its own orders
 * and receipts only (another buyer's are NOT_FOUND), a vendor its own sales and access requests.
 */
export const OrderingSubjects = {
  placeOrder: rpcSubject<PlaceOrderRequest, OrderView>('ordering.order.place', PlaceOrderRequest, COMMAND),
  getOrder: rpcSubject<GetOrderRequest, OrderView>('ordering.order.get', GetOrderRequest),
  listOrders: rpcSubject<ListOrdersRequest, OrderPage>('ordering.order.list', ListOrdersRequest),
  getReceipt: rpcSubject<GetOrderRequest, LicenseReceiptView>('ordering.receipt.get', GetOrderRequest),
  refundOrder: rpcSubject<RefundOrderRequest, OrderView>('ordering.order.refund', RefundOrderRequest, COMMAND),
  listSales: rpcSubject<ListSalesRequest, SalePage>('ordering.sale.list', ListSalesRequest),
  createAccessRequest: rpcSubject<CreateAccessRequestRequest, AccessRequestView>('ordering.access-request.create', CreateAccessRequestRequest, COMMAND),
  approveAccessRequest: rpcSubject<DecideAccessRequestRequest, AccessRequestView>('ordering.access-request.approve', DecideAccessRequestRequest, COMMAND),
  rejectAccessRequest: rpcSubject<RejectAccessRequestRequest, AccessRequestView>('ordering.access-request.reject', RejectAccessRequestRequest, COMMAND),
  listAccessRequests: rpcSubject<ListAccessRequestsRequest, AccessRequestPage>('ordering.access-request.list', ListAccessRequestsRequest),
  /** For `GET /v1/admin/stats`: orders by status, and the access requests vendors leave waiting. */
  orderStats: rpcSubject<OrderStatsRequest, OrderStatsView>('ordering.stats.orders', OrderStatsRequest),
};
