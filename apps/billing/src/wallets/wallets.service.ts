import {
  BillingErrorCode,
  CommonErrorCode,
  LEDGER_LIMIT,
  ledgerSum,
  MAX_TRANSFER_AMOUNT,
  type GetVendorStatementRequest,
  type LedgerMoney,
  type ListPayoutsRequest,
  type ListTopUpsRequest,
  type PayoutPage,
  type PayoutView,
  type RecordTopUpRequest,
  type RequestPayoutRequest,
  type SalesStatsView,
  type TopUpPage,
  type TopUpView,
  type TrialBalanceView,
  type VendorBalanceView,
  type VendorStatementView,
  type WalletView,
} from '@trove/contracts';
import { Injectable } from '@nestjs/common';
import { formatMoney, type CurrencyCode } from '@trove/licensing';
import { UnitOfWork } from '@trove/messaging';
import { decodeCursor, DEFAULT_PAGE_SIZE, fieldError, ServiceException, toPage, type Caller } from '@trove/platform';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Clock } from '../clock';
import { LedgerRepository } from '../ledger/ledger.repository';
import { Standing } from '../standing';
import { bankTransferKeys } from './bank-reference';
import { payoutStates } from './payout-state';
import { PayoutRepository, payoutView, type Payout } from './payout.repository';
import { topUpStates } from './top-up-state';
import { TopUpRepository, topUpView, type TopUp } from './top-up.repository';

/** How long a statement of a period that has just ended waits for the transactions begun before its end: within the RPC timeout (3 s by default), so that the caller reads the 503 rather than a timeout. */
export const STATEMENT_SETTLE_MS = 2_000;
const STATEMENT_SETTLE_POLL_MS = 20;

/**
 * Whose money a list shows and in which order: an operator's is every organization's (or the one
 * it names), oldest first, the order a queue of work is done in; anyone else's is its own
 * organization's, newest first. A non-operator naming another organization gets nothing, as if
 * it had none.
 */
function listScope(caller: Caller, organization: string | undefined): { organizationId?: string; order: 'newest' | 'oldest' } | null {
  if (caller.role === 'admin') return { organizationId: organization, order: 'oldest' };
  if (organization !== undefined && organization !== caller.organizationId) return null;
  return { organizationId: caller.organizationId, order: 'newest' };
}

function balanceView(rows: { currency: CurrencyCode; balance: bigint }[], currency: CurrencyCode = 'CNY'): { balance: LedgerMoney; balances: LedgerMoney[] } {
  const balances = rows.map((r) => ({ amount: ledgerSum(r.balance), currency: r.currency }));
  return { balance: balances.find((b) => b.currency === currency) ?? { amount: 0, currency }, balances };
}

/** Money for a person to read, from an exact sum. */
const formatSum = (amount: bigint, currency: CurrencyCode) => formatMoney({ amount, currency });

/**
 * LEDGER_LIMIT_EXCEEDED unless one more top-up (or payout) of `amount` keeps it within what
 * billing holds: the amount itself at most `MAX_TRANSFER_AMOUNT` (a top-up or payout filed
 * before that cap may be larger), and all of them in its currency, this one included, at most
 * `LEDGER_LIMIT`. Call with the bank clearing account locked, so two confirmations (or
 * approvals) never both pass on the same total.
 */
function assertLedgerHolds(what: string, amount: number, currency: CurrencyCode, kind: 'top-ups confirmed' | 'payouts paid', before: bigint): void {
  if (amount > MAX_TRANSFER_AMOUNT) {
    throw new ServiceException(
      BillingErrorCode.LEDGER_LIMIT_EXCEEDED,
      `${what} of ${formatMoney({ amount, currency })} is more than one bank transfer may carry (${formatMoney({ amount: MAX_TRANSFER_AMOUNT, currency })}: it dates from before that limit). Nothing was posted: reject it.`,
    );
  }
  const after = before + BigInt(amount);
  if (after > BigInt(LEDGER_LIMIT)) {
    throw new ServiceException(
      BillingErrorCode.LEDGER_LIMIT_EXCEEDED,
      `${what} of ${formatMoney({ amount, currency })} would bring the ${kind} in ${currency} to ${formatSum(after, currency)}, past the ${formatMoney({ amount: LEDGER_LIMIT, currency })} billing holds (docs/ledger.md, "Limits"). Nothing was posted.`,
    );
  }
}

/**
 * PAYOUT_EXCEEDS_BALANCE for a payout of `amount` when the vendor is owed `owed` and has asked
 * for `pending` already (null at approval, where the payout itself is what is asked for). The
 * vendor is told what it can still ask for or, when its balance is below zero (a refund took
 * back money already paid out), that it owes the platform, and how much.
 */
function payoutExceeds(what: string, amount: number, currency: CurrencyCode, owed: bigint, pending: bigint | null): ServiceException {
  const asked = `${what} of ${formatMoney({ amount, currency })}`;
  if (owed < 0n) {
    return new ServiceException(
      BillingErrorCode.PAYOUT_EXCEEDS_BALANCE,
      `${asked} cannot be paid: the vendor's balance is ${formatSum(owed, currency)}, so it owes the platform ${formatSum(-owed, currency)} (a refund took back money already paid out). Its next sales pay that back first; nothing is paid out until the balance is above zero again.`,
    );
  }
  if (pending === null) return new ServiceException(BillingErrorCode.PAYOUT_EXCEEDS_BALANCE, `${asked} exceeds the ${formatSum(owed, currency)} owed to the vendor now.`);
  const left = owed - pending;
  return new ServiceException(
    BillingErrorCode.PAYOUT_EXCEEDS_BALANCE,
    `${asked} exceeds what is owed to the vendor and not yet asked for: ${formatSum(left > 0n ? left : 0n, currency)}` +
      (pending > 0n ? ` (${formatSum(owed, currency)} owed, of which payouts still pending ask for ${formatSum(pending, currency)}).` : '.'),
  );
}

/** INVALID_STATE saying how the payout ended and what the vendor can do instead. */
function assertPayoutCan(payout: Payout, next: Payout['status']): void {
  if (payoutStates.can(payout.status, next)) return;
  const ended = {
    pending: 'still pending',
    paid: `paid on ${payout.paidAt?.toISOString()}`,
    cancelled: `cancelled by its vendor on ${payout.cancelledAt?.toISOString()}`,
    rejected: `rejected by an operator on ${payout.rejectedAt?.toISOString()} (${JSON.stringify(payout.rejectionReason)})`,
  }[payout.status];
  throw new ServiceException(
    CommonErrorCode.INVALID_STATE,
    `Payout ${payout.id} is ${ended} and cannot become ${next}; only a pending payout is approved, rejected or cancelled${payout.status === 'paid' ? '' : ', and a vendor asks anew for what it is still owed'}.`,
  );
}

/** INVALID_STATE saying how the top-up ended and what the buyer can do instead. */
function assertTopUpCan(topUp: TopUp, next: TopUp['status']): void {
  if (topUpStates.can(topUp.status, next)) return;
  const ended = {
    pending: 'still pending',
    confirmed: `confirmed on ${topUp.confirmedAt?.toISOString()}: its transfer is credited`,
    cancelled: `cancelled by its buyer on ${topUp.cancelledAt?.toISOString()}`,
    rejected: `rejected by an operator on ${topUp.rejectedAt?.toISOString()} (${JSON.stringify(topUp.rejectionReason)})`,
  }[topUp.status];
  throw new ServiceException(
    CommonErrorCode.INVALID_STATE,
    `Top-up ${topUp.id} (${JSON.stringify(topUp.reference)}) is ${ended} and cannot become ${next}; only a pending top-up is confirmed, rejected or cancelled${topUp.status === 'confirmed' ? '' : ', and a transfer that did arrive is filed anew'}.`,
  );
}

/**
 * Money in and out of the market: buyers' top-ups by bank transfer (credited once an operator
 * confirms the transfer), vendors' payouts (paid once an operator approves), and the balances
 * and figures derived from the ledger.
 */
@Injectable()
export class WalletsService {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly ledger: LedgerRepository,
    private readonly topUps: TopUpRepository,
    private readonly payouts: PayoutRepository,
    private readonly clock: Clock,
    private readonly standing: Standing,
  ) {}

  /**
   * A bank transfer the buyer announces: nothing is credited until an operator confirms it.
   *
   * A transfer the buyer's organization filed before is refused when it was credited already, in
   * any currency (`TRANSFER_ALREADY_CREDITED`: a bank serial is one transfer whatever the
   * currency), or awaits confirmation for the same amount and currency (`TOP_UP_ALREADY_FILED`:
   * a double submit); filed again with another amount or currency it is taken, to correct it, and
   * the buyer cancels the mistyped one (or the operator confirms one of the two). Cancelled and
   * rejected top-ups hold nothing: the transfer is filed again freely. Another organization's
   * filings of the same reference are never looked at here, so the answer tells the buyer
   * nothing about them: that clash is refused at confirmation.
   */
  async recordTopUp(caller: Caller, request: RecordTopUpRequest): Promise<TopUpView> {
    const transferKeys = bankTransferKeys(request.reference);
    if (transferKeys[0] === '') {
      throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'reference: the bank transfer reference is white space alone', [
        { field: 'reference', problems: ['reference must contain the transfer reference, not white space alone'] },
      ]);
    }
    if (transferKeys.length > 1) {
      // One top-up is one transfer. A reference holding a second serial (another transfer's, a
      // contract's number) could not be told apart from the transfer it repeats.
      const problem =
        `reference holds ${transferKeys.length} bank serials (${transferKeys.join(', ')}): a top-up is one transfer; ` +
        'give its serial as the bank statement prints it, file each transfer as a top-up of its own, and leave other numbers (a contract\'s, an invoice\'s) out';
      throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, problem, [{ field: 'reference', problems: [problem] }]);
    }
    const { amount, currency } = request.amount;
    return this.unitOfWork.run(async () => {
      await this.topUps.lockTransfers(transferKeys);
      const filed = await this.topUps.findFiledBy(caller.organizationId, transferKeys);
      const credited = filed.find((t) => t.status === 'confirmed');
      if (credited) {
        throw new ServiceException(
          BillingErrorCode.TRANSFER_ALREADY_CREDITED,
          `The bank transfer ${JSON.stringify(request.reference)} was credited to this wallet already, by top-up ${credited.id} (${formatMoney({ amount: credited.amount, currency: credited.currency })}, confirmed ${credited.confirmedAt?.toISOString()}).`,
        );
      }
      // Only a pending top-up waits for this transfer: a cancelled or rejected one ended uncredited.
      const twin = filed.find((t) => t.status === 'pending' && t.amount === amount && t.currency === currency);
      if (twin) {
        throw new ServiceException(
          BillingErrorCode.TOP_UP_ALREADY_FILED,
          `The bank transfer ${JSON.stringify(request.reference)} of ${formatMoney({ amount, currency })} was filed already as top-up ${twin.id} on ${twin.createdAt.toISOString()}; it is credited once an operator confirms it.`,
        );
      }
      const topUp = await this.topUps.insert({
        id: randomUUID(),
        organizationId: caller.organizationId,
        amount,
        currency,
        reference: request.reference,
        transferKeys,
        createdAt: this.clock.now(),
      });
      return topUpView(topUp);
    });
  }

  /**
   * Credits the wallet with the transfer, once: debit bank clearing, credit the buyer's wallet.
   * Confirming a confirmed top-up answers the same view again and posts nothing. A transfer
   * another top-up credited already (the same reference key, in any currency: a bank serial is
   * one transfer, and CNY and HKD top-ups of it are one credit too many) is refused with
   * `TRANSFER_ALREADY_CREDITED`, naming that top-up; the database's
   * `top_up_transfer_credited_once` refuses it too, should two confirmations ever race past
   * the transfer's lock. A confirmation that would take billing past what it holds (see
   * `assertLedgerHolds`) is refused with `LEDGER_LIMIT_EXCEEDED` and posts nothing.
   */
  confirmTopUp(topUpId: string): Promise<TopUpView> {
    return this.unitOfWork.run(async () => {
      const topUp = await this.topUps.findForUpdate(topUpId);
      if (!topUp) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No top-up ${topUpId}.`);
      if (topUp.status === 'confirmed') return topUpView(topUp);
      assertTopUpCan(topUp, 'confirmed');
      await this.topUps.lockTransfers(topUp.transferKeys);
      const crediting = await this.topUps.findCrediting(topUp.transferKeys);
      if (crediting) {
        throw new ServiceException(
          BillingErrorCode.TRANSFER_ALREADY_CREDITED,
          `Top-up ${topUp.id} (${JSON.stringify(topUp.reference)}) is not confirmed: its bank transfer was credited already by top-up ${crediting.id} ` +
            `of organization ${crediting.organizationId} (${JSON.stringify(crediting.reference)}, ${formatMoney({ amount: crediting.amount, currency: crediting.currency })}, confirmed ${crediting.confirmedAt?.toISOString()}).`,
        );
      }
      const wallet = await this.ledger.account('wallet', topUp.organizationId, topUp.currency);
      const bank = await this.ledger.account('bank_clearing', null, topUp.currency);
      // Confirmations and payout approvals of a currency queue here; charges and refunds never post to the bank.
      await this.ledger.lockAccount(bank);
      assertLedgerHolds(`Top-up ${topUp.id} (${JSON.stringify(topUp.reference)})`, topUp.amount, topUp.currency, 'top-ups confirmed', (await this.ledger.turnover(bank)).debits);
      const entryId = await this.ledger.post({
        kind: 'top_up',
        currency: topUp.currency,
        amount: topUp.amount,
        sourceId: topUp.id,
        memo: topUp.reference,
        postings: [
          { accountId: bank, amount: topUp.amount },
          { accountId: wallet, amount: -topUp.amount },
        ],
      });
      const confirmed = await this.topUps.markConfirmed(topUp.id, entryId, this.clock.now()).catch((error: unknown) => {
        // Reached only past the transfer's lock: the database refused the second credit, and
        // the aborted transaction can no longer look up which top-up won.
        if ((error as { constraint?: unknown }).constraint !== 'top_up_transfer_credited_once') throw error;
        throw new ServiceException(
          BillingErrorCode.TRANSFER_ALREADY_CREDITED,
          `Top-up ${topUp.id} (${JSON.stringify(topUp.reference)}) is not confirmed: another top-up of its bank transfer was confirmed at the same moment.`,
        );
      });
      return topUpView(confirmed);
    });
  }

  /**
   * The buyer withdraws its pending top-up: a mistyped one it filed again, or a transfer it did
   * not make after all. Nothing was posted for it (only confirmation posts), so nothing is
   * reversed, and its transfer may be filed again. The top-up's row lock orders it with a
   * confirmation of the same top-up: whichever comes second finds the other's end and is
   * refused. Cancelling a cancelled top-up answers it again; another organization's is NOT_FOUND.
   */
  cancelTopUp(caller: Caller, topUpId: string): Promise<TopUpView> {
    return this.unitOfWork.run(async () => {
      const topUp = await this.topUps.findForUpdate(topUpId);
      if (!topUp || topUp.organizationId !== caller.organizationId) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No top-up ${topUpId}.`);
      if (topUp.status === 'cancelled') return topUpView(topUp);
      assertTopUpCan(topUp, 'cancelled');
      return topUpView(await this.topUps.markCancelled(topUp.id, this.clock.now()));
    });
  }

  /** An operator refuses a pending top-up (its money never arrived, say), saying why; like a cancellation it posts nothing. */
  rejectTopUp(topUpId: string, reason: string): Promise<TopUpView> {
    return this.unitOfWork.run(async () => {
      const topUp = await this.topUps.findForUpdate(topUpId);
      if (!topUp) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No top-up ${topUpId}.`);
      assertTopUpCan(topUp, 'rejected');
      return topUpView(await this.topUps.markRejected(topUp.id, reason, this.clock.now()));
    });
  }

  /** A top-up as its buyer or an operator sees it; another organization's is NOT_FOUND. */
  async topUp(caller: Caller, topUpId: string): Promise<TopUpView> {
    const topUp = await this.unitOfWork.read(() => this.topUps.find(topUpId));
    if (!topUp || (caller.role !== 'admin' && topUp.organizationId !== caller.organizationId)) {
      throw new ServiceException(CommonErrorCode.NOT_FOUND, `No top-up ${topUpId}.`);
    }
    return topUpView(topUp);
  }

  /** A page of top-ups, each as `topUp` answers it: see `listScope` for whose and in which order. */
  async listTopUps(caller: Caller, request: ListTopUpsRequest): Promise<TopUpPage> {
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const cursorScope = topUpsCursorScope(caller, request);
    const after = decodeCursor(request.cursor, cursorScope);
    const scope = listScope(caller, request.organization);
    if (!scope) return { items: [], nextCursor: null };
    const rows = await this.unitOfWork.read(() => this.topUps.list({ organizationId: scope.organizationId, status: request.status }, scope.order, limit + 1, after));
    return toPage(rows, limit, (t) => ({ at: t.createdAt, id: t.id }), topUpView, cursorScope);
  }

  wallet(caller: Caller, currency?: CurrencyCode): Promise<WalletView> {
    return this.walletOf(caller.organizationId, currency);
  }

  /** A buyer organization's wallets, as it reads them itself: for an operator settling a question about one. */
  walletOf(buyerOrganizationId: string, currency?: CurrencyCode): Promise<WalletView> {
    return this.unitOfWork.read(async () => balanceView(await this.ledger.walletBalances(buyerOrganizationId), currency));
  }

  vendorBalance(caller: Caller, currency?: CurrencyCode): Promise<VendorBalanceView> {
    return this.unitOfWork.read(async () => balanceView(await this.ledger.payableBalances(caller.organizationId), currency));
  }

  /**
   * The vendor's account statement for `[from, to)`: the payable at both ends and what moved it
   * between them, by the kind of each entry. The figures must add up to the closing balance, which
   * is read on its own; should an entry of a kind a statement does not know post to a payable,
   * this refuses to answer rather than show a statement that does not reconcile. A vendor reads its
   * own; an operator names the vendor (`vendorOrganizationId`), and an organization that never
   * sold has a statement of zeros.
   */
  async vendorStatement(caller: Caller, request: GetVendorStatementRequest): Promise<VendorStatementView> {
    const vendorId = statementVendor(caller, request.vendorOrganizationId);
    const currency = request.currency ?? 'CNY';
    const [from, to] = [new Date(request.from).toISOString(), new Date(request.to).toISOString()];
    await this.untilSettled(to);
    const sums = await this.unitOfWork.read(() => this.ledger.vendorStatement(vendorId, currency, from, to));
    const commission = sums.gross - sums.netSales;
    if (sums.opening + sums.netSales - sums.refunds - sums.payouts !== sums.closing || commission < 0n) {
      throw new Error(`the statement of vendor ${vendorId} in ${currency} from ${from} to ${to} does not reconcile: ${JSON.stringify(sums, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
    }
    const money = (amount: bigint): LedgerMoney => ({ amount: ledgerSum(amount), currency });
    return {
      currency,
      from,
      to,
      opening: money(sums.opening),
      sales: money(sums.gross),
      commission: money(commission),
      refunds: money(sums.refunds),
      payouts: money(sums.payouts),
      closing: money(sums.closing),
      entries: sums.entries,
    };
  }

  /** A vendor asks for its money; what it asks for, with what it asked for before, must be owed to it. */
  requestPayout(caller: Caller, request: RequestPayoutRequest): Promise<PayoutView> {
    return this.unitOfWork.run(async () => {
      const { amount, currency } = request.amount;
      const accountId = await this.ledger.findAccount('vendor_payable', caller.organizationId, currency);
      if (accountId) await this.ledger.lockAccount(accountId);
      const owed = accountId ? await this.ledger.creditBalance(accountId) : 0n;
      const pending = await this.payouts.pendingTotal(caller.organizationId, currency);
      if (BigInt(amount) > owed - pending) throw payoutExceeds('A payout', amount, currency, owed, pending);
      const payout = await this.payouts.insert({
        id: randomUUID(),
        vendorOrganizationId: caller.organizationId,
        amount,
        currency,
        requestedAt: this.clock.now(),
        destination: request.destination ?? null,
      });
      return payoutView(payout);
    });
  }

  /**
   * Pays the payout: debit the vendor's payable, credit bank clearing. Checked again against the
   * balance under the vendor's account lock (a refund may have taken money back meanwhile), and
   * against what billing holds under bank clearing's (`assertLedgerHolds`: the payouts ever paid
   * in the currency). Approving a paid payout answers the same view again.
   */
  async approvePayout(payoutId: string): Promise<PayoutView> {
    // Whether the vendor is suspended is what billing last applied of the gateway's events: not
    // before it applied those published while it was down. Money paid out is not taken back.
    this.standing.assertCaughtUp(`Payout ${payoutId}`);
    return this.unitOfWork.run(async () => {
      const payout = await this.payouts.findForUpdate(payoutId);
      if (!payout) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No payout ${payoutId}.`);
      if (payout.status === 'paid') return payoutView(payout);
      assertPayoutCan(payout, 'paid');
      // An operator suspends a vendor for fraud or a licensing dispute: money it is owed stays
      // with the platform until the matter is settled, and is not paid out by a routine approval.
      // A status change of the vendor billing could not apply (it may be the suspension): held
      // until an operator replays it.
      const unapplied = await this.standing.unappliedStatusOf([payout.vendorOrganizationId]);
      if (unapplied) {
        throw new ServiceException(
          BillingErrorCode.PAYOUT_HELD,
          `Payout ${payout.id} is held: a status change of its vendor ${payout.vendorOrganizationId} was not applied (dead letter ${unapplied.id}). Replay it (POST /v1/admin/dead-letters/${unapplied.id}/replay), then approve again.`,
        );
      }
      if (await this.payouts.isSuspended(payout.vendorOrganizationId)) {
        throw new ServiceException(
          BillingErrorCode.PAYOUT_HELD,
          `Payout ${payout.id} is held: its vendor ${payout.vendorOrganizationId} is suspended. Reinstate the vendor to pay it, or reject it.`,
        );
      }
      const accountId = await this.ledger.account('vendor_payable', payout.vendorOrganizationId, payout.currency);
      await this.ledger.lockAccount(accountId);
      const owed = await this.ledger.creditBalance(accountId);
      if (BigInt(payout.amount) > owed) throw payoutExceeds(`Payout ${payout.id}`, payout.amount, payout.currency, owed, null);
      const bank = await this.ledger.account('bank_clearing', null, payout.currency);
      await this.ledger.lockAccount(bank);
      assertLedgerHolds(`Payout ${payout.id}`, payout.amount, payout.currency, 'payouts paid', (await this.ledger.turnover(bank)).credits);
      const entryId = await this.ledger.post({
        kind: 'payout',
        currency: payout.currency,
        amount: payout.amount,
        sourceId: payout.id,
        postings: [
          { accountId, amount: payout.amount },
          { accountId: bank, amount: -payout.amount },
        ],
      });
      return payoutView(await this.payouts.markPaid(payout.id, entryId, this.clock.now()));
    });
  }

  /**
   * The vendor withdraws its pending payout. Nothing was posted for it (only approval posts), so
   * nothing is reversed; the amount stops counting as asked for. The payout's row lock orders it
   * with an approval of the same payout: whichever comes second finds the other's end and is
   * refused. Cancelling a cancelled payout answers it again; another vendor's is NOT_FOUND.
   */
  cancelPayout(caller: Caller, payoutId: string): Promise<PayoutView> {
    return this.unitOfWork.run(async () => {
      const payout = await this.payouts.findForUpdate(payoutId);
      if (!payout || payout.vendorOrganizationId !== caller.organizationId) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No payout ${payoutId}.`);
      if (payout.status === 'cancelled') return payoutView(payout);
      assertPayoutCan(payout, 'cancelled');
      return payoutView(await this.payouts.markCancelled(payout.id, this.clock.now()));
    });
  }

  /** An operator refuses a pending payout, saying why; like a cancellation it posts nothing. */
  rejectPayout(payoutId: string, reason: string): Promise<PayoutView> {
    return this.unitOfWork.run(async () => {
      const payout = await this.payouts.findForUpdate(payoutId);
      if (!payout) throw new ServiceException(CommonErrorCode.NOT_FOUND, `No payout ${payoutId}.`);
      assertPayoutCan(payout, 'rejected');
      return payoutView(await this.payouts.markRejected(payout.id, reason, this.clock.now()));
    });
  }

  /** A payout as its vendor or an operator sees it; another vendor's is NOT_FOUND. */
  async payout(caller: Caller, payoutId: string): Promise<PayoutView> {
    const payout = await this.unitOfWork.read(() => this.payouts.find(payoutId));
    if (!payout || (caller.role !== 'admin' && payout.vendorOrganizationId !== caller.organizationId)) {
      throw new ServiceException(CommonErrorCode.NOT_FOUND, `No payout ${payoutId}.`);
    }
    return payoutView(payout);
  }

  /** A page of payouts, each as `payout` answers it: see `listScope` for whose and in which order. */
  async listPayouts(caller: Caller, request: ListPayoutsRequest): Promise<PayoutPage> {
    const limit = request.limit ?? DEFAULT_PAGE_SIZE;
    const cursorScope = payoutsCursorScope(caller, request);
    const after = decodeCursor(request.cursor, cursorScope);
    const scope = listScope(caller, request.organization);
    if (!scope) return { items: [], nextCursor: null };
    const rows = await this.unitOfWork.read(() =>
      this.payouts.list({ vendorOrganizationId: scope.organizationId, status: request.status }, scope.order, limit + 1, after),
    );
    return toPage(rows, limit, (p) => ({ at: p.requestedAt, id: p.id }), payoutView, cursorScope);
  }

  /** The trial balance, added up exactly (`LedgerSum`): turnover may pass what a number holds. */
  /**
   * Waits until the ledger before `to` is final (LedgerRepository.settledBefore), so that the
   * statement of a period that has ended never gains an entry after it was read: billing's
   * transactions take milliseconds. A period not yet ended is read as it stands. One that a
   * transaction still holds open after STATEMENT_SETTLE_MS is 503: retry shortly.
   */
  private async untilSettled(to: string): Promise<void> {
    const deadline = Date.now() + STATEMENT_SETTLE_MS;
    for (;;) {
      const { ended, running } = await this.ledger.settledBefore(to);
      if (!ended || running === 0) return;
      if (Date.now() >= deadline) {
        throw new ServiceException(CommonErrorCode.SERVICE_UNAVAILABLE, `${running} ledger transaction(s) that began before ${to} are still running, so the statement up to then is not final yet. Retry in a few seconds.`);
      }
      await sleep(STATEMENT_SETTLE_POLL_MS);
    }
  }

  async trialBalance(currency?: CurrencyCode): Promise<TrialBalanceView> {
    const rows = (await this.unitOfWork.read(() => this.ledger.trialBalance())).filter((row) => !currency || row.currency === currency);
    const totals = new Map<CurrencyCode, bigint>();
    for (const row of rows) totals.set(row.currency, (totals.get(row.currency) ?? 0n) + row.debit - row.credit);
    return {
      accounts: rows.map((r) => ({ type: r.type, currency: r.currency, debit: ledgerSum(r.debit), credit: ledgerSum(r.credit), net: ledgerSum(r.debit - r.credit) })),
      totals: [...totals].map(([currency, total]) => ({ currency, total: ledgerSum(total) })),
      total: ledgerSum(rows.reduce((sum, row) => sum + row.debit - row.credit, 0n)),
    };
  }

  async salesStats(currency?: CurrencyCode): Promise<SalesStatsView> {
    const rows = (await this.unitOfWork.read(() => this.ledger.sales())).filter((row) => !currency || row.currency === currency);
    return {
      salesPerCurrency: rows.map((r) => ({
        currency: r.currency,
        gross: ledgerSum(r.gross),
        refunded: ledgerSum(r.refunded),
        net: ledgerSum(r.gross - r.refunded),
        payments: r.payments,
        refunds: r.refunds,
      })),
    };
  }
}

/** Whose statement a caller reads: a vendor its own, an operator the vendor it names. */
function statementVendor(caller: Caller, named: string | undefined): string {
  if (caller.role === 'admin') {
    if (!named) throw fieldError('vendorOrganizationId', 'an operator names the vendor whose statement it reads');
    return named;
  }
  if (named !== undefined && named !== caller.organizationId) throw new ServiceException(CommonErrorCode.FORBIDDEN, "A vendor reads its own statement only.");
  return caller.organizationId;
}

/** The cursors of one caller's list of top-ups under one set of filters. */
export const topUpsCursorScope = (caller: Caller, request: { organization?: string; status?: string }) =>
  `top-ups|${caller.role}|${caller.organizationId}|${request.organization ?? '*'}|${request.status ?? '*'}`;

/** The cursors of one caller's list of payouts under one set of filters. */
export const payoutsCursorScope = (caller: Caller, request: { organization?: string; status?: string }) =>
  `payouts|${caller.role}|${caller.organizationId}|${request.organization ?? '*'}|${request.status ?? '*'}`;

