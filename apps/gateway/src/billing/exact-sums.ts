import type { LedgerMoney, LedgerSum, SalesPerCurrency, TrialBalanceView, VendorStatementView } from '@trove/contracts';
import type { Money } from '@trove/licensing';

/** `JSON.rawJSON` (Node 21 and later), which TypeScript's ES2022 library does not declare. */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * A sum from billing as the answer's JSON integer, exact whatever its size. Billing sends a sum
 * past 2^53 - 1 as its digits (`LedgerSum`), since a JSON number read by JavaScript would round
 * it; here the digits are written out as they are, an integer as the OpenAPI document says, and
 * not rounded through a number. Typed as the number it reads as.
 */
export function exactInteger(sum: LedgerSum): number {
  if (typeof sum === 'number') return sum;
  if (!/^-?\d+$/.test(sum)) throw new Error(`billing answered ${JSON.stringify(sum)} for a sum of minor units`);
  return rawJSON(sum) as number;
}

export function exactMoney(money: LedgerMoney): Money {
  return { amount: exactInteger(money.amount), currency: money.currency };
}

export function exactBalances(view: { balance: LedgerMoney; balances: LedgerMoney[] }): { balance: Money; balances: Money[] } {
  return { balance: exactMoney(view.balance), balances: view.balances.map(exactMoney) };
}

export function exactStatement(view: VendorStatementView) {
  const { opening, sales, commission, refunds, payouts, closing } = view;
  return {
    ...view,
    opening: exactMoney(opening),
    sales: exactMoney(sales),
    commission: exactMoney(commission),
    refunds: exactMoney(refunds),
    payouts: exactMoney(payouts),
    closing: exactMoney(closing),
  };
}

export function exactTrialBalance(view: TrialBalanceView) {
  return {
    accounts: view.accounts.map((row) => ({ ...row, debit: exactInteger(row.debit), credit: exactInteger(row.credit), net: exactInteger(row.net) })),
    totals: view.totals.map((row) => ({ currency: row.currency, total: exactInteger(row.total) })),
    total: exactInteger(view.total),
  };
}

export function exactSales(rows: SalesPerCurrency[]) {
  return rows.map((row) => ({ ...row, gross: exactInteger(row.gross), refunded: exactInteger(row.refunded), net: exactInteger(row.net) }));
}
