import 'reflect-metadata';
import fc from 'fast-check';
import { BillingErrorCode } from '@trove/contracts';
import { addMonthsUtc, splitCommission } from '@trove/licensing';
import type { Caller } from '@trove/platform';
import type { CreditableInvoice } from '../src/invoices/invoice.repository';
import type { PostingLine, StoredPosting } from '../src/ledger/ledger.repository';
import { Reversals } from '../src/ledger/reversals';
import { BillingHarness, buyer, line, order, vendor } from './billing-harness';
import { refundViolations } from './refund-rules';

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

/** What the test expects of one order, kept apart from the ledger: its lines, and what it billed. */
interface ModelOrder {
  orderId: string;
  buyer: number;
  captured: boolean;
  refunded: boolean;
  lines: { lineId: string; vendor: number; price: number; renewals: number }[];
}

/**
 * The money as the test expects it, apart from the ledger: each wallet is its top-ups less what
 * was billed (a purchase, each renewal of a subscription line) plus what refunds gave back; each
 * vendor is owed its share of what was billed less refunds and payouts. The refund rule: a
 * refund gives back everything billed on the order (the purchase and each renewal), and the
 * order's subscriptions never renew again.
 */
class MoneyModel {
  readonly wallets = [0, 0, 0];
  readonly payables = [0, 0, 0];
  readonly orders = new Map<string, ModelOrder>();

  static share(price: number): number {
    return price - splitCommission({ amount: price, currency: 'CNY' }, 2000).commission.amount;
  }

  bill(order: ModelOrder, prices: { vendor: number; price: number }[]): void {
    for (const l of prices) {
      this.wallets[order.buyer] -= l.price;
      this.payables[l.vendor] += MoneyModel.share(l.price);
    }
  }

  /** Everything billed on the order comes back: the purchase and every renewal seen so far. */
  refund(order: ModelOrder): void {
    for (const l of order.lines) {
      const times = 1 + l.renewals;
      this.wallets[order.buyer] += times * l.price;
      this.payables[l.vendor] -= times * MoneyModel.share(l.price);
    }
    order.refunded = true;
  }

  /** Renewals as the subscriptions record them; each one billed the line's price again. */
  observeRenewals(rows: { order_id: string; line_id: string; renewals: number }[]): string[] {
    const wrong: string[] = [];
    for (const row of rows) {
      const order = this.orders.get(row.order_id);
      const l = order?.lines.find((x) => x.lineId === row.line_id);
      if (!order || !l) continue;
      const more = row.renewals - l.renewals;
      if (more === 0) continue;
      if (order.refunded) wrong.push(`refunded order ${order.orderId} renewed ${more} more time(s)`);
      l.renewals = row.renewals;
      for (let i = 0; i < more; i++) this.bill(order, [l]);
    }
    return wrong;
  }
}

/**
 * Why billing's limits bound every balance (docs/ledger.md, "Limits"): money comes in by top-ups
 * and goes out by payouts alone, so no account, and no account type taken together, holds more
 * (either way) than the top-ups confirmed or the payouts paid in its currency, whatever refunds
 * and renewals come between. An account or type that does is named.
 */
async function beyondTheDoors(billing: BillingHarness): Promise<string[]> {
  const { rows } = await billing.sql.query<{ what: string; balance: string; doors: string }>(
    `WITH doors AS (
       SELECT p.currency, greatest(coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0), coalesce(-sum(p.amount) FILTER (WHERE p.amount < 0), 0)) AS most
         FROM posting p JOIN account a ON a.id = p.account_id WHERE a.type = 'bank_clearing' GROUP BY p.currency
     ), held AS (
       SELECT a.type || ' ' || a.id AS what, a.currency, sum(p.amount) AS balance FROM account a JOIN posting p ON p.account_id = a.id GROUP BY a.id
       UNION ALL
       SELECT 'every ' || a.type, a.currency, sum(p.amount) FROM account a JOIN posting p ON p.account_id = a.id GROUP BY a.type, a.currency
     )
     SELECT held.what, held.balance::text AS balance, coalesce(doors.most, 0)::text AS doors FROM held LEFT JOIN doors USING (currency)
      WHERE abs(held.balance) > coalesce(doors.most, 0)`,
  );
  return rows.map((r) => `${r.what} holds ${r.balance}, more than the ${r.doors} that came in or went out by the bank`);
}

/**
 * Runs random sequences of top-ups, purchases (one-off and subscriptions), refunds, payouts and
 * renewals against the real database, checking every rule of the ledger and of refunds after
 * every step, and every wallet and vendor balance against the model.
 */
async function ledgerProperty(billing: BillingHarness, runs: number): Promise<void> {
  const buyers: Caller[] = [buyer(), buyer(), buyer()];
  const vendors: Caller[] = [vendor(), vendor(), vendor()];
  const model = new MoneyModel();
  const placed: string[] = [];
  let now = new Date('2026-03-15T02:00:00.000Z');
  await fc.assert(
    fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
      for (const step of actions) {
        const wrong: string[] = [];
        switch (step.kind) {
          case 'top-up':
            await billing.fund(buyers[step.buyer], step.amount);
            model.wallets[step.buyer] += step.amount;
            break;
          case 'purchase': {
            const purchase = order(
              buyers[step.buyer].organizationId,
              step.lines.map((l) => line(vendors[l.vendor].organizationId, l.price, 'CNY', l.period ? { model: 'subscription', period: l.period } : { model: 'one_time' })),
            );
            const total = step.lines.reduce((sum, l) => sum + l.price, 0);
            const expected = model.wallets[step.buyer] >= total ? 'captured' : 'declined';
            const outcome = await billing.payments.charge(purchase);
            if (outcome.outcome !== expected) wrong.push(`order of ${total} with ${model.wallets[step.buyer]} in the wallet was ${outcome.outcome}, not ${expected}`);
            const modelled: ModelOrder = {
              orderId: purchase.orderId,
              buyer: step.buyer,
              captured: outcome.outcome === 'captured',
              refunded: false,
              lines: purchase.lines.map((l, i) => ({ lineId: l.lineId, vendor: step.lines[i].vendor, price: l.price.amount, renewals: 0 })),
            };
            model.orders.set(purchase.orderId, modelled);
            if (modelled.captured) model.bill(modelled, modelled.lines);
            placed.push(purchase.orderId);
            break;
          }
          case 'refund': {
            if (placed.length === 0) break;
            const modelled = model.orders.get(placed[step.pick % placed.length])!;
            if (!modelled.captured) {
              // Never charged: the clear code, and nothing changes (the balances are checked below).
              const refused = await billing.payments.refund(modelled.orderId).then(
                () => null,
                (error: { code?: string }) => error.code,
              );
              if (refused !== BillingErrorCode.ORDER_NOT_PAID) wrong.push(`refund of declined order ${modelled.orderId} answered ${String(refused)}`);
              break;
            }
            await billing.payments.refund(modelled.orderId);
            if (!modelled.refunded) model.refund(modelled);
            break;
          }
          case 'payout': {
            const owed = await billing.payable(vendors[step.vendor].organizationId);
            const amount = Math.floor((owed * step.share) / 10_000);
            if (amount >= 1) {
              const payout = await billing.wallets.requestPayout(vendors[step.vendor], { amount: { amount, currency: 'CNY' } });
              await billing.wallets.approvePayout(payout.id);
              model.payables[step.vendor] -= amount;
            }
            break;
          }
          case 'renew':
            now = addMonthsUtc(now, step.months);
            billing.clock.set(now);
            await billing.subscriptions.renewDue();
            break;
        }
        wrong.push(...model.observeRenewals((await billing.sql.query(`SELECT order_id, line_id, renewals FROM subscription`)).rows));
        for (const [i, b] of buyers.entries()) {
          const balance = await billing.walletBalance(b.organizationId);
          if (balance !== model.wallets[i]) wrong.push(`wallet of buyer ${i} holds ${balance}, the model ${model.wallets[i]}`);
        }
        for (const [i, v] of vendors.entries()) {
          const owed = await billing.payable(v.organizationId);
          if (owed !== model.payables[i]) wrong.push(`vendor ${i} is owed ${owed}, the model ${model.payables[i]}`);
        }
        wrong.push(...(await beyondTheDoors(billing)));
        await billing.invoices.numberPending();
        const broken = [...(await billing.violations()), ...(await refundViolations(billing.sql)), ...wrong];
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
  it('after every top-up, purchase, refund, payout and renewal: entries sum to zero, balances match postings and the model, no wallet below zero, one charge per paid order, every charge of a refunded order reversed with its credit note', async () => {
    const billing = await BillingHarness.start();
    try {
      await ledgerProperty(billing, 25);
      const counts = (await billing.sql.query(`SELECT kind, count(*)::int AS n FROM journal_entry GROUP BY kind`)).rows as { kind: string; n: number }[];
      // The runs really did all five things, and refunded subscriptions that had renewed.
      expect(counts.map((c) => c.kind).sort()).toEqual(['charge', 'payout', 'refund', 'renewal', 'top_up']);
      const renewalsGivenBack = await billing.sql.query(
        `SELECT count(*)::int AS n FROM journal_entry r JOIN journal_entry e ON e.id = r.reverses_entry_id JOIN credit_note c ON c.entry_id = r.id WHERE e.kind = 'renewal'`,
      );
      expect(renewalsGivenBack.rows[0].n).toBeGreaterThan(0);
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

  it('catches a refund that gives back the purchase but not the renewals (the rule before credit notes): money and the model part ways', async () => {
    class PurchaseOnly extends Reversals {
      override toGiveBack(invoices: readonly CreditableInvoice[]): CreditableInvoice[] {
        return invoices.slice(0, 1);
      }
    }
    const billing = await BillingHarness.start([{ provide: Reversals, useValue: new PurchaseOnly() }]);
    try {
      const why = await whyItFails(ledgerProperty(billing, 40));
      expect(why).toMatch(/after \{"kind":"refund".*refunded order keeps a charge it did not give back/);
      expect(why).toMatch(/wallet of buyer \d holds \d+, the model \d+/);
    } finally {
      await billing.stop();
    }
  });
});
