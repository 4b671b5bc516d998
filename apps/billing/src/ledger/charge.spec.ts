import fc from 'fast-check';
import { CURRENCY_CODES } from '@trove/licensing';
import { splitCharge } from './charge';

const VENDORS = ['2b0c6c1e-5f3a-4a0e-9d1e-000000000001', '2b0c6c1e-5f3a-4a0e-9d1e-000000000002', '2b0c6c1e-5f3a-4a0e-9d1e-000000000003'];

describe('splitCharge', () => {
  it('splits 1,299.00 yuan at 20 % commission and 6 % VAT to the fen', () => {
    const split = splitCharge([{ lineId: 'l1', offerId: 'o1', datasetId: 'd1', vendorOrganizationId: VENDORS[0], price: { amount: 129_900, currency: 'CNY' } }], 2000, 600);
    expect(split).toMatchObject({ gross: 129_900, tax: 7_353, net: 122_547, revenue: 18_627 });
    expect(split.vendors.get(VENDORS[0])).toBe(103_920);
  });

  it('never loses or makes a minor unit: vendors + tax + revenue = gross, and net + tax = gross on every line', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCY_CODES),
        fc.array(fc.record({ vendor: fc.nat(2), amount: fc.integer({ min: 1, max: 2 ** 40 }) }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (currency, lines, commissionBp, vatBp) => {
          const split = splitCharge(
            lines.map((l, i) => ({ lineId: `l${i}`, offerId: 'o', datasetId: 'd', vendorOrganizationId: VENDORS[l.vendor], price: { amount: l.amount, currency } })),
            commissionBp,
            vatBp,
          );
          const vendors = [...split.vendors.values()].reduce((a, b) => a + b, 0);
          expect(vendors + split.tax + split.revenue).toBe(split.gross);
          expect(split.gross).toBe(lines.reduce((a, l) => a + l.amount, 0));
          expect(split.net + split.tax).toBe(split.gross);
          for (const line of split.invoiceLines) expect(line.net.amount + line.tax.amount).toBe(line.gross.amount);
          expect(split.invoiceLines.reduce((a, l) => a + l.tax.amount, 0)).toBe(split.tax);
        },
      ),
    );
  });
});
