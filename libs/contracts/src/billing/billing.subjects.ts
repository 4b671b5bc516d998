import { rpcSubject } from '../subject';
import {
  ApprovePayoutRequest,
  CancelSubscriptionRequest,
  CancelPayoutRequest,
  CancelTopUpRequest,
  ConfirmTopUpRequest,
  GetInvoiceRequest,
  GetPayoutRequest,
  GetSubscriptionRequest,
  GetTopUpRequest,
  GetVendorBalanceRequest,
  GetVendorStatementRequest,
  GetBuyerWalletRequest,
  GetWalletRequest,
  ListInvoicesRequest,
  ListSubscriptionsRequest,
  ListPayoutsRequest,
  ListTopUpsRequest,
  RecordTopUpRequest,
  RejectPayoutRequest,
  RejectTopUpRequest,
  RenewSubscriptionsRequest,
  RequestPayoutRequest,
  ResumeSubscriptionRequest,
  SalesStatsRequest,
  TrialBalanceRequest,
  type InvoicePage,
  type InvoiceView,
  type PayoutPage,
  type PayoutView,
  type RenewalRunView,
  type SalesStatsView,
  type SubscriptionPage,
  type SubscriptionView,
  type TopUpPage,
  type TopUpView,
  type TrialBalanceView,
  type VendorBalanceView,
  type VendorStatementView,
  type WalletView,
} from './billing.messages';

const COMMAND = { command: true };

/**
 * Billing's request subjects. The caller travels in the headers; billing scopes every read to
 * the caller's organization (another buyer's wallet or invoice is NOT_FOUND).
 */
export const BillingSubjects = {
  recordTopUp: rpcSubject<RecordTopUpRequest, TopUpView>('billing.top-up.record', RecordTopUpRequest, COMMAND),
  confirmTopUp: rpcSubject<ConfirmTopUpRequest, TopUpView>('billing.top-up.confirm', ConfirmTopUpRequest, COMMAND),
  cancelTopUp: rpcSubject<CancelTopUpRequest, TopUpView>('billing.top-up.cancel', CancelTopUpRequest, COMMAND),
  rejectTopUp: rpcSubject<RejectTopUpRequest, TopUpView>('billing.top-up.reject', RejectTopUpRequest, COMMAND),
  getTopUp: rpcSubject<GetTopUpRequest, TopUpView>('billing.top-up.get', GetTopUpRequest),
  /** A buyer's own top-ups, newest first; an operator's list of everyone's, oldest first. */
  listTopUps: rpcSubject<ListTopUpsRequest, TopUpPage>('billing.top-up.list', ListTopUpsRequest),
  getWallet: rpcSubject<GetWalletRequest, WalletView>('billing.wallet.get', GetWalletRequest),
  getBuyerWallet: rpcSubject<GetBuyerWalletRequest, WalletView>('billing.wallet.get-for-buyer', GetBuyerWalletRequest),
  getVendorBalance: rpcSubject<GetVendorBalanceRequest, VendorBalanceView>('billing.balance.get', GetVendorBalanceRequest),
  /** A vendor's account statement (对账单): what moved its payable between two moments. */
  getVendorStatement: rpcSubject<GetVendorStatementRequest, VendorStatementView>('billing.balance.statement', GetVendorStatementRequest),
  requestPayout: rpcSubject<RequestPayoutRequest, PayoutView>('billing.payout.request', RequestPayoutRequest, COMMAND),
  approvePayout: rpcSubject<ApprovePayoutRequest, PayoutView>('billing.payout.approve', ApprovePayoutRequest, COMMAND),
  cancelPayout: rpcSubject<CancelPayoutRequest, PayoutView>('billing.payout.cancel', CancelPayoutRequest, COMMAND),
  rejectPayout: rpcSubject<RejectPayoutRequest, PayoutView>('billing.payout.reject', RejectPayoutRequest, COMMAND),
  getPayout: rpcSubject<GetPayoutRequest, PayoutView>('billing.payout.get', GetPayoutRequest),
  /** A vendor's own payouts, newest first; an operator's list of every vendor's, oldest first. */
  listPayouts: rpcSubject<ListPayoutsRequest, PayoutPage>('billing.payout.list', ListPayoutsRequest),
  listInvoices: rpcSubject<ListInvoicesRequest, InvoicePage>('billing.invoice.list', ListInvoicesRequest),
  getInvoice: rpcSubject<GetInvoiceRequest, InvoiceView>('billing.invoice.get', GetInvoiceRequest),
  trialBalance: rpcSubject<TrialBalanceRequest, TrialBalanceView>('billing.ledger.trial-balance', TrialBalanceRequest),
  /** For `GET /v1/admin/stats`: captured sales per currency. */
  salesStats: rpcSubject<SalesStatsRequest, SalesStatsView>('billing.stats.sales', SalesStatsRequest),
  renewSubscriptions: rpcSubject<RenewSubscriptionsRequest, RenewalRunView>('billing.subscription.renew-due', RenewSubscriptionsRequest, COMMAND),
  /** A buyer's subscriptions (its own), or an operator's view of every one. */
  listSubscriptions: rpcSubject<ListSubscriptionsRequest, SubscriptionPage>('billing.subscription.list', ListSubscriptionsRequest),
  getSubscription: rpcSubject<GetSubscriptionRequest, SubscriptionView>('billing.subscription.get', GetSubscriptionRequest),
  /** The buyer stops renewal at the end of the paid period. */
  cancelSubscription: rpcSubject<CancelSubscriptionRequest, SubscriptionView>('billing.subscription.cancel', CancelSubscriptionRequest, COMMAND),
  /** The buyer takes its cancellation back before the paid period ends. */
  resumeSubscription: rpcSubject<ResumeSubscriptionRequest, SubscriptionView>('billing.subscription.resume', ResumeSubscriptionRequest, COMMAND),
};
