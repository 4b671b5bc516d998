import { Transform, Type } from 'class-transformer';
import { IsDefined, IsIn, IsOptional, IsString, IsUUID, Length, Matches, ValidateNested } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CURRENCY_CODES, type BillingPeriod, type CurrencyCode, type MoneyValue } from '@trove/licensing';
import { DisplayText } from '../display-text';
import { PageRequest } from '../page-request';
import { TransferMoney, type LedgerMoney, type LedgerSum } from './billing.limits';
import { IsStatementBound, restoreOffsetPlus } from './statement-period';
import { TransferReference } from './transfer-reference';

// The limits travel with the messages they bound (the package index exports this file).
export * from './billing.limits';
export * from './statement-period';

/** The kinds of ledger account. Wallets and payables belong to an organization; the rest to the platform. */
export const ACCOUNT_TYPES = ['wallet', 'vendor_payable', 'platform_revenue', 'tax_payable', 'bank_clearing'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/**
 * `pending` until an operator confirms the transfer arrived (`confirmed`) or rejects it
 * (`rejected`, with a reason), or its buyer withdraws it (`cancelled`). Only `confirmed` moves
 * money.
 */
export const TOP_UP_STATUSES = ['pending', 'confirmed', 'cancelled', 'rejected'] as const;
export type TopUpStatus = (typeof TOP_UP_STATUSES)[number];

/**
 * `pending` until an operator approves it (`paid`) or rejects it (`rejected`), or its vendor
 * withdraws it (`cancelled`). Only `paid` moves money.
 */
export const PAYOUT_STATUSES = ['pending', 'paid', 'cancelled', 'rejected'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

// ---------------------------------------------------------------- wallets and top-ups

/** A bank transfer the buyer announces; the operator confirms it once the money is in. */
export class RecordTopUpRequest {
  @ApiProperty({ type: TransferMoney, description: 'The amount transferred: integer minor units, at least 1 and at most 100,000,000,000 (1,000,000,000.00 CNY)' })
  @IsDefined()
  @ValidateNested()
  @Type(() => TransferMoney)
  amount: TransferMoney;

  @ApiProperty({
    description: 'The bank transfer reference (附言 / 流水号) of one transfer: a reference naming two bank serials (two transfers, or a contract number beside the serial) is refused. Control, format and other invisible characters (line breaks, zero-width spaces, soft hyphens, byte order marks, bidirectional controls) are refused',
    example: 'CMB-20261130-0042',
    minLength: 1,
    maxLength: 64,
  })
  @IsString()
  @Length(1, 64)
  @TransferReference()
  reference: string;
}

export class ConfirmTopUpRequest {
  @IsUUID()
  topUpId: string;
}

/** The buyer withdraws its own pending top-up. */
export class CancelTopUpRequest extends ConfirmTopUpRequest {}

/** One top-up: its buyer's own, or any for an operator. */
export class GetTopUpRequest extends ConfirmTopUpRequest {}

/**
 * An operator refuses a pending top-up (the money never arrived, say); the buyer reads the
 * reason, so it is prose another party reads (line breaks and tabs are fine; other controls and
 * bidirectional overrides are not, as in an access request's rejection).
 */
export class RejectTopUpRequest extends ConfirmTopUpRequest {
  @ApiProperty({
    description:
      'Why the top-up is refused, shown to its buyer (as `rejectionReason`): 1 to 2,000 characters, not white space alone; line breaks and tabs are fine, other control characters and bidirectional embeddings, overrides or isolates are 400',
    example: '招商银行对账单上没有这笔转账，请核对流水号后重新提交',
    minLength: 1,
    maxLength: 2000,
  })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'reason must say why, not be white space alone' })
  @DisplayText('prose')
  reason: string;
}

export class GetWalletRequest {
  @ApiPropertyOptional({ enum: CURRENCY_CODES, description: 'Which wallet `balance` shows; CNY when absent' })
  @IsOptional()
  @IsIn(CURRENCY_CODES)
  currency?: CurrencyCode;
}

/** An operator reads one buyer's wallets (`GET /v1/admin/organizations/:id/wallet`). */
export class GetBuyerWalletRequest extends GetWalletRequest {
  @IsUUID()
  buyerOrganizationId: string;
}

export interface TopUpView {
  id: string;
  /** The buyer organization whose wallet it credits: what an operator matches a transfer to. */
  organizationId: string;
  status: TopUpStatus;
  amount: MoneyValue;
  reference: string;
  createdAt: string;
  confirmedAt: string | null;
  cancelledAt: string | null;
  rejectedAt: string | null;
  /** Why an operator rejected it; null unless `rejected`. */
  rejectionReason: string | null;
}

/**
 * A page of top-ups: a buyer's own, newest first (`GET /v1/wallet/top-ups`), or every
 * organization's for an operator, oldest first (`GET /v1/admin/top-ups`), the order a queue of
 * transfers to check is worked through. `organization` narrows an operator's list; a buyer's is
 * its own organization's whatever it names.
 */
export class ListTopUpsRequest extends PageRequest {
  @IsOptional()
  @IsIn(TOP_UP_STATUSES)
  status?: TopUpStatus;

  @IsOptional()
  @IsUUID()
  organization?: string;
}

export interface TopUpPage {
  items: TopUpView[];
  nextCursor: string | null;
}

export interface WalletView {
  /** The wallet of the currency asked for (CNY by default). */
  balance: LedgerMoney;
  /** Every wallet the organization has, one per currency. */
  balances: LedgerMoney[];
}

// ---------------------------------------------------------------- vendors: balance and payouts

export class GetVendorBalanceRequest extends GetWalletRequest {}

export interface VendorBalanceView {
  /** What the platform owes the vendor after commission, in the currency asked for (CNY by default); below zero when the vendor owes the platform. */
  balance: LedgerMoney;
  balances: LedgerMoney[];
}

/**
 * The period of a vendor's account statement (对账单): `from` (inclusive) to `to` (exclusive), each
 * an ISO 8601 date-time with its offset, `from` before `to`, at most 366 days apart.
 */
export class StatementPeriodRequest {
  @ApiProperty({ example: '2027-01-01T00:00:00+08:00', description: 'The start of the period (inclusive): an ISO 8601 date-time with its offset' })
  @Transform(restoreOffsetPlus)
  @IsStatementBound()
  from: string;

  @ApiProperty({ example: '2027-02-01T00:00:00+08:00', description: 'The end of the period (exclusive), after `from` and at most 366 days after it: an ISO 8601 date-time with its offset' })
  @Transform(restoreOffsetPlus)
  @IsStatementBound()
  to: string;

  @ApiPropertyOptional({ enum: CURRENCY_CODES, description: 'The currency of the payable the statement reads; CNY when left out' })
  @IsOptional()
  @IsIn(CURRENCY_CODES)
  currency?: CurrencyCode;
}

/**
 * A vendor's account statement for a period: the calling vendor's own, or, asked by an operator,
 * the one of the vendor `vendorOrganizationId` names (required then, refused from a vendor).
 */
export class GetVendorStatementRequest extends StatementPeriodRequest {
  @IsOptional()
  @IsUUID()
  vendorOrganizationId?: string;
}

/**
 * What moved the vendor's payable in a period, from its postings: `opening + sales - commission -
 * refunds - payouts = closing`, every figure exact (`LedgerSum`).
 */
export interface VendorStatementView {
  currency: CurrencyCode;
  /** The period as billing read it, ISO 8601 in UTC. */
  from: string;
  to: string;
  /** The balance at `from`: the payable's postings of entries made before it. */
  opening: LedgerMoney;
  /** The gross of the vendor's lines charged in the period (purchases and renewals), VAT included. */
  sales: LedgerMoney;
  /** What the platform withheld on those lines. */
  commission: LedgerMoney;
  /** What refunds in the period took back from the payable (the vendor's share of the charges they reverse). */
  refunds: LedgerMoney;
  /** Payouts approved in the period. */
  payouts: LedgerMoney;
  /** The balance at `to`. */
  closing: LedgerMoney;
  /** How many journal entries of the period posted to the payable. */
  entries: number;
}

/**
 * The bank account a payout is paid to, as the vendor writes it on the request and the operator
 * who pays it reads it: the payee's name, the bank (and branch), the account number, and for a
 * transfer abroad the bank's SWIFT/BIC code. Names are display text; the number and the code are
 * checked for their shape only, not against a bank.
 */
export class PayoutDestination {
  @ApiProperty({ description: 'The payee, as the bank knows the account (收款户名): 1 to 200 characters of display text', example: '北京海天瑞声科技股份有限公司', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'accountName must name the payee, not be white space alone' })
  @DisplayText()
  accountName: string;

  @ApiProperty({ description: 'The bank and branch that keep the account (开户行): 1 to 200 characters of display text', example: '招商银行股份有限公司北京分行', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'bankName must name the bank, not be white space alone' })
  @DisplayText()
  bankName: string;

  @ApiProperty({
    description: 'The account number (账号) or IBAN: 6 to 34 digits and capital letters, no spaces or dashes',
    example: '110902938710601',
    pattern: '^[0-9A-Z]{6,34}$',
  })
  @IsString()
  @Matches(/^[0-9A-Z]{6,34}$/, { message: 'accountNumber must be 6 to 34 digits or capital letters, without spaces or dashes' })
  accountNumber: string;

  @ApiPropertyOptional({ description: "The bank's SWIFT/BIC code, for a payout to an account outside mainland China: 8 or 11 characters", example: 'CMBCCNBS', pattern: '^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/, { message: 'swift must be a SWIFT/BIC code of 8 or 11 capital letters and digits' })
  swift?: string;
}

/** A payout's bank account as it was asked for. */
export interface PayoutDestinationValue {
  accountName: string;
  bankName: string;
  accountNumber: string;
  swift?: string;
}

export class RequestPayoutRequest {
  @ApiProperty({ type: TransferMoney, description: 'The amount to withdraw: integer minor units, at least 1 and at most 100,000,000,000 (1,000,000,000.00 CNY)' })
  @IsDefined()
  @ValidateNested()
  @Type(() => TransferMoney)
  amount: TransferMoney;

  @ApiPropertyOptional({
    type: PayoutDestination,
    description:
      'The bank account to pay to, kept with the payout for the operator who pays it. Without it, the operator pays to the account the vendor gave the platform when it was approved.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => PayoutDestination)
  destination?: PayoutDestination;
}

export class ApprovePayoutRequest {
  @IsUUID()
  payoutId: string;
}

/** The vendor withdraws its own pending payout. */
export class CancelPayoutRequest extends ApprovePayoutRequest {}

/** One payout: its vendor's own, or any for an operator. */
export class GetPayoutRequest extends ApprovePayoutRequest {}

/** An operator refuses a pending payout; the vendor reads the reason, prose held as a top-up's rejection is. */
export class RejectPayoutRequest extends ApprovePayoutRequest {
  @ApiProperty({
    description:
      'Why the payout is refused, shown to its vendor (as `rejectionReason`): 1 to 2,000 characters, not white space alone; line breaks and tabs are fine, other control characters and bidirectional embeddings, overrides or isolates are 400',
    example: '收款账户名称与营业执照不符，请更新后重新申请',
    minLength: 1,
    maxLength: 2000,
  })
  @IsString()
  @Length(1, 2000)
  @Matches(/\S/, { message: 'reason must say why, not be white space alone' })
  @DisplayText('prose')
  reason: string;
}

export interface PayoutView {
  id: string;
  vendorOrganizationId: string;
  status: PayoutStatus;
  amount: MoneyValue;
  requestedAt: string;
  paidAt: string | null;
  cancelledAt: string | null;
  rejectedAt: string | null;
  /** Why an operator rejected it; null unless `rejected`. */
  rejectionReason: string | null;
  /** The bank account it is to be paid to; null when the request named none. */
  destination: PayoutDestinationValue | null;
  /**
   * Whether an earlier payout of the vendor was paid to the same account (payee, bank, number and SWIFT): false asks the
   * operator to check the account belongs to the vendor before paying. Null without a destination.
   */
  destinationPaidBefore: boolean | null;
}

/**
 * A page of payouts: a vendor's own, newest first (`GET /v1/payouts`), or every vendor's for an
 * operator, oldest first (`GET /v1/admin/payouts`). `organization` narrows an operator's list.
 */
export class ListPayoutsRequest extends PageRequest {
  @IsOptional()
  @IsIn(PAYOUT_STATUSES)
  status?: PayoutStatus;

  @IsOptional()
  @IsUUID()
  organization?: string;
}

export interface PayoutPage {
  items: PayoutView[];
  nextCursor: string | null;
}

// ---------------------------------------------------------------- invoices

/**
 * The documents `GET /v1/invoices` lists: invoices, and the credit notes (红字发票) that cancel an
 * invoice when its charge is refunded.
 */
export const INVOICE_KINDS = ['invoice', 'credit_note'] as const;
export type InvoiceKind = (typeof INVOICE_KINDS)[number];

export class ListInvoicesRequest extends PageRequest {
  /** Only invoices, or only credit notes; both when absent. */
  @IsOptional()
  @IsIn(INVOICE_KINDS)
  kind?: InvoiceKind;
}

export class GetInvoiceRequest {
  @IsUUID()
  invoiceId: string;
}

export interface InvoiceLineView {
  lineId: string;
  offerId: string;
  datasetId: string;
  vendorOrganizationId: string;
  /**
   * What the line sold, as a fapiao lists it: the license, how it was priced, how many units at
   * what price (an invoice's net + tax = quantity x unitPrice; a credit note repeats its invoice's
   * item with the amounts turned). Absent on invoices issued before these fields.
   */
  item?: InvoiceItemView;
  net: MoneyValue;
  tax: MoneyValue;
  gross: MoneyValue;
}

export interface InvoiceItemView {
  /** The listing sold, by its title when the order was placed (orders placed before it: none). */
  datasetTitle?: string;
  licenseTemplate?: string;
  pricingModel: string;
  /** A subscription's period (`month`, `quarter`, `year`). */
  period?: string;
  /**
   * A subscription line's: the period this charge pays for, from `periodStart` (inclusive) to
   * `periodEnd` (exclusive), UTC ISO 8601; the last one of a term ends with the license.
   * Absent on other lines, and on invoices issued before these fields.
   */
  periodStart?: string;
  periodEnd?: string;
  /** A metered line's unit (`hour`, `image`, ...). */
  unit?: string;
  /** Units bought: a metered line's quantity, 1 otherwise. */
  quantity: number;
  /** The price of one unit, VAT included. */
  unitPrice: MoneyValue;
}

/**
 * An invoice, or a credit note. A credit note cancels one invoice: the same lines and amounts
 * with the sign turned (net, tax and gross below zero, net + tax = gross still), so the
 * documents of an order add up to what the buyer was finally billed.
 */
export interface InvoiceView {
  id: string;
  kind: InvoiceKind;
  /**
   * Gapless per year, each kind in its own series: `<year>-<six digits>` for invoices,
   * `CN-<year>-<six digits>` for credit notes; null for the moment before numbering.
   */
  number: string | null;
  orderId: string;
  buyerOrganizationId: string;
  lines: InvoiceLineView[];
  net: MoneyValue;
  tax: MoneyValue;
  gross: MoneyValue;
  /** The VAT rate, in basis points (600 is 6 %). */
  taxRateBp: number;
  issuedAt: string;
  /** A credit note: the number of the invoice it cancels; null on an invoice. */
  creditsInvoice: string | null;
  /** A credit note: the id of the invoice it cancels; null on an invoice. */
  creditsInvoiceId: string | null;
  /** An invoice cancelled by a refund: its credit note's id; null otherwise, and on a credit note. */
  creditNoteId: string | null;
}

export interface InvoicePage {
  items: InvoiceView[];
  nextCursor: string | null;
}

// ---------------------------------------------------------------- operators

/** (A request class needs one rule at least: the validator refuses objects of a class without any.) */
export class TrialBalanceRequest {
  /** Only this currency's accounts; every currency when absent. */
  @IsOptional()
  @IsIn(CURRENCY_CODES)
  currency?: CurrencyCode;
}

export interface TrialBalanceRow {
  type: AccountType;
  currency: CurrencyCode;
  /** Sum of debits, positive minor units. */
  debit: LedgerSum;
  /** Sum of credits, positive minor units. */
  credit: LedgerSum;
  /** debit - credit: positive for the bank, negative for what the platform owes. */
  net: LedgerSum;
}

export interface TrialBalanceView {
  accounts: TrialBalanceRow[];
  /** debit - credit per currency: zero in a balanced ledger. */
  totals: { currency: CurrencyCode; total: LedgerSum }[];
  /** The sum of every posting: zero in a balanced ledger. */
  total: LedgerSum;
}

export class SalesStatsRequest {
  /** Only this currency; every currency when absent. */
  @IsOptional()
  @IsIn(CURRENCY_CODES)
  currency?: CurrencyCode;
}

export interface SalesPerCurrency {
  currency: CurrencyCode;
  /** Captured payments, refunds not taken off. */
  gross: LedgerSum;
  refunded: LedgerSum;
  /** gross - refunded. */
  net: LedgerSum;
  payments: number;
  refunds: number;
}

export interface SalesStatsView {
  salesPerCurrency: SalesPerCurrency[];
}

/** Operators: renew every subscription due at the billing clock's now (only one order's, when given). */
export class RenewSubscriptionsRequest {
  @IsOptional()
  @IsUUID()
  orderId?: string;
}

export interface RenewalRunView {
  renewed: number;
  lapsed: number;
}

// ---------------------------------------------------------------- subscriptions

/**
 * `active` while it renews, or runs to the end of its paid period after its buyer cancelled it
 * (`cancelAtPeriodEnd`); `lapsed` once a period ended without a charge (`lapseReason` says why);
 * `refunded` when an operator refunded its order. Only `active` changes; the others are ends.
 */
export const SUBSCRIPTION_STATUSES = ['active', 'lapsed', 'refunded'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * Why a subscription stopped renewing at the end of a paid period: `term_ended` when its license's
 * term is over (the entitlement ends with it), `buyer_suspended` when an operator suspended the
 * buying organization, `dataset_suspended` when an operator suspended the listing and
 * `dataset_withdrawn` when its vendor took it off sale.
 */
export const SUBSCRIPTION_LAPSE_REASONS = [
  'cancelled_by_buyer',
  'insufficient_funds',
  'offer_withdrawn',
  'vendor_suspended',
  'dataset_suspended',
  'dataset_withdrawn',
  'term_ended',
  'buyer_suspended',
] as const;
export type SubscriptionLapseReason = (typeof SUBSCRIPTION_LAPSE_REASONS)[number];

/** A buyer's own subscriptions, newest first; an operator's view is every one (`organizationId` narrows it). */
export class ListSubscriptionsRequest extends PageRequest {
  @IsOptional()
  @IsIn(SUBSCRIPTION_STATUSES)
  status?: SubscriptionStatus;

  /** Operators only: one buying organization's. A buyer always sees its own alone. */
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export class GetSubscriptionRequest {
  @IsUUID()
  subscriptionId: string;
}

/** The buyer stops renewal at the end of the period it paid for. */
export class CancelSubscriptionRequest extends GetSubscriptionRequest {}

/** The buyer takes its cancellation back before the paid period ends: renewals go on. */
export class ResumeSubscriptionRequest extends GetSubscriptionRequest {}

export interface SubscriptionView {
  id: string;
  orderId: string;
  lineId: string;
  buyerOrganizationId: string;
  vendorOrganizationId: string;
  datasetId: string;
  offerId: string;
  /** What each period costs. */
  price: MoneyValue;
  period: BillingPeriod;
  status: SubscriptionStatus;
  /** The start of the first period: when the order was paid. */
  subscribedAt: string;
  /** The period paid last: from its start (inclusive) to its end (exclusive). */
  currentPeriodStart: string;
  currentPeriodEnd: string;
  /**
   * When the next period is charged (the end of the current one); null when none will be:
   * cancelled, lapsed or refunded, or the license's term ends with the current period.
   */
  nextChargeAt: string | null;
  /** The buyer cancelled: no further charge, and the subscription lapses at `currentPeriodEnd`. */
  cancelAtPeriodEnd: boolean;
  /** When the buyer cancelled; null unless it did (and did not resume since). */
  cancelledAt: string | null;
  /** Why it lapsed; null unless `lapsed`. */
  lapseReason: SubscriptionLapseReason | null;
  /** How many periods were charged after the first. */
  renewals: number;
}

export interface SubscriptionPage {
  items: SubscriptionView[];
  nextCursor: string | null;
}
