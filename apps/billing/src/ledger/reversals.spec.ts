import 'reflect-metadata';
import type { InvoiceLineView } from '@trove/contracts';
import { Reversals } from './reversals';

const cny = (amount: number) => ({ amount, currency: 'CNY' as const });

describe("a credit note's lines", () => {
  it('turn every amount around and repeat what the invoice line sold; a line without an item stays without one', () => {
    const lines: InvoiceLineView[] = [
      {
        lineId: 'l1',
        offerId: '0d6c1f3e-8a2b-4c5d-9e7f-1a2b3c4d5e6f',
        datasetId: '5cc83f02-f8e0-4cf4-97d0-c7013f51f764',
        vendorOrganizationId: '83100045-c005-4fe2-b0cc-915286180000',
        item: { licenseTemplate: 'commercial', pricingModel: 'metered', unit: 'hour', quantity: 200, unitPrice: cny(18_000) },
        net: cny(3_396_226),
        tax: cny(203_774),
        gross: cny(3_600_000),
      },
      { lineId: 'l2', offerId: '0d6c1f3e-8a2b-4c5d-9e7f-1a2b3c4d5e70', datasetId: '5cc83f02-f8e0-4cf4-97d0-c7013f51f765', vendorOrganizationId: '83100045-c005-4fe2-b0cc-915286180001', net: cny(94), tax: cny(5), gross: cny(99) },
    ];
    const [metered, bare] = new Reversals().creditLines(lines);
    expect(metered).toEqual({ ...lines[0], net: cny(-3_396_226), tax: cny(-203_774), gross: cny(-3_600_000) });
    expect(bare).toEqual({ ...lines[1], net: cny(-94), tax: cny(-5), gross: cny(-99) });
    expect('item' in bare).toBe(false);
  });
});
