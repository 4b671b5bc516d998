import {
  ApprovePayoutRequest,
  BillingSubjects,
  CancelPayoutRequest,
  CancelTopUpRequest,
  ConfirmTopUpRequest,
  GetInvoiceRequest,
  GetPayoutRequest,
  GetTopUpRequest,
  GetVendorBalanceRequest,
  GetVendorStatementRequest,
  GetBuyerWalletRequest,
  GetWalletRequest,
  ListInvoicesRequest,
  ListPayoutsRequest,
  ListTopUpsRequest,
  RecordTopUpRequest,
  RejectPayoutRequest,
  RejectTopUpRequest,
  RequestPayoutRequest,
  RenewSubscriptionsRequest,
  SalesStatsRequest,
  TrialBalanceRequest,
  type InvoicePage,
  type InvoiceView,
  type PayoutPage,
  type PayoutView,
  type RenewalRunView,
  type SalesStatsView,
  type TopUpPage,
  type TopUpView,
  type TrialBalanceView,
  type VendorBalanceView,
  type VendorStatementView,
  type WalletView,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { RpcHandler, type RpcContext } from '@trove/messaging';
import { callerAs } from './access';
import { InvoicesService } from './invoices/invoices.service';
import { SubscriptionsService } from './subscriptions/subscriptions.service';
import { WalletsService } from './wallets/wallets.service';

/** Billing's request subjects; each checks the caller's role again and scopes to its organization. */
@Injectable()
export class BillingHandler {
  constructor(
    private readonly wallets: WalletsService,
    private readonly invoices: InvoicesService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  @RpcHandler(BillingSubjects.recordTopUp)
  recordTopUp(request: RecordTopUpRequest, context: RpcContext): Promise<TopUpView> {
    return this.wallets.recordTopUp(callerAs(context, 'buyer'), request);
  }

  @RpcHandler(BillingSubjects.confirmTopUp)
  confirmTopUp(request: ConfirmTopUpRequest, context: RpcContext): Promise<TopUpView> {
    callerAs(context, 'admin');
    return this.wallets.confirmTopUp(request.topUpId);
  }

  @RpcHandler(BillingSubjects.cancelTopUp)
  cancelTopUp(request: CancelTopUpRequest, context: RpcContext): Promise<TopUpView> {
    return this.wallets.cancelTopUp(callerAs(context, 'buyer'), request.topUpId);
  }

  @RpcHandler(BillingSubjects.rejectTopUp)
  rejectTopUp(request: RejectTopUpRequest, context: RpcContext): Promise<TopUpView> {
    callerAs(context, 'admin');
    return this.wallets.rejectTopUp(request.topUpId, request.reason);
  }

  @RpcHandler(BillingSubjects.getTopUp)
  topUp(request: GetTopUpRequest, context: RpcContext): Promise<TopUpView> {
    return this.wallets.topUp(callerAs(context, 'buyer', 'admin'), request.topUpId);
  }

  @RpcHandler(BillingSubjects.listTopUps)
  listTopUps(request: ListTopUpsRequest, context: RpcContext): Promise<TopUpPage> {
    return this.wallets.listTopUps(callerAs(context, 'buyer', 'admin'), request);
  }

  @RpcHandler(BillingSubjects.getWallet)
  wallet(request: GetWalletRequest, context: RpcContext): Promise<WalletView> {
    return this.wallets.wallet(callerAs(context, 'buyer'), request.currency);
  }

  @RpcHandler(BillingSubjects.getBuyerWallet)
  buyerWallet(request: GetBuyerWalletRequest, context: RpcContext): Promise<WalletView> {
    callerAs(context, 'admin');
    return this.wallets.walletOf(request.buyerOrganizationId, request.currency);
  }

  @RpcHandler(BillingSubjects.getVendorBalance)
  balance(request: GetVendorBalanceRequest, context: RpcContext): Promise<VendorBalanceView> {
    return this.wallets.vendorBalance(callerAs(context, 'vendor'), request.currency);
  }

  @RpcHandler(BillingSubjects.getVendorStatement)
  statement(request: GetVendorStatementRequest, context: RpcContext): Promise<VendorStatementView> {
    return this.wallets.vendorStatement(callerAs(context, 'vendor', 'admin'), request);
  }

  @RpcHandler(BillingSubjects.requestPayout)
  requestPayout(request: RequestPayoutRequest, context: RpcContext): Promise<PayoutView> {
    return this.wallets.requestPayout(callerAs(context, 'vendor'), request);
  }

  @RpcHandler(BillingSubjects.approvePayout)
  approvePayout(request: ApprovePayoutRequest, context: RpcContext): Promise<PayoutView> {
    callerAs(context, 'admin');
    return this.wallets.approvePayout(request.payoutId);
  }

  @RpcHandler(BillingSubjects.cancelPayout)
  cancelPayout(request: CancelPayoutRequest, context: RpcContext): Promise<PayoutView> {
    return this.wallets.cancelPayout(callerAs(context, 'vendor'), request.payoutId);
  }

  @RpcHandler(BillingSubjects.rejectPayout)
  rejectPayout(request: RejectPayoutRequest, context: RpcContext): Promise<PayoutView> {
    callerAs(context, 'admin');
    return this.wallets.rejectPayout(request.payoutId, request.reason);
  }

  @RpcHandler(BillingSubjects.getPayout)
  payout(request: GetPayoutRequest, context: RpcContext): Promise<PayoutView> {
    return this.wallets.payout(callerAs(context, 'vendor', 'admin'), request.payoutId);
  }

  @RpcHandler(BillingSubjects.listPayouts)
  listPayouts(request: ListPayoutsRequest, context: RpcContext): Promise<PayoutPage> {
    return this.wallets.listPayouts(callerAs(context, 'vendor', 'admin'), request);
  }

  @RpcHandler(BillingSubjects.listInvoices)
  listInvoices(request: ListInvoicesRequest, context: RpcContext): Promise<InvoicePage> {
    return this.invoices.list(callerAs(context, 'buyer', 'admin'), request);
  }

  @RpcHandler(BillingSubjects.getInvoice)
  getInvoice(request: GetInvoiceRequest, context: RpcContext): Promise<InvoiceView> {
    return this.invoices.get(callerAs(context, 'buyer', 'admin'), request.invoiceId);
  }

  @RpcHandler(BillingSubjects.trialBalance)
  trialBalance(request: TrialBalanceRequest, context: RpcContext): Promise<TrialBalanceView> {
    callerAs(context, 'admin');
    return this.wallets.trialBalance(request.currency);
  }

  @RpcHandler(BillingSubjects.salesStats)
  salesStats(request: SalesStatsRequest, context: RpcContext): Promise<SalesStatsView> {
    callerAs(context, 'admin');
    return this.wallets.salesStats(request.currency);
  }

  @RpcHandler(BillingSubjects.renewSubscriptions)
  renewSubscriptions(request: RenewSubscriptionsRequest, context: RpcContext): Promise<RenewalRunView> {
    callerAs(context, 'admin');
    return this.subscriptions.renewDueForOperator(request.orderId);
  }
}
