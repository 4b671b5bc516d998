import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { PositiveMoney, type CurrencyCode } from '@trove/licensing';

/**
 * The most one top-up or one payout may carry: 100,000,000,000 minor units, 1,000,000,000.00
 * CNY, the same figure in every currency. No bank transfer of this market comes near a billion
 * yuan; a larger amount is a typing slip or an attack, and is refused before anything is filed.
 */
export const MAX_TRANSFER_AMOUNT = 100_000_000_000;

/**
 * The most billing holds, per currency: the top-ups it ever confirmed add up to at most
 * 1,000,000,000,000,000 minor units (10,000,000,000,000.00 CNY), and so do the payouts it ever
 * paid. Money enters the ledger by top-ups and leaves it by payouts alone, so every balance is
 * held below this figure too (docs/ledger.md, "Limits"): a wallet, a vendor's balance, and each
 * account's balance. It is nine times below 2^53 - 1, the largest integer a JSON number read by
 * JavaScript holds exactly.
 */
export const LEDGER_LIMIT = 1_000_000_000_000_000;

/** The amount of a top-up or a payout: a positive integer of minor units, at most `MAX_TRANSFER_AMOUNT`. */
export class TransferMoney extends PositiveMoney {
  // class-validator drops a parent's rules for a property the subclass decorates: every rule again.
  @ApiProperty({
    type: 'integer',
    description: 'Integer minor units, at least 1 and at most 100,000,000,000 (1,000,000,000.00 CNY): no single bank transfer is larger',
    example: 2_000_000,
    minimum: 1,
    maximum: MAX_TRANSFER_AMOUNT,
  })
  @IsInt({ message: 'amount must be a positive integer number of minor units' })
  @Min(1, { message: 'amount must be a positive integer number of minor units' })
  @Max(MAX_TRANSFER_AMOUNT, { message: `amount must be at most ${MAX_TRANSFER_AMOUNT} minor units (1,000,000,000.00 CNY): no single bank transfer is larger` })
  override amount: number;
}

/**
 * A sum of minor units as billing answers it (a balance, a column of the trial balance, the sales
 * of a currency): a number while it is a safe integer; past 2^53 - 1, which a JSON number read
 * by JavaScript would round, its exact decimal digits, and the gateway writes those digits out as
 * a JSON integer. Under `LEDGER_LIMIT` only turnover (the debit and credit columns of the trial
 * balance, the sales and refunds of a currency) can grow that far, after refunds of more than
 * eight times `LEDGER_LIMIT`; a ledger written before the limits may hold more.
 */
export type LedgerSum = number | string;

/** Money of a balance: a `LedgerSum` and its currency. */
export interface LedgerMoney {
  amount: LedgerSum;
  currency: CurrencyCode;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The `LedgerSum` of an exact integer (PostgreSQL's sum of `bigint` columns is a `numeric`, read as its digits). */
export function ledgerSum(value: bigint | string | number | null | undefined): LedgerSum {
  const exact = BigInt(value ?? 0);
  return exact <= SAFE && exact >= -SAFE ? Number(exact) : exact.toString();
}
