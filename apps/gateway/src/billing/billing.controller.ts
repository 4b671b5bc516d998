import { BillingSubjects, CommonErrorCode } from '@trove/contracts';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RpcClient, UnitOfWork } from '@trove/messaging';
import { ServiceException } from '@trove/platform';
import { Audited } from '../audit/audited.decorator';
import { Roles } from '../auth/access.decorators';
import { uuidParam } from '../catalog/params';
import { OrganizationRepository } from '../identity/organization.repository';
import { ApiProblems } from '../openapi/api-problems';
import {
  AdminPayoutsQuery,
  AdminTopUpsQuery,
  CurrencyQuery,
  InvoiceDto,
  InvoicePageDto,
  InvoicesQuery,
  PayoutDto,
  PayoutInputDto,
  PayoutPageDto,
  PayoutsQuery,
  RejectPayoutDto,
  RejectTopUpDto,
  StatementQuery,
  TopUpDto,
  TopUpInputDto,
  TopUpPageDto,
  TopUpsQuery,
  TrialBalanceDto,
  VendorBalanceDto,
  VendorStatementDto,
  WalletDto,
} from './billing.dto';
import { exactBalances, exactStatement, exactTrialBalance } from './exact-sums';

/** Money moves only once per key: a route that moves money refuses to run without one. */
function requireIdempotencyKey(key: string | undefined, route: string): void {
  if (key === undefined) {
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, `Idempotency-Key: required on ${route}, so a retry never moves money twice`, [
      { field: 'Idempotency-Key', problems: ['Idempotency-Key is required'] },
    ]);
  }
}

const IDEMPOTENCY_HEADER = { name: 'Idempotency-Key', required: true, description: '1 to 255 printable ASCII characters; a retry repeats it' };

@ApiTags('Billing')
@Controller('v1')
export class BillingController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly unitOfWork: UnitOfWork,
    private readonly organizations: OrganizationRepository,
  ) {}

  @Get('wallet')
  @Roles(['buyer'])
  @ApiOperation({ summary: "The caller's wallet", description: '`balance` in the currency asked for (`?currency=`, CNY by default), and every wallet the organization holds.' })
  @ApiOkResponse({ type: WalletDto })
  @ApiProblems(400, 503)
  async wallet(@Query() query: CurrencyQuery): Promise<WalletDto> {
    return exactBalances(await this.rpc.send(BillingSubjects.getWallet, { currency: query.currency }));
  }

  @Post('wallet/top-ups')
  @HttpCode(201)
  @Roles(['buyer'], { activeOnly: true })
  @Audited('wallet.top-up', 'top-up')
  @ApiOperation({
    summary: 'Announce a bank transfer into the wallet',
    description:
      'The top-up stays `pending` until an operator confirms the money arrived; only then is the wallet credited. Amounts are positive integers of minor units, at most 100,000,000,000 (1,000,000,000.00 CNY; more is 400 VALIDATION_FAILED). Filing a transfer again is `409`: `TRANSFER_ALREADY_CREDITED` when this organization\'s top-up of that reference was confirmed already, `TOP_UP_ALREADY_FILED` when one of the same amount still awaits confirmation (another amount is accepted, to correct a mistyped one, which the buyer then cancels). Cancelled and rejected top-ups do not count: their transfer may be filed again.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: TopUpDto })
  @ApiProblems(400, 409, 422, 503)
  recordTopUp(@Headers('idempotency-key') key: string | undefined, @Body() body: TopUpInputDto): Promise<TopUpDto> {
    requireIdempotencyKey(key, 'POST /v1/wallet/top-ups');
    return this.rpc.send(BillingSubjects.recordTopUp, { amount: body.amount, reference: body.reference });
  }

  @Post('admin/top-ups/:id/confirm')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('wallet.top-up.confirm', 'top-up')
  @ApiOperation({
    summary: 'Confirm a bank transfer arrived',
    description:
      'Credits the wallet once. Confirming a confirmed top-up answers the same top-up again (200) and credits nothing; a cancelled or rejected one is `409 INVALID_STATE`. One bank transfer credits one top-up: when another confirmed top-up, in whatever currency, has the same reference (compared trimmed, NFKC-normalized and case-folded, without a bank\'s name before the serial: `招商银行 CMB-20261130-0042` is `CMB-20261130-0042`), the answer is `409 TRANSFER_ALREADY_CREDITED` naming it, and nothing is credited. A confirmation that would bring the top-ups ever confirmed in the currency past 1,000,000,000,000,000 minor units (what billing holds), or of a top-up larger than 100,000,000,000 (filed before that limit), is `409 LEDGER_LIMIT_EXCEEDED` and credits nothing.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TopUpDto })
  @ApiProblems(400, 404, 409, 503)
  confirmTopUp(@Param('id', uuidParam('id')) topUpId: string): Promise<TopUpDto> {
    return this.rpc.send(BillingSubjects.confirmTopUp, { topUpId });
  }

  @Get('wallet/top-ups')
  @Roles(['buyer'])
  @ApiOperation({
    summary: "The organization's top-ups, newest first",
    description:
      "Every top-up the buying organization filed, each as `GET /v1/wallet/top-ups/:id` answers it; `?status=` narrows the list (`pending`: those awaiting an operator, `rejected`: those to file again). Another organization's are never listed.",
  })
  @ApiOkResponse({ type: TopUpPageDto })
  @ApiProblems(400, 503)
  topUps(@Query() query: TopUpsQuery): Promise<TopUpPageDto> {
    return this.rpc.send(BillingSubjects.listTopUps, { status: query.status, limit: query.limit, cursor: query.cursor });
  }

  @Get('admin/top-ups')
  @Roles(['admin'])
  @ApiOperation({
    summary: "Every organization's top-ups, oldest first",
    description:
      'The operator\'s queue: `?status=pending` lists the bank transfers still to check against the statement, the longest waiting first, each as `GET /v1/wallet/top-ups/:id` answers it, to confirm or reject. `?organization=` narrows the list to one buying organization. Oldest first whatever the filter: a page\'s `nextCursor` goes on to later filings, and a top-up confirmed meanwhile leaves a pending list without moving the others.',
  })
  @ApiOkResponse({ type: TopUpPageDto })
  @ApiProblems(400, 503)
  adminTopUps(@Query() query: AdminTopUpsQuery): Promise<TopUpPageDto> {
    return this.rpc.send(BillingSubjects.listTopUps, { status: query.status, organization: query.organization, limit: query.limit, cursor: query.cursor });
  }

  @Get('wallet/top-ups/:id')
  @Roles(['buyer', 'admin'])
  @ApiOperation({
    summary: 'One top-up',
    description: "Its status, and a rejected one's `rejectionReason`. A buyer sees its organization's own (another organization's is 404); an operator sees every one.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TopUpDto })
  @ApiProblems(400, 404, 503)
  topUp(@Param('id', uuidParam('id')) topUpId: string): Promise<TopUpDto> {
    return this.rpc.send(BillingSubjects.getTopUp, { topUpId });
  }

  @Post('wallet/top-ups/:id/cancel')
  @HttpCode(200)
  @Roles(['buyer'])
  @Audited('wallet.top-up.cancel', 'top-up')
  @ApiOperation({
    summary: 'Withdraw a pending top-up',
    description:
      "The buying organization cancels its pending top-up (a mistyped one it filed again, say): `status: cancelled`. Nothing was credited and nothing is; the same reference and amount may be filed again. Cancelling a cancelled top-up answers it again (200); a confirmed or rejected one is 409 INVALID_STATE; another organization's is 404. Racing a confirmation, exactly one of the two wins and the other is 409 INVALID_STATE.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TopUpDto })
  @ApiProblems(400, 404, 409, 503)
  cancelTopUp(@Param('id', uuidParam('id')) topUpId: string): Promise<TopUpDto> {
    return this.rpc.send(BillingSubjects.cancelTopUp, { topUpId });
  }

  @Post('admin/top-ups/:id/reject')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('wallet.top-up.reject', 'top-up')
  @ApiOperation({
    summary: 'Refuse a pending top-up',
    description:
      '`{reason}` -> `status: rejected` with `rejectionReason`, which the buyer reads (a transfer that never arrived, say). Nothing was credited and nothing is; the buyer may file the transfer again. Only a pending top-up: anything else is 409 INVALID_STATE; racing a confirmation, exactly one of the two wins.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TopUpDto })
  @ApiProblems(400, 404, 409, 503)
  rejectTopUp(@Param('id', uuidParam('id')) topUpId: string, @Body() body: RejectTopUpDto): Promise<TopUpDto> {
    return this.rpc.send(BillingSubjects.rejectTopUp, { topUpId, reason: body.reason });
  }

  @Get('invoices')
  @Roles(['buyer', 'admin'])
  @ApiOperation({
    summary: 'Invoices and credit notes, newest first',
    description: "A buyer's own; an admin's view is every one. A refund cancels each invoice of the order with a credit note (`kind: credit_note`); `?kind=` lists one kind only.",
  })
  @ApiOkResponse({ type: InvoicePageDto })
  @ApiProblems(400, 503)
  invoices(@Query() query: InvoicesQuery): Promise<InvoicePageDto> {
    return this.rpc.send(BillingSubjects.listInvoices, { limit: query.limit, cursor: query.cursor, kind: query.kind });
  }

  @Get('invoices/:id')
  @Roles(['buyer', 'admin'])
  @ApiOperation({ summary: 'One invoice', description: "Prices include VAT: net + tax = gross on every line and in total. Another buyer's invoice is 404." })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: InvoiceDto })
  @ApiProblems(400, 404, 503)
  invoice(@Param('id', uuidParam('id')) invoiceId: string): Promise<InvoiceDto> {
    return this.rpc.send(BillingSubjects.getInvoice, { invoiceId });
  }

  @Get('balance')
  @Roles(['vendor'])
  @ApiOperation({ summary: 'What the platform owes the vendor', description: 'Sales minus commission, minus refunds and payouts; `?currency=` picks `balance` (CNY by default).' })
  @ApiOkResponse({ type: VendorBalanceDto })
  @ApiProblems(400, 503)
  async balance(@Query() query: CurrencyQuery): Promise<VendorBalanceDto> {
    return exactBalances(await this.rpc.send(BillingSubjects.getVendorBalance, { currency: query.currency }));
  }

  @Get('balance/statement')
  @Roles(['vendor'])
  @ApiOperation({
    summary: "The vendor's account statement (对账单) for a period",
    description:
      "What moved the vendor's balance from `from` (inclusive) to `to` (exclusive), read from the ledger: `opening` and `closing` are the balance at each end, `sales` the gross of its lines charged in the period (renewals included), `commission` what the platform withheld on them, `refunds` what refunds took back (the vendor's share of each charge they reverse) and `payouts` the payouts approved; `opening + sales - commission - refunds - payouts = closing`, to the fen. `entries` counts the journal entries of the period that moved the balance. `from` and `to` are ISO 8601 date-times with their offset (`2027-01-01T00:00:00+08:00`), `from` before `to`, at most 366 days apart; anything else is 400 VALIDATION_FAILED naming the fields. A period not over yet may still grow; one that is over is final: the answer waits for a transaction that began before `to` to end (milliseconds), and is 503 if one is still open after 2 seconds.",
  })
  @ApiOkResponse({ type: VendorStatementDto })
  @ApiProblems(400, 503)
  async statement(@Query() query: StatementQuery): Promise<VendorStatementDto> {
    return exactStatement(await this.rpc.send(BillingSubjects.getVendorStatement, { from: query.from, to: query.to, currency: query.currency }));
  }

  @Get('admin/organizations/:id/wallet')
  @Roles(['admin'])
  @ApiParam({ name: 'id', format: 'uuid', description: 'The buyer organization' })
  @ApiOperation({
    summary: "A buyer's wallet, for an operator",
    description:
      'What `GET /v1/wallet` gives the buyer itself: `balance` in the currency asked for (`?currency=`, CNY by default) and every wallet it holds, to answer a buyer who asks where its money went without adding up its top-ups and invoices. ' +
      'A buyer that never topped up has a balance of zero. An id that is not a UUID is 400 VALIDATION_FAILED; one that names no buyer (no organization, or a vendor) 404 NOT_FOUND.',
  })
  @ApiOkResponse({ type: WalletDto })
  @ApiProblems(400, 404, 503)
  async buyerWallet(@Param('id', uuidParam('id')) buyerOrganizationId: string, @Query() query: CurrencyQuery): Promise<WalletDto> {
    await this.assertOrganizationIs(buyerOrganizationId, 'buyer');
    return exactBalances(await this.rpc.send(BillingSubjects.getBuyerWallet, { currency: query.currency, buyerOrganizationId }));
  }

  @Get('admin/organizations/:id/statement')
  @Roles(['admin'])
  @ApiParam({ name: 'id', format: 'uuid', description: 'The vendor organization' })
  @ApiOperation({
    summary: "A vendor's account statement, for an operator",
    description:
      'The statement `GET /v1/balance/statement` gives the vendor, to reconcile its balance before approving a payout: the same query, the same figures. ' +
      'A vendor that never sold has a statement of zeros. An id that is not a UUID is 400 VALIDATION_FAILED; one that names no vendor (no organization, or a buyer) 404 NOT_FOUND.',
  })
  @ApiOkResponse({ type: VendorStatementDto })
  @ApiProblems(400, 404, 503)
  async vendorStatement(@Param('id', uuidParam('id')) vendorOrganizationId: string, @Query() query: StatementQuery): Promise<VendorStatementDto> {
    await this.assertOrganizationIs(vendorOrganizationId, 'vendor');
    return exactStatement(await this.rpc.send(BillingSubjects.getVendorStatement, { from: query.from, to: query.to, currency: query.currency, vendorOrganizationId }));
  }

  @Post('payouts')
  @HttpCode(201)
  @Roles(['vendor'], { activeOnly: true })
  @Audited('payout.request', 'payout')
  @ApiOperation({
    summary: "Withdraw from the vendor's balance",
    description:
      'Pending until an operator approves or rejects it, or the vendor cancels it. `destination` names the bank account to pay to (payee, bank, account number, and a SWIFT/BIC code for an account abroad), kept with the payout for the operator; without it the operator pays to the account the vendor gave the platform when it was approved. At most 100,000,000,000 minor units (1,000,000,000.00 CNY; more is 400 VALIDATION_FAILED). More than the balance, counting payouts still pending (not cancelled or rejected ones), is 409 PAYOUT_EXCEEDS_BALANCE; its `detail` says what is left to ask for, or, when the balance is below zero, what the vendor owes.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: PayoutDto })
  @ApiProblems(400, 409, 422, 503)
  requestPayout(@Headers('idempotency-key') key: string | undefined, @Body() body: PayoutInputDto): Promise<PayoutDto> {
    requireIdempotencyKey(key, 'POST /v1/payouts');
    return this.rpc.send(BillingSubjects.requestPayout, { amount: body.amount, destination: body.destination });
  }

  @Post('admin/payouts/:id/approve')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('payout.approve', 'payout')
  @ApiOperation({
    summary: 'Pay a payout',
    description:
      "Debits the vendor's balance and credits bank clearing, once; approving a paid payout answers it again. A balance that no longer covers it is 409 PAYOUT_EXCEEDS_BALANCE (the vendor may cancel it, or an operator reject it, and a smaller one be asked for); a cancelled or rejected payout is 409 INVALID_STATE; a payout of a suspended vendor is held, 409 PAYOUT_HELD, until the vendor is reinstated (or the payout rejected). A payout that would bring the payouts ever paid in the currency past 1,000,000,000,000,000 minor units (what billing holds), or one larger than 100,000,000,000 (asked for before that limit), is 409 LEDGER_LIMIT_EXCEEDED and pays nothing.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: PayoutDto })
  @ApiProblems(400, 404, 409, 503)
  approvePayout(@Param('id', uuidParam('id')) payoutId: string): Promise<PayoutDto> {
    return this.rpc.send(BillingSubjects.approvePayout, { payoutId });
  }

  @Get('payouts')
  @Roles(['vendor'])
  @ApiOperation({
    summary: "The vendor's payouts, newest first",
    description: "Every payout the vendor asked for, each as `GET /v1/payouts/:id` answers it; `?status=` narrows the list. Another vendor's are never listed.",
  })
  @ApiOkResponse({ type: PayoutPageDto })
  @ApiProblems(400, 503)
  payouts(@Query() query: PayoutsQuery): Promise<PayoutPageDto> {
    return this.rpc.send(BillingSubjects.listPayouts, { status: query.status, limit: query.limit, cursor: query.cursor });
  }

  @Get('admin/payouts')
  @Roles(['admin'])
  @ApiOperation({
    summary: "Every vendor's payouts, oldest first",
    description:
      'The operator\'s queue: `?status=pending` lists the payouts still to approve or reject, the longest waiting first, each as `GET /v1/payouts/:id` answers it. `?organization=` narrows the list to one vendor. Oldest first whatever the filter.',
  })
  @ApiOkResponse({ type: PayoutPageDto })
  @ApiProblems(400, 503)
  adminPayouts(@Query() query: AdminPayoutsQuery): Promise<PayoutPageDto> {
    return this.rpc.send(BillingSubjects.listPayouts, { status: query.status, organization: query.organization, limit: query.limit, cursor: query.cursor });
  }

  @Get('payouts/:id')
  @Roles(['vendor', 'admin'])
  @ApiOperation({
    summary: 'One payout',
    description: "Its status, and a rejected one's `rejectionReason`. A vendor sees its own (another vendor's is 404); an operator sees every one.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: PayoutDto })
  @ApiProblems(400, 404, 503)
  payout(@Param('id', uuidParam('id')) payoutId: string): Promise<PayoutDto> {
    return this.rpc.send(BillingSubjects.getPayout, { payoutId });
  }

  @Post('payouts/:id/cancel')
  @HttpCode(200)
  @Roles(['vendor'])
  @Audited('payout.cancel', 'payout')
  @ApiOperation({
    summary: 'Withdraw a pending payout',
    description:
      "The owning vendor cancels its pending payout: `status: cancelled`. Nothing had moved and nothing moves; the amount no longer counts as asked for, so the vendor may ask again for what it is owed. Cancelling a cancelled payout answers it again (200); a paid or rejected one is 409 INVALID_STATE; another vendor's is 404. Racing an approval, exactly one of the two wins and the other is 409 INVALID_STATE.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: PayoutDto })
  @ApiProblems(400, 404, 409, 503)
  cancelPayout(@Param('id', uuidParam('id')) payoutId: string): Promise<PayoutDto> {
    return this.rpc.send(BillingSubjects.cancelPayout, { payoutId });
  }

  @Post('admin/payouts/:id/reject')
  @HttpCode(200)
  @Roles(['admin'])
  @Audited('payout.reject', 'payout')
  @ApiOperation({
    summary: 'Refuse a pending payout',
    description:
      '`{reason}` -> `status: rejected` with `rejectionReason`, which the vendor reads. Nothing had moved and nothing moves; the amount no longer counts as asked for. Only a pending payout: anything else is 409 INVALID_STATE.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: PayoutDto })
  @ApiProblems(400, 404, 409, 503)
  rejectPayout(@Param('id', uuidParam('id')) payoutId: string, @Body() body: RejectPayoutDto): Promise<PayoutDto> {
    return this.rpc.send(BillingSubjects.rejectPayout, { payoutId, reason: body.reason });
  }

  @Get('admin/ledger/trial-balance')
  @Roles(['admin'])
  @ApiOperation({ summary: 'The trial balance', description: 'Debits and credits per account type and currency (`?currency=` for one); `total` is zero in a balanced ledger. Every figure is exact, also past 2^53 - 1 (which a JavaScript client reading it with JSON.parse would round).' })
  @ApiOkResponse({ type: TrialBalanceDto })
  @ApiProblems(400, 503)
  async trialBalance(@Query() query: CurrencyQuery): Promise<TrialBalanceDto> {
    return exactTrialBalance(await this.rpc.send(BillingSubjects.trialBalance, { currency: query.currency }));
  }

  /** An operator's route about one organization: NOT_FOUND unless the id names one of this kind. */
  private async assertOrganizationIs(id: string, kind: 'buyer' | 'vendor'): Promise<void> {
    if ((await this.unitOfWork.read(() => this.organizations.kindOf(id))) !== kind) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No ${kind} ${id}.`);
  }
}
