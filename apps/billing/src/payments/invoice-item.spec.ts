import type { PlacedOrderLineV1 } from '@trove/contracts';
import { invoiceItem } from './order-payments.consumer';

const line = (pricing: PlacedOrderLineV1['pricing'], amount: number, licenseTemplate = 'commercial'): PlacedOrderLineV1 => ({
  lineId: 'line-1',
  offerId: '0d6c1f3e-8a2b-4c5d-9e7f-1a2b3c4d5e6f',
  datasetId: '5cc83f02-f8e0-4cf4-97d0-c7013f51f764',
  vendorOrganizationId: '83100045-c005-4fe2-b0cc-915286180000',
  price: { amount, currency: 'CNY' },
  pricing,
  licenseTemplate,
  termsSha256: 'c'.repeat(64),
});

describe('what an invoice line says was sold', () => {
  it.each([
    ['200 hours at 180.00 yuan', line({ model: 'metered', unit: 'hour', quantity: 200 }, 3_600_000), { licenseTemplate: 'commercial', pricingModel: 'metered', unit: 'hour', quantity: 200, unitPrice: { amount: 18_000, currency: 'CNY' } }],
    ['10,000 images at 3 fen', line({ model: 'metered', unit: 'image', quantity: 10_000 }, 30_000, 'research'), { licenseTemplate: 'research', pricingModel: 'metered', unit: 'image', quantity: 10_000, unitPrice: { amount: 3, currency: 'CNY' } }],
    ['a one-time license', line({ model: 'one_time' }, 12_800_000), { licenseTemplate: 'commercial', pricingModel: 'one_time', quantity: 1, unitPrice: { amount: 12_800_000, currency: 'CNY' } }],
    ['a month of a subscription', line({ model: 'subscription', period: 'month' }, 660_000), { licenseTemplate: 'commercial', pricingModel: 'subscription', period: 'month', quantity: 1, unitPrice: { amount: 660_000, currency: 'CNY' } }],
  ])('%s', (_case, placed, item) => {
    expect(invoiceItem(placed)).toEqual(item);
  });
});
