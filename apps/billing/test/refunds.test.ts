import 'reflect-metadata';
import { BillingErrorCode, CommonErrorCode, type InvoiceView } from '@trove/contracts';
import { splitCommission } from '@trove/licensing';
import { createDataSource } from '../src/data-source';
import { CreateCreditNotes1764810000000 } from '../src/migrations/1764810000000-CreateCreditNotes';
import { BillingHarness, buyer, line, LISTINGS, OPERATOR, order, vendor } from './billing-harness';
import { refundViolations } from './refund-rules';

jest.setTimeout(120_000);

const monthly = { model: 'subscription', period: 'month' } as const;

describe('billing: refunds give back what was billed, each charge with its credit note', () => {
  let billing: BillingHarness;

  beforeAll(async () => {
    billing = await BillingHarness.start();
  });

  afterAll(async () => {
    await billing?.stop();
  });

  beforeEach(() => billing.clock.set(new Date('2026-03-15T02:00:00.000Z')));

  afterEach(async () => {
    await billing.invoices.numberPending();
    expect([...(await billing.violations()), ...(await refundViolations(billing.sql))]).toEqual([]);
  });

  const count = async (table: string) => Number((await billing.sql.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  it('cancels the invoice of a refunded purchase with a credit note: same lines, every amount below zero, its own gapless series', async () => {
    const 国网 = buyer();
    const [a, b] = [vendor(), vendor()];
    await billing.fund(国网, 2_000_000);
    const purchase = order(国网.organizationId, [line(a.organizationId, LISTINGS[3].price), line(b.organizationId, LISTINGS[4].price)]);
    await billing.payments.charge(purchase);
    const [invoice] = (await billing.invoices.list(国网, {})).items;

    billing.clock.set(new Date('2026-03-20T09:30:00.000Z'));
    const refund = await billing.payments.refund(purchase.orderId);

    const page = await billing.invoices.list(国网, {});
    expect(page.items.map((d) => d.kind)).toEqual(['credit_note', 'invoice']);
    const note = await billing.invoices.get(国网, page.items[0].id);
    expect(note).toMatchObject({
      kind: 'credit_note',
      number: expect.stringMatching(/^CN-2026-\d{6}$/),
      creditsInvoice: invoice.number,
      creditsInvoiceId: invoice.id,
      creditNoteId: null,
      orderId: purchase.orderId,
      buyerOrganizationId: 国网.organizationId,
      net: { amount: -invoice.net.amount, currency: 'CNY' },
      tax: { amount: -invoice.tax.amount, currency: 'CNY' },
      gross: { amount: -(129_900 + 99), currency: 'CNY' },
      taxRateBp: 600,
      issuedAt: '2026-03-20T09:30:00.000Z',
    });
    expect(note.net.amount + note.tax.amount).toBe(note.gross.amount);
    expect(note.lines).toEqual(
      invoice.lines.map((l) => ({ ...l, net: { ...l.net, amount: -l.net.amount }, tax: { ...l.tax, amount: -l.tax.amount }, gross: { ...l.gross, amount: -l.gross.amount } })),
    );
    // The invoice itself is never edited; it only learns which credit note cancels it.
    expect(await billing.invoices.get(国网, invoice.id)).toEqual({ ...invoice, creditNoteId: note.id });
    // The credit note is issued with the refund's reversing entry, in the same transaction.
    const entry = (await billing.sql.query(`SELECT entry_id FROM credit_note WHERE id = $1`, [note.id])).rows[0].entry_id;
    expect(entry).toBe(refund.refundId);
    expect(await billing.walletBalance(国网.organizationId)).toBe(2_000_000);

    // The kind filter, ownership, and the operator's view.
    expect((await billing.invoices.list(国网, { kind: 'credit_note' })).items.map((d) => d.id)).toEqual([note.id]);
    expect((await billing.invoices.list(国网, { kind: 'invoice' })).items.map((d) => d.id)).toEqual([invoice.id]);
    const other = buyer();
    await expect(billing.invoices.get(other, note.id)).rejects.toMatchObject({ code: CommonErrorCode.NOT_FOUND, status: 404 });
    expect((await billing.invoices.list(other, { kind: 'credit_note' })).items).toEqual([]);
    expect(await billing.invoices.get(OPERATOR, note.id)).toEqual(note);
  });

  it('issues a credit note once: a refund asked for again (a redelivery) answers the same and posts nothing', async () => {
    const 电信 = buyer();
    await billing.fund(电信, 1_000_000);
    const purchase = order(电信.organizationId, [line(vendor().organizationId, LISTINGS[1].price)]);
    await billing.payments.charge(purchase);
    const first = await billing.payments.refund(purchase.orderId);
    const [entries, notes] = [await count('journal_entry'), await count('credit_note')];

    expect(await billing.payments.refund(purchase.orderId)).toEqual(first);
    expect(await billing.payments.refundIfPaid(purchase.orderId)).toEqual(first);

    expect([await count('journal_entry'), await count('credit_note')]).toEqual([entries, notes]);
    expect(await billing.walletBalance(电信.organizationId)).toBe(1_000_000);
  });

  it('refunds a subscription that renewed twice: all three charges come back, each with its credit note, and it never renews again', async () => {
    const 联通 = buyer();
    const 标贝 = vendor();
    const price = 100_000;
    billing.clock.set(new Date('2026-01-31T04:00:00.000Z'));
    await billing.fund(联通, 1_000_000);
    const subscription = order(联通.organizationId, [line(标贝.organizationId, price, 'CNY', monthly)]);
    await billing.payments.charge(subscription);
    billing.clock.set(new Date('2026-02-28T04:00:00.000Z'));
    await billing.subscriptions.renewDue();
    billing.clock.set(new Date('2026-03-31T04:00:00.000Z'));
    await billing.subscriptions.renewDue();
    expect(await billing.walletBalance(联通.organizationId)).toBe(1_000_000 - 3 * price);
    const owed = price - splitCommission({ amount: price, currency: 'CNY' }, 2000).commission.amount;
    expect(await billing.payable(标贝.organizationId)).toBe(3 * owed);

    billing.clock.set(new Date('2026-04-02T01:00:00.000Z'));
    await billing.payments.refund(subscription.orderId);

    expect(await billing.walletBalance(联通.organizationId)).toBe(1_000_000);
    expect(await billing.payable(标贝.organizationId)).toBe(0);
    const entries = (await billing.sql.query(`SELECT kind, amount::int FROM journal_entry WHERE order_id = $1 ORDER BY created_at, kind`, [subscription.orderId])).rows;
    expect(entries.map((e) => e.kind).sort()).toEqual(['charge', 'refund', 'refund', 'refund', 'renewal', 'renewal']);
    const documents: InvoiceView[] = (await billing.invoices.list(联通, {})).items;
    const invoices = documents.filter((d) => d.kind === 'invoice');
    const notes = documents.filter((d) => d.kind === 'credit_note');
    expect(invoices).toHaveLength(3);
    expect(notes.map((n) => n.creditsInvoiceId).sort()).toEqual(invoices.map((i) => i.id).sort());
    expect(notes.every((n) => n.gross.amount === -price && n.issuedAt === '2026-04-02T01:00:00.000Z')).toBe(true);
    expect(documents.reduce((sum, d) => sum + d.gross.amount, 0)).toBe(0);
    expect((await billing.sql.query(`SELECT status FROM subscription WHERE order_id = $1`, [subscription.orderId])).rows).toEqual([{ status: 'cancelled' }]);

    // Months go by: nothing renews, nothing is charged, no event says otherwise.
    const before = await count('journal_entry');
    for (const month of ['2026-04-30T04:00:00.000Z', '2026-05-31T04:00:00.000Z', '2026-08-01T00:00:00.000Z']) {
      billing.clock.set(new Date(month));
      expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 0 });
    }
    expect(await count('journal_entry')).toBe(before);
    expect(await billing.walletBalance(联通.organizationId)).toBe(1_000_000);
    const renewed = await billing.sql.query(`SELECT count(*)::int AS n FROM outbox WHERE subject = 'evt.billing.subscription.renewed.v1' AND payload->>'orderId' = $1`, [subscription.orderId]);
    expect(renewed.rows[0].n).toBe(2);
  });

  it('gives back a lapsed subscription\'s charges as well, and leaves it lapsed', async () => {
    const 小米 = buyer();
    billing.clock.set(new Date('2026-01-10T00:00:00.000Z'));
    await billing.fund(小米, 150_000);
    const subscription = order(小米.organizationId, [line(vendor().organizationId, 100_000, 'CNY', monthly)]);
    await billing.payments.charge(subscription);
    billing.clock.set(new Date('2026-02-10T00:00:00.000Z'));
    expect(await billing.subscriptions.renewDue(subscription.orderId)).toEqual({ renewed: 0, lapsed: 1 });

    await billing.payments.refund(subscription.orderId);

    expect(await billing.walletBalance(小米.organizationId)).toBe(150_000);
    expect((await billing.sql.query(`SELECT status FROM subscription WHERE order_id = $1`, [subscription.orderId])).rows).toEqual([{ status: 'lapsed' }]);
  });

  it('gives back a renewal that runs at the same moment as the refund: the refund waits for it, or it finds the subscription ended', async () => {
    for (let round = 0; round < 6; round++) {
      const 百度 = buyer();
      billing.clock.set(new Date('2026-05-31T00:00:00.000Z'));
      await billing.fund(百度, 1_000_000);
      const subscription = order(百度.organizationId, [line(vendor().organizationId, 200_000, 'CNY', monthly), line(vendor().organizationId, 50_000, 'CNY', monthly)]);
      await billing.payments.charge(subscription);
      billing.clock.set(new Date('2026-06-30T00:00:00.000Z'));

      await Promise.all([billing.subscriptions.renewDue(subscription.orderId), billing.payments.refund(subscription.orderId)]);
      await billing.subscriptions.renewDue(subscription.orderId);

      expect({ round, wallet: await billing.walletBalance(百度.organizationId) }).toEqual({ round, wallet: 1_000_000 });
      expect(await refundViolations(billing.sql)).toEqual([]);
    }
  });

  it('refuses to refund an order never charged (declined, or unknown) with ORDER_NOT_PAID, and changes nothing', async () => {
    const 美团 = buyer();
    await billing.fund(美团, 1_000);
    const declined = order(美团.organizationId, [line(vendor().organizationId, LISTINGS[0].price)]);
    expect(await billing.payments.charge(declined)).toMatchObject({ outcome: 'declined' });
    const before = [await count('journal_entry'), await count('credit_note'), await count('invoice'), await billing.walletBalance(美团.organizationId)];

    await expect(billing.payments.refund(declined.orderId)).rejects.toMatchObject({ code: BillingErrorCode.ORDER_NOT_PAID, status: 409 });
    await expect(billing.payments.refund(order(美团.organizationId, []).orderId)).rejects.toMatchObject({ code: BillingErrorCode.ORDER_NOT_PAID, status: 409 });

    expect([await count('journal_entry'), await count('credit_note'), await count('invoice'), await billing.walletBalance(美团.organizationId)]).toEqual(before);
  });

  it('numbers credit notes gaplessly per year in their own series, apart from the invoices', async () => {
    const 字节 = buyer();
    const v = vendor();
    await billing.fund(字节, 10_000_000);
    const orders = Array.from({ length: 12 }, () => order(字节.organizationId, [line(v.organizationId, 9_900)]));
    for (const o of orders) await billing.payments.charge(o);
    await Promise.all(orders.map((o) => billing.payments.refund(o.orderId)));
    await billing.invoices.numberPending();
    const numbers = (await billing.sql.query(`SELECT year, number FROM credit_note ORDER BY seq`)).rows as { year: number; number: number }[];
    expect(numbers.map((r) => r.number)).toEqual(numbers.map((_, i) => i + 1));
    const invoiceNumbers = (await billing.sql.query(`SELECT number FROM invoice ORDER BY seq`)).rows.map((r) => r.number as number);
    expect(invoiceNumbers).toEqual(invoiceNumbers.map((_, i) => i + 1));
  });

  it('keeps its rules in the database too: a credit note that does not mirror its invoice, comes without the refund of its charge, or credits one twice, is refused', async () => {
    const 商汤 = buyer();
    await billing.fund(商汤, 500_000);
    const purchase = order(商汤.organizationId, [line(vendor().organizationId, 129_900)]);
    await billing.payments.charge(purchase);
    await billing.payments.refund(purchase.orderId);
    const note = (await billing.sql.query(`SELECT * FROM credit_note WHERE order_id = $1`, [purchase.orderId])).rows[0];
    const insert = (changes: Record<string, unknown>) => {
      const row = { ...note, ...changes };
      return billing.sql.query(
        `INSERT INTO credit_note (id, entry_id, invoice_id, order_id, buyer_organization_id, currency, net, tax, gross, tax_rate_bp, lines, issued_at, year)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [row.entry_id, row.invoice_id, row.order_id, row.buyer_organization_id, row.currency, row.net, row.tax, row.gross, row.tax_rate_bp, JSON.stringify(row.lines), row.issued_at, row.year],
      );
    };
    await expect(insert({})).rejects.toMatchObject({ constraint: 'credit_note_entry_key' });
    await expect(insert({ net: Number(note.net) + 1, gross: Number(note.gross) + 1 })).rejects.toMatchObject({ constraint: 'credit_note_mirrors_invoice' });
    await expect(insert({ net: -Number(note.net), tax: -Number(note.tax), gross: -Number(note.gross) })).rejects.toMatchObject({ constraint: 'credit_note_mirrors_invoice' });
    // Issued with an entry that is not the refund of the invoice's charge (here, the charge itself).
    const charge = (await billing.sql.query(`SELECT entry_id FROM invoice WHERE id = $1`, [note.invoice_id])).rows[0].entry_id;
    await expect(insert({ entry_id: charge })).rejects.toMatchObject({ constraint: 'credit_note_reverses_invoice_entry' });
  });
});

describe('billing: the credit-note migration', () => {
  it('issues credit notes for refunds made before it, and goes down again', async () => {
    const billing = await BillingHarness.start();
    const dataSource = createDataSource(billing.db.url);
    try {
      const 国网 = buyer();
      await billing.fund(国网, 1_000_000);
      const purchase = order(国网.organizationId, [line(vendor().organizationId, 129_900), line(vendor().organizationId, 99)]);
      await billing.payments.charge(purchase);
      await dataSource.initialize();
      const migration = new CreateCreditNotes1764810000000();
      const runner = dataSource.createQueryRunner();
      await migration.down(runner);
      // A refund as billing made it before credit notes: the reversing entry only.
      const charge = (await billing.sql.query(`SELECT id, amount FROM journal_entry WHERE order_id = $1 AND kind = 'charge'`, [purchase.orderId])).rows[0];
      await billing.sql.query('BEGIN');
      await billing.sql.query(`INSERT INTO journal_entry (id, kind, currency, amount, order_id, reverses_entry_id) VALUES (gen_random_uuid(), 'refund', 'CNY', $1, $2, $3)`, [
        charge.amount,
        purchase.orderId,
        charge.id,
      ]);
      await billing.sql.query(
        `INSERT INTO posting (entry_id, account_id, currency, amount) SELECT r.id, p.account_id, p.currency, -p.amount FROM posting p, journal_entry r WHERE p.entry_id = $1 AND r.reverses_entry_id = $1`,
        [charge.id],
      );
      await billing.sql.query('COMMIT');

      await migration.up(runner);
      await runner.release();

      const notes = (await billing.sql.query(`SELECT gross::int, tax::int, lines FROM credit_note WHERE order_id = $1`, [purchase.orderId])).rows;
      expect(notes).toEqual([{ gross: -129_999, tax: -7_359, lines: [expect.objectContaining({ gross: { amount: -129_900, currency: 'CNY' } }), expect.objectContaining({ gross: { amount: -99, currency: 'CNY' } })] }]);
      await billing.invoices.numberPending();
      expect([...(await billing.violations()), ...(await refundViolations(billing.sql))]).toEqual([]);
      const [note] = (await billing.invoices.list(国网, { kind: 'credit_note' })).items;
      expect(note).toMatchObject({ number: 'CN-2026-000001', creditsInvoice: '2026-000001' });
    } finally {
      if (dataSource.isInitialized) await dataSource.destroy();
      await billing.stop();
    }
  });
});
