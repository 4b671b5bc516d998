import 'reflect-metadata';
import fc from 'fast-check';
import { addMonthsUtc } from '@trove/licensing';
import type { Caller } from '@trove/platform';
import type { PostingLine, StoredPosting } from '../src/ledger/ledger.repository';
import { Reversals } from '../src/ledger/reversals';
import { BillingHarness, buyer, line, order, vendor } from './billing-harness';

jest.setTimeout(300_000);

type Action =
  | { kind: 'top-up'; buyer: number; amount: number }
  | { kind: 'purchase'; buyer: number; lines: { vendor: number; price: number; period: 'month' | 'quarter' | null }[] }
  | { kind: 'refund'; pick: number }
  | { kind: 'payout'; vendor: number; share: number }
  | { kind: 'renew'; months: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('top-up' as const), buyer: fc.nat(2), amount: fc.integer({ min: 1, max: 3_000_000 }) }),
  fc.record({
    kind: fc.constant('purchase' as const),
    buyer: fc.nat(2),
    lines: fc.array(
      fc.record({ vendor: fc.nat(2), price: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 1_500_000 })), period: fc.constantFrom(null, null, 'month' as const, 'quarter' as const) }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  fc.record({ kind: fc.constant('refund' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('payout' as const), vendor: fc.nat(2), share: fc.integer({ min: 1, max: 10_000 }) }),
  fc.record({ kind: fc.constant('renew' as const), months: fc.integer({ min: 1, max: 4 }) }),
);

/**
 * Runs random sequences of top-ups, purchases (one-off and subscriptions), refunds, payouts and
 * renewals against the real database, checking every rule of the ledger after every step.
 */
async function ledgerProperty(billing: BillingHarness, runs: number): Promise<void> {
  const buyers: Caller[] = [buyer(), buyer(), buyer()];
  const vendors: Caller[] = [vendor(), vendor(), vendor()];
  const placed: string[] = [];
  let now = new Date('2026-03-15T02:00:00.000Z');
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
      for (const step of actions) {
        switch (step.kind) {
          case 'top-up':
            await billing.fund(buyers[step.buyer], step.amount);
            break;
          case 'purchase': {
            const purchase = order(
              buyers[step.buyer].organizationId,
              step.lines.map((l) => line(vendors[l.vendor].organizationId, l.price, 'CNY', l.period ? { model: 'subscription', period: l.period } : { model: 'one_time' })),
            );
            const outcome = await billing.payments.charge(purchase);
            if (outcome.outcome === 'captured') placed.push(purchase.orderId);
            break;
          }
          case 'refund':
            if (placed.length > 0) await billing.payments.refund(placed[step.pick % placed.length]);
            break;
          case 'payout': {
            const owed = await billing.payable(vendors[step.vendor].organizationId);
            const amount = Math.floor((owed * step.share) / 10_000);
            if (amount >= 1) {
              const payout = await billing.wallets.requestPayout(vendors[step.vendor], { amount: { amount, currency: 'CNY' } });
              await billing.wallets.approvePayout(payout.id);
            }
            break;
          }
          case 'renew':
            now = addMonthsUtc(now, step.months);
            billing.clock.set(now);
            await billing.subscriptions.renewDue();
            break;
        }
        const broken = await billing.violations();
        if (broken.length > 0) throw new Error(`after ${JSON.stringify(step)}: ${broken.join('; ')}`);
      }
    }),
    { numRuns: runs, seed: 20261130, endOnFailure: true },
  );
}

/** The error the property failed with (fast-check keeps it as the cause of its report). */
async function whyItFails(run: Promise<void>): Promise<string> {
  const failure = await run.then(
    () => undefined,
    (error: Error) => error,
  );
  if (!failure) throw new Error('the property held, though the refund is broken');
  return String((failure.cause as Error | undefined)?.message ?? failure.message);
}

describe('billing: the ledger holds its rules whatever happens', () => {
  it('after every top-up, purchase, refund, payout and renewal: entries sum to zero, balances match postings, no wallet below zero, one charge per paid order, a reversal per refund', async () => {
    const billing = await BillingHarness.start();
    try {
      await ledgerProperty(billing, 25);
      const counts = (await billing.sql.query(`SELECT kind, count(*)::int AS n FROM journal_entry GROUP BY kind`)).rows as { kind: string; n: number }[];
      // The runs really did all five things.
      expect(counts.map((c) => c.kind).sort()).toEqual(['charge', 'payout', 'refund', 'renewal', 'top_up']);
    } finally {
      await billing.stop();
    }
  });

  it('catches a refund that forgets the tax posting (the database refuses its unbalanced entry)', async () => {
    class ForgetsTax extends Reversals {
      override reverse(postings: readonly StoredPosting[]): PostingLine[] {
        return super.reverse(postings.filter((p) => p.type !== 'tax_payable'));
      }
    }
    const billing = await BillingHarness.start([{ provide: Reversals, useValue: new ForgetsTax() }]);
    try {
      expect(await whyItFails(ledgerProperty(billing, 40))).toMatch(/journal entry .* does not balance/);
    } finally {
      await billing.stop();
    }
  });

  it('catches a refund that balances but gives the tax back out of platform revenue (the reversal does not mirror its charge)', async () => {
    class TaxFromRevenue extends Reversals {
      override reverse(postings: readonly StoredPosting[]): PostingLine[] {
        const revenue = postings.find((p) => p.type === 'platform_revenue');
        return postings
          .filter((p) => p.type !== 'platform_revenue')
          .map((p) => (p.type === 'tax_payable' && revenue ? { accountId: revenue.accountId, amount: -p.amount } : { accountId: p.accountId, amount: -p.amount }))
          .concat(revenue ? [{ accountId: revenue.accountId, amount: -revenue.amount }] : []);
      }
    }
    const billing = await BillingHarness.start([{ provide: Reversals, useValue: new TaxFromRevenue() }]);
    try {
      expect(await whyItFails(ledgerProperty(billing, 40))).toMatch(/after \{"kind":"refund".*reversal does not mirror its charge/);
    } finally {
      await billing.stop();
    }
  });
});
