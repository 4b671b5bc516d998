import { licenseEndsAt } from '@trove/licensing';
import { nextPeriod, periodEndFrom, type SubscriptionPeriod } from './subscription.repository';

const at = (iso: string) => new Date(iso);

/**
 * A subscription bought at `subscribedAt`, renewed `renewals` times, whose period paid last ends
 * at `periodEnd`, its license `termMonths` long (null: perpetual or not told).
 */
function subscription(subscribedAt: string, renewals: number, periodEnd: string, period: SubscriptionPeriod, amount: number, termMonths: number | null) {
  return { subscribedAt: at(subscribedAt), renewals, periodEnd: at(periodEnd), period, amount, licenseEndsAt: termMonths === null ? null : licenseEndsAt({ termMonths }, at(subscribedAt)) };
}

describe('the period a renewal sells', () => {
  it('is the next whole period while the license runs past it, and the last whole one ends at the license end', () => {
    // research: 12 months from 15 March 2026, paid monthly.
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', 0, '2026-04-15T02:00:00Z', 'month', 100_000, 12))).toEqual({
      start: at('2026-04-15T02:00:00Z'),
      end: at('2026-05-15T02:00:00Z'),
      amount: 100_000,
    });
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', 10, '2027-02-15T02:00:00Z', 'month', 100_000, 12))).toEqual({
      start: at('2027-02-15T02:00:00Z'),
      end: at('2027-03-15T02:00:00Z'),
      amount: 100_000,
    });
  });

  it('is none once the license has ended, at its end or after it', () => {
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', 11, '2027-03-15T02:00:00Z', 'month', 100_000, 12))).toBeNull();
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', 0, '2026-06-15T02:00:00Z', 'quarter', 100_000, 3))).toBeNull();
  });

  it('counts each period from the first one\'s start: bought on 31 January, it is paid to the last day of each month, and twelve months fill a 12-month license exactly', () => {
    const ends: string[] = [];
    let paid = subscription('2026-01-31T04:00:00Z', 0, '2026-02-28T04:00:00Z', 'month', 100_000, 12);
    let charged = 100_000;
    for (let next = nextPeriod(paid); next; next = nextPeriod(paid)) {
      expect(next.start).toEqual(paid.periodEnd);
      ends.push(next.end.toISOString().slice(0, 10));
      charged += next.amount;
      paid = { ...paid, renewals: paid.renewals + 1, periodEnd: next.end };
    }
    expect(ends).toEqual(['2026-03-31', '2026-04-30', '2026-05-31', '2026-06-30', '2026-07-31', '2026-08-31', '2026-09-30', '2026-10-31', '2026-11-30', '2026-12-31', '2027-01-31']);
    expect(paid).toMatchObject({ renewals: 11, periodEnd: at('2027-01-31T04:00:00Z') });
    // Not 1,209,678 fen: no thirteenth period of three days at 3/31 of the month's price.
    expect(charged).toBe(1_200_000);
  });

  it('keeps the day of the 29th and 30th, and of 29 February, through shorter months', () => {
    expect(periodEndFrom(at('2026-01-30T00:00:00Z'), 'month', 2)).toEqual(at('2026-03-30T00:00:00Z'));
    expect(periodEndFrom(at('2027-11-29T08:00:00Z'), 'quarter', 1)).toEqual(at('2028-02-29T08:00:00Z'));
    expect(periodEndFrom(at('2027-11-29T08:00:00Z'), 'quarter', 2)).toEqual(at('2028-05-29T08:00:00Z'));
    expect(nextPeriod(subscription('2028-02-29T00:00:00Z', 0, '2029-02-28T00:00:00Z', 'year', 99, null))?.end).toEqual(at('2030-02-28T00:00:00Z'));
    expect(nextPeriod(subscription('2028-02-29T00:00:00Z', 3, '2032-02-29T00:00:00Z', 'year', 99, null))?.end).toEqual(at('2033-02-28T00:00:00Z'));
    expect(nextPeriod(subscription('2028-02-29T00:00:00Z', 0, '2028-03-29T00:00:00Z', 'month', 99, null))?.end).toEqual(at('2028-04-29T00:00:00Z'));
  });

  it('brings a subscription that drifted before the rule back to its day with its next period (28 March to 30 April), and never sells a period ending before it starts', () => {
    // Renewed once as before: 31 January, 28 February, 28 March.
    expect(nextPeriod(subscription('2026-01-31T04:00:00Z', 1, '2026-03-28T04:00:00Z', 'month', 100_000, null))).toEqual({
      start: at('2026-03-28T04:00:00Z'),
      end: at('2026-04-30T04:00:00Z'),
      amount: 100_000,
    });
    // A row whose end is past its anchored one (not written by billing): one period from its end.
    expect(nextPeriod(subscription('2026-01-15T00:00:00Z', 0, '2026-06-15T00:00:00Z', 'month', 99, null))?.end).toEqual(at('2026-07-15T00:00:00Z'));
  });

  it('cuts a period that would run past the license end at that end, for its share of the price by time, rounded up to the fen', () => {
    // 18 months paid yearly: the second year is cut at September, 184 of 366 days (over 29 February 2028).
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', 0, '2027-03-15T02:00:00Z', 'year', 1_280_000, 18))).toEqual({
      start: at('2027-03-15T02:00:00Z'),
      end: at('2027-09-15T02:00:00Z'),
      amount: 643_498,
    });
    // 4 months from 31 January paid quarterly: to 30 April, then to 31 May, 31 of the 92 days to 31 July.
    expect(nextPeriod(subscription('2026-01-31T04:00:00Z', 0, '2026-04-30T04:00:00Z', 'quarter', 300_000, 4))).toEqual({
      start: at('2026-04-30T04:00:00Z'),
      end: at('2026-05-31T04:00:00Z'),
      amount: 101_087,
    });
    // A share that is a whole number of fen stays exact: 92 fen for 31 of 92 days is 31 fen.
    expect(nextPeriod(subscription('2026-01-31T04:00:00Z', 0, '2026-04-30T04:00:00Z', 'quarter', 92, 4))?.amount).toBe(31);
    // Never nothing for a part of a period: 1 fen a year for one month is still 1 fen.
    expect(nextPeriod(subscription('2026-03-15T02:00:00Z', 0, '2027-03-15T02:00:00Z', 'year', 1, 13))?.amount).toBe(1);
  });

  it('renews period after period when billing was not told the term, or the license is perpetual', () => {
    expect(nextPeriod(subscription('2020-01-15T00:00:00Z', 10, '2031-01-15T00:00:00Z', 'year', 99, null))).toEqual({
      start: at('2031-01-15T00:00:00Z'),
      end: at('2032-01-15T00:00:00Z'),
      amount: 99,
    });
  });

  it('charges the largest price exactly: no float in the share', () => {
    const amount = Number.MAX_SAFE_INTEGER;
    const cut = nextPeriod(subscription('2026-03-15T02:00:00Z', 0, '2027-03-15T02:00:00Z', 'year', amount, 18));
    expect(cut?.amount).toBe(Number((BigInt(amount) * 184n + 365n) / 366n));
  });
});
