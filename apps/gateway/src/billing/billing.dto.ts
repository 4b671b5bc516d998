import {
  ACCOUNT_TYPES,
  INVOICE_KINDS,
  PAYOUT_STATUSES,
  RecordTopUpRequest,
  RejectPayoutRequest,
  RejectTopUpRequest,
  PayoutDestination,
  RequestPayoutRequest,
  SUBSCRIPTION_LAPSE_REASONS,
  SUBSCRIPTION_STATUSES,
  StatementPeriodRequest,
  TOP_UP_STATUSES,
  type AccountType,
  type InvoiceKind,
  type PayoutStatus,
  type SubscriptionLapseReason,
  type SubscriptionStatus,
  type TopUpStatus,
} from '@trove/contracts';
import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { BILLING_PERIODS, CURRENCY_CODES, Money, type BillingPeriod, type CurrencyCode } from '@trove/licensing';
import { PageQuery } from '@trove/platform';
import { PageOf } from '../openapi/page.dto';

export class TopUpInputDto extends RecordTopUpRequest {}

export class PayoutInputDto extends RequestPayoutRequest {}

/** The body of `POST /v1/admin/top-ups/:id/reject`: the reason alone (the id is in the path). */
export class RejectTopUpDto extends PickType(RejectTopUpRequest, ['reason'] as const) {}

/** The body of `POST /v1/admin/payouts/:id/reject`: the reason alone (the id is in the path). */
export class RejectPayoutDto extends PickType(RejectPayoutRequest, ['reason'] as const) {}

export class CurrencyQuery {
  @ApiPropertyOptional({ enum: CURRENCY_CODES, description: 'Which currency `balance` shows; CNY when left out' })
  @IsOptional()
  @IsIn(CURRENCY_CODES)
  currency?: CurrencyCode;
}

/** `GET /v1/balance/statement`: the period, `from` (inclusive) to `to` (exclusive), and the currency, held to the contract's rules. */
export class StatementQuery extends StatementPeriodRequest {}

export class InvoicesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: INVOICE_KINDS, description: 'Only invoices, or only credit notes (红字发票); both when left out' })
  @IsOptional()
  @IsIn(INVOICE_KINDS)
  kind?: InvoiceKind;
}

export class TopUpsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TOP_UP_STATUSES, description: 'Only top-ups of this status (`pending`: those awaiting an operator); every status when left out' })
  @IsOptional()
  @IsIn(TOP_UP_STATUSES)
  status?: TopUpStatus;
}

export class AdminTopUpsQuery extends TopUpsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this buying organization's top-ups; every organization's when left out" })
  @IsOptional()
  @IsUUID()
  organization?: string;
}

export class PayoutsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PAYOUT_STATUSES, description: 'Only payouts of this status (`pending`: those awaiting an operator); every status when left out' })
  @IsOptional()
  @IsIn(PAYOUT_STATUSES)
  status?: PayoutStatus;
}

export class AdminPayoutsQuery extends PayoutsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this vendor organization's payouts; every vendor's when left out" })
  @IsOptional()
  @IsUUID()
  organization?: string;
}

export class TopUpDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'The buyer organization whose wallet it credits' })
  organizationId: string;

  @ApiProperty({
    enum: TOP_UP_STATUSES,
    description: '`pending` until an operator confirms the transfer arrived (`confirmed`) or rejects it (`rejected`), or its buyer cancels it (`cancelled`); only `confirmed` credited the wallet',
  })
  status: TopUpStatus;

  @ApiProperty({ type: Money })
  amount: Money;

  @ApiProperty({ example: 'CMB-20261130-0042' })
  reference: string;

  @ApiProperty()
  createdAt: string;

  @ApiProperty({ nullable: true, type: String })
  confirmedAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'When its buyer cancelled it' })
  cancelledAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'When an operator rejected it' })
  rejectedAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Why an operator rejected it (seen by its buyer and admins); null unless `rejected`' })
  rejectionReason: string | null;
}

export class TopUpPageDto extends PageOf(TopUpDto) {}

export class WalletDto {
  @ApiProperty({ type: Money, description: 'The wallet in the currency asked for (CNY by default)' })
  balance: Money;

  @ApiProperty({ type: [Money], description: 'Every wallet of the organization, one per currency' })
  balances: Money[];
}

export class VendorBalanceDto {
  @ApiProperty({ type: Money, description: 'What the platform owes the vendor after commission, in the currency asked for (CNY by default)' })
  balance: Money;

  @ApiProperty({ type: [Money] })
  balances: Money[];
}

/** A vendor's account statement (对账单): `opening + sales - commission - refunds - payouts = closing`. */
export class VendorStatementDto {
  @ApiProperty({ enum: CURRENCY_CODES })
  currency: CurrencyCode;

  @ApiProperty({ format: 'date-time', description: 'Start of the period (inclusive), in UTC' })
  from: string;

  @ApiProperty({ format: 'date-time', description: 'End of the period (exclusive), in UTC' })
  to: string;

  @ApiProperty({ type: Money, description: 'What the platform owed the vendor at `from`; below zero when the vendor owed the platform' })
  opening: Money;

  @ApiProperty({ type: Money, description: "The gross (VAT included) of the vendor's lines charged in the period: purchases and subscription renewals" })
  sales: Money;

  @ApiProperty({ type: Money, description: 'What the platform withheld from those sales as its commission' })
  commission: Money;

  @ApiProperty({ type: Money, description: "What refunds in the period took back from the vendor's payable: its share (after commission) of each charge they reverse" })
  refunds: Money;

  @ApiProperty({ type: Money, description: 'Payouts approved (paid) in the period' })
  payouts: Money;

  @ApiProperty({ type: Money, description: 'What the platform owed the vendor at `to`: opening + sales - commission - refunds - payouts' })
  closing: Money;

  @ApiProperty({ type: 'integer', minimum: 0, description: "How many journal entries of the period posted to the vendor's payable" })
  entries: number;
}

export class PayoutDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty({
    enum: PAYOUT_STATUSES,
    description: '`pending` until an operator approves it (`paid`) or rejects it (`rejected`), or its vendor cancels it (`cancelled`); only `paid` moved money',
  })
  status: PayoutStatus;

  @ApiProperty({ type: Money })
  amount: Money;

  @ApiProperty()
  requestedAt: string;

  @ApiProperty({ nullable: true, type: String })
  paidAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'When its vendor cancelled it' })
  cancelledAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'When an operator rejected it' })
  rejectedAt: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'Why an operator rejected it (seen by its vendor and admins); null unless `rejected`' })
  rejectionReason: string | null;

  @ApiProperty({
    nullable: true,
    type: PayoutDestination,
    description: 'The bank account to pay it to, as its vendor asked (seen by its vendor and admins); null when the request named none: the operator pays to the account the vendor gave the platform when it was approved',
  })
  destination: PayoutDestination | null;

  @ApiProperty({
    nullable: true,
    type: Boolean,
    description:
      'Whether an earlier payout of the same vendor was paid to the same account: payee, bank, account number and SWIFT code (names compared trimmed, NFKC-folded and case-insensitive). `false` is an account the vendor was never paid to: the operator checks it belongs to the vendor (its name against the vendor\'s registered name) before approving, since a leaked vendor key could ask for one. Null without a destination',
  })
  destinationPaidBefore: boolean | null;
}

export class PayoutPageDto extends PageOf(PayoutDto) {}

export class InvoiceItemDto {
  @ApiPropertyOptional({
    example: '1000小时普通话手机采集语音数据 / 1,000 h Mandarin Smartphone Speech',
    description: "The listing sold, by its title when the order was placed (absent on invoices of orders placed before it was recorded)",
  })
  datasetTitle?: string;

  @ApiPropertyOptional({ example: 'commercial', description: 'The license template sold (absent on renewals of subscriptions ordered before it was recorded)' })
  licenseTemplate?: string;

  @ApiProperty({ enum: ['one_time', 'subscription', 'metered', 'free'] })
  pricingModel: string;

  @ApiPropertyOptional({ enum: ['month', 'quarter', 'year'], description: "A subscription's period" })
  period?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2026-12-06T09:30:00.000Z',
    description: "A subscription line's: when the period this charge pays for starts (inclusive); absent on other lines and on invoices issued before it was recorded",
  })
  periodStart?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2027-01-06T09:30:00.000Z',
    description: "A subscription line's: when the period this charge pays for ends (exclusive); the last period of a term ends with the license",
  })
  periodEnd?: string;

  @ApiPropertyOptional({ example: 'hour', description: "A metered line's unit" })
  unit?: string;

  @ApiProperty({ type: 'integer', example: 200, description: "Units bought: a metered line's quantity, 1 otherwise" })
  quantity: number;

  @ApiProperty({ type: Money, description: "The price of one unit, VAT included: quantity x unitPrice = the invoice line's gross (a credit note repeats its invoice's item)" })
  unitPrice: Money;
}

export class InvoiceLineDto {
  @ApiProperty()
  lineId: string;

  @ApiProperty({ format: 'uuid' })
  offerId: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiPropertyOptional({ type: InvoiceItemDto, description: 'What the line sold, as a fapiao lists it; absent on invoices issued before it was recorded' })
  item?: InvoiceItemDto;

  @ApiProperty({ type: Money })
  net: Money;

  @ApiProperty({ type: Money })
  tax: Money;

  @ApiProperty({ type: Money, description: 'The price paid, VAT included; net + tax (below zero on a credit note)' })
  gross: Money;
}

export class InvoiceDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({
    enum: INVOICE_KINDS,
    description: '`credit_note`: cancels the invoice `creditsInvoice` after a refund, with the same lines and every amount below zero (net + tax = gross still)',
  })
  kind: InvoiceKind;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-000042',
    description: 'Sequential and gapless per calendar year (China time), each kind in its own series: `2026-000042` for invoices, `CN-2026-000007` for credit notes',
  })
  number: string | null;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ format: 'uuid' })
  buyerOrganizationId: string;

  @ApiProperty({ type: [InvoiceLineDto] })
  lines: InvoiceLineDto[];

  @ApiProperty({ type: Money })
  net: Money;

  @ApiProperty({ type: Money })
  tax: Money;

  @ApiProperty({ type: Money, description: 'net + tax, exactly' })
  gross: Money;

  @ApiProperty({ example: 600, description: 'The VAT rate in basis points (600 is 6 %)' })
  taxRateBp: number;

  @ApiProperty()
  issuedAt: string;

  @ApiProperty({ nullable: true, type: String, example: '2026-000042', description: 'A credit note: the number of the invoice it cancels; null on an invoice' })
  creditsInvoice: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'A credit note: the id of the invoice it cancels; null on an invoice' })
  creditsInvoiceId: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: "An invoice cancelled by a refund: its credit note's id; null otherwise" })
  creditNoteId: string | null;
}

export class InvoicePageDto extends PageOf(InvoiceDto) {}

export class TrialBalanceRowDto {
  @ApiProperty({ enum: ACCOUNT_TYPES })
  type: AccountType;

  @ApiProperty({ enum: CURRENCY_CODES })
  currency: CurrencyCode;

  @ApiProperty({ type: 'integer', description: 'Sum of debits, minor units (exact at any size: turnover may pass 2^53 - 1)' })
  debit: number;

  @ApiProperty({ type: 'integer', description: 'Sum of credits, minor units (exact at any size: turnover may pass 2^53 - 1)' })
  credit: number;

  @ApiProperty({ type: 'integer', description: 'debit - credit, minor units' })
  net: number;
}

export class CurrencyTotalDto {
  @ApiProperty({ enum: CURRENCY_CODES })
  currency: CurrencyCode;

  @ApiProperty({ description: 'Zero in a balanced ledger' })
  total: number;
}

export class TrialBalanceDto {
  @ApiProperty({ type: [TrialBalanceRowDto], description: 'Totals per account type and currency' })
  accounts: TrialBalanceRowDto[];

  @ApiProperty({ type: [CurrencyTotalDto] })
  totals: CurrencyTotalDto[];

  @ApiProperty({ description: 'The sum of every posting: zero' })
  total: number;
}

export class SubscriptionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: SUBSCRIPTION_STATUSES, description: 'Only subscriptions of this status; every status when left out' })
  @IsOptional()
  @IsIn(SUBSCRIPTION_STATUSES)
  status?: SubscriptionStatus;
}

export class AdminSubscriptionsQuery extends SubscriptionsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this buying organization's subscriptions; every organization's when left out" })
  @IsOptional()
  @IsUUID()
  organization?: string;
}

export class SubscriptionDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ description: 'The order line that bought it' })
  lineId: string;

  @ApiProperty({ format: 'uuid' })
  buyerOrganizationId: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty({ format: 'uuid' })
  offerId: string;

  @ApiProperty({ type: Money, description: 'What each period costs, VAT included' })
  price: Money;

  @ApiProperty({ enum: BILLING_PERIODS, description: 'Calendar months, quarters or years, UTC (31 January + 1 month is 28/29 February)' })
  period: BillingPeriod;

  @ApiProperty({
    enum: SUBSCRIPTION_STATUSES,
    description:
      '`active` while it renews, or runs to `currentPeriodEnd` after its buyer cancelled it (`cancelAtPeriodEnd`); `lapsed` once a period ended without a charge (`lapseReason` says why; its entitlement ended with it); `refunded` when an operator refunded its order. `lapsed` and `refunded` are final.',
  })
  status: SubscriptionStatus;

  @ApiProperty({ description: 'The start of the first period: when the order was paid' })
  subscribedAt: string;

  @ApiProperty({ description: 'The start (inclusive) of the period paid last' })
  currentPeriodStart: string;

  @ApiProperty({ description: 'The end (exclusive) of the period paid last: the entitlement runs to here' })
  currentPeriodEnd: string;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When the next period is charged (`currentPeriodEnd`); null when nothing more will be: cancelled, lapsed or refunded, while its offer is withdrawn or its dataset, vendor or buyer suspended (it lapses at `currentPeriodEnd` unless a suspension is lifted before then, when the renewal charges as usual), or the license\'s term (`termMonths`) ends with this period (the last period of a term is cut at its end and costs its share of the price by time, rounded up to the fen). A period the wallet cannot cover, that the catalog no longer sells, or that an operator-suspended buyer would buy is not charged: the subscription lapses instead (`lapseReason`)',
  })
  nextChargeAt: string | null;

  @ApiProperty({ description: 'Its buyer cancelled it: nothing more is charged and it lapses at `currentPeriodEnd`' })
  cancelAtPeriodEnd: boolean;

  @ApiProperty({ nullable: true, type: String, description: 'When its buyer cancelled it; null unless `cancelAtPeriodEnd`' })
  cancelledAt: string | null;

  @ApiProperty({ nullable: true, enum: [...SUBSCRIPTION_LAPSE_REASONS, null], description: 'Why it lapsed; null unless `lapsed`' })
  lapseReason: SubscriptionLapseReason | null;

  @ApiProperty({ type: 'integer', description: 'Periods charged after the first' })
  renewals: number;
}

export class SubscriptionPageDto extends PageOf(SubscriptionDto) {}
