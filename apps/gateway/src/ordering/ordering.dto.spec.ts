import { PlaceOrderRequest } from '@trove/contracts';
import { refusedFields } from '../../../../test/support/validation';
import { PlaceOrderDto } from './ordering.dto';

const OFFER = 'ebc087e7-5d0c-4b8e-9a57-3b2f1c6d8e90';

describe.each([
  ['the gateway body', PlaceOrderDto],
  ['the ordering command', PlaceOrderRequest],
])('an order names each offer once, in %s', (_name, cls) => {
  it('refuses the same offer id twice, also when one is written in capitals', () => {
    for (const second of [OFFER, OFFER.toUpperCase(), 'EBC087E7-5d0c-4B8E-9a57-3b2f1c6d8e90']) {
      expect(refusedFields(cls, { items: [{ offerId: OFFER }, { offerId: second }], acceptLicense: true })).toEqual(['items']);
    }
  });

  it('accepts two different offers, whatever their case', () => {
    expect(refusedFields(cls, { items: [{ offerId: OFFER }, { offerId: '1F0C2A9B-7E3D-4C51-8B6A-2D4E5F607182' }], acceptLicense: true })).toEqual([]);
  });
});
