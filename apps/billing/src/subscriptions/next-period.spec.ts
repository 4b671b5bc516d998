import { licenseEndsAt } from '@trove/licensing';
import { nextPeriod, type SubscriptionPeriod } from './subscription.repository';

const at = (iso: string) => new Date(iso);

/** A subscription bought at `subscribedAt` whose period paid last ends at `periodEnd`, its license `termMonths` long (null: perpetual or not told). */
function subscription(subscribedAt: string, periodEnd: string, period: SubscriptionPeriod, amount: number, termMonths: number | null) {
  return { periodEnd: at(periodEnd), period, amount, licenseEndsAt: termMonths === null ? null : licenseEndsAt({ termMonths }, at(subscribedAt)) };
}

describe('the period a renewal sells', () => {
  it('is the next whole period while the license runs past it, and the last whole one ends at the license end', () => {
    // research: 12 months from 15 March 2026, paid monthly.
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', '2026-04-15T02:00:00Z', 'month', 100_000, 12))).toEqual({
      start: at('2026-04-15T02:00:00Z'),
      end: at('2026-05-15T02:00:00Z'),
      amount: 100_000,
    });
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', '2027-02-15T02:00:00Z', 'month', 100_000, 12))).toEqual({
      start: at('2027-02-15T02:00:00Z'),
      end: at('2027-03-15T02:00:00Z'),
      amount: 100_000,
    });
  });

  it('is none once the license has ended, at its end or after it', () => {
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', '2027-03-15T02:00:00Z', 'month', 100_000, 12))).toBeNull();
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', '2027-03-15T02:00:00Z', 'quarter', 100_000, 3))).toBeNull();
  });

  it('cuts a period that would run past the license end at that end, for its share of the price by time, rounded up to the fen', () => {
    // 18 months paid yearly: the second year is cut at September, 184 of 366 days (over 29 February 2028).
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', '2027-03-15T02:00:00Z', 'year', 1_280_000, 18))).toEqual({
      start: at('2027-03-15T02:00:00Z'),
      end: at('2027-09-15T02:00:00Z'),
      amount: 643_498,
    });
    // 31 January + 1 month is 28 February, then 28 March...: twelve monthly periods end on 28 January,
    // three days before the license; those three days cost 3/31 of the month, 9,677.42 fen.
    expect(nextPeriod(subscription('2026-01-31T04:00:00Z', '2027-01-28T04:00:00Z', 'month', 100_000, 12))).toEqual({
      start: at('2027-01-28T04:00:00Z'),
      end: at('2027-01-31T04:00:00Z'),
      amount: 9_678,
    });
    // A share that is a whole number of fen stays exact: 31 fen for 3 of 31 days is 3 fen.
    expect(nextPeriod(subscription('2026-01-31T04:00:00Z', '2027-01-28T04:00:00Z', 'month', 31, 12))?.amount).toBe(3);
    // Never nothing for a part of a period: 1 fen a year for one month is still 1 fen.
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', '2027-03-15T02:00:00Z', 'year', 1, 13))?.amount).toBe(1);
  });

  it('renews period after period when billing was not told the term, or the license is perpetual', () => {
    expect(nextPeriod(subscription('2020-01-15T00:00:00Z', '2031-01-15T00:00:00Z', 'year', 99, null))).toEqual({
      start: at('2031-01-15T00:00:00Z'),
      end: at('2032-01-15T00:00:00Z'),
      amount: 99,
    });
  });

  it('charges the largest price exactly: no float in the share', () => {
    const amount = Number.MAX_SAFE_INTEGER;
    const cut = nextPeriod(subscription('2026-03-15T02:00:00Z', '2027-03-15T02:00:00Z', 'year', amount, 18));
    expect(cut?.amount).toBe(Number((BigInt(amount) * 184n + 365n) / 366n));
  });
});
