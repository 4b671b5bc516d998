import { MAX_METERED_QUANTITY } from '@trove/contracts';
import type { PricingValue } from '@trove/licensing';
import { linePrice } from './orders.service';

const offer = (pricing: PricingValue) => ({ id: '0d6c1f3e-8a2b-4c5d-9e7f-1a2b3c4d5e6f', pricing });
const perHourOffer = offer({ model: 'metered', price: { amount: 18_000, currency: 'CNY' }, unit: 'hour' });
/** 180.00 yuan an hour of a 1,000-hour corpus, as it declared when the offer was made. */
const perHour = { ...perHourOffer, meteredVolume: 1000, defaultQuantity: 1000 };
const once = offer({ model: 'one_time', price: { amount: 12_800_000, currency: 'CNY' } });
const monthly = offer({ model: 'subscription', price: { amount: 3_000_000, currency: 'CNY' }, period: 'month' });
const ccBy = offer({ model: 'free' });
/** 180.00 yuan an hour of a corpus that declares 12.5 hours, as it did when the offer was made: 13 whole hours. */
const ofShortCorpus = { ...perHourOffer, meteredVolume: 13, defaultQuantity: 13 };

describe('linePrice: what one order item costs', () => {
  it.each([
    ['a one-time offer: its price', once, undefined, { amount: 12_800_000, quantity: null }],
    ['a subscription: one period', monthly, undefined, { amount: 3_000_000, quantity: null }],
    ['a free offer: nothing', ccBy, undefined, { amount: 0, quantity: null }],
    ['200 hours at 180.00 yuan an hour', perHour, 200, { amount: 3_600_000, quantity: 200 }],
    ['one hour', perHour, 1, { amount: 18_000, quantity: 1 }],
    ['every hour a 12.5-hour corpus holds', ofShortCorpus, 13, { amount: 234_000, quantity: 13 }],
    ['every hour of the whole the offer sells, after the listing declared less and then more', { ...perHourOffer, meteredVolume: 10, defaultQuantity: 5 }, 5, { amount: 90_000, quantity: 5 }],
    ['no quantity: every hour the listing declares', ofShortCorpus, undefined, { amount: 234_000, quantity: 13 }],
    // The vendor edited the listing to 13,000 hours after the offer was made: the catalog answers
    // what the offer fixed, and the order buys that, not the edit.
    ['no quantity after the listing grew: the whole volume the offer fixed', { ...perHourOffer, meteredVolume: 13_000, defaultQuantity: 13 }, undefined, { amount: 234_000, quantity: 13 }],
    ['the most units an item may buy', { ...offer({ model: 'metered', price: { amount: 1, currency: 'CNY' }, unit: 'image' }), defaultQuantity: MAX_METERED_QUANTITY * 2 }, MAX_METERED_QUANTITY, { amount: MAX_METERED_QUANTITY, quantity: MAX_METERED_QUANTITY }],
    ['GiB, counted at download: no whole needed', offer({ model: 'metered', price: { amount: 500, currency: 'CNY' }, unit: 'gib' }), 40, { amount: 20_000, quantity: 40 }],
  ])('%s', (_case, item, quantity, expected) => {
    expect(linePrice(item, quantity, 0, 'CNY')).toEqual(expected);
  });

  it.each([
    ['no quantity for GiB, counted at download', offer({ model: 'metered', price: { amount: 500, currency: 'CNY' }, unit: 'gib' }), undefined, 'quantity is required'],
    ['no quantity where the whole volume passes the most an item may buy', { ...perHourOffer, meteredVolume: MAX_METERED_QUANTITY + 1, defaultQuantity: MAX_METERED_QUANTITY + 1 }, undefined, 'quantity is required'],
    ['zero', perHour, 0, 'from 1 to'],
    ['a negative quantity', perHour, -5, 'from 1 to'],
    ['a fraction', perHour, 1.5, 'from 1 to'],
    ['more than the most an item may buy', { ...perHourOffer, defaultQuantity: MAX_METERED_QUANTITY + 5 }, MAX_METERED_QUANTITY + 1, 'from 1 to'],
    ['a line beyond the largest amount', offer({ model: 'metered', price: { amount: 100_000_000_000, currency: 'CNY' }, unit: 'gib' }), MAX_METERED_QUANTITY, 'beyond the largest amount'],
    ['more hours than the listing holds', ofShortCorpus, 1000, "at most 13: the listing's declared volume in units of hour"],
    // The listing declared 5 hours, then 10 again: the offer's whole stays 5, and the line is a
    // share of it, so a sixth hour would be charged and deliver nothing more.
    ['more hours than the whole the offer sells', { ...perHourOffer, meteredVolume: 10, defaultQuantity: 5 }, 6, 'at most 5: the whole volume offer'],
    ['more hours than the offer fixed, after the listing grew', { ...perHourOffer, meteredVolume: 13_000, defaultQuantity: 13 }, 200, 'at most 13: the whole volume offer'],
    ['a quantity for a one-time offer', once, 3, 'only for metered offers'],
    ['a quantity for a free offer', ccBy, 1, 'only for metered offers'],
    ['a quantity for a subscription', monthly, 2, 'only for metered offers'],
  ])('refuses %s as VALIDATION_FAILED on the item field', (_case, item, quantity, problem) => {
    let thrown: unknown;
    try {
      linePrice(item, quantity, 2, 'CNY');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'items.2.quantity', problems: [expect.stringContaining(problem)] }] });
  });

  // A speech corpus declares no images: one image at 5 fen was granted every file of it.
  it.each([
    ['an offer per image of a listing that declares no images', offer({ model: 'metered', price: { amount: 5, currency: 'CNY' }, unit: 'image' }), 1],
    ['an offer per hour whose listing stopped declaring hours', { ...perHourOffer, defaultQuantity: null }, 200],
    ['the same without a quantity', { ...perHourOffer, defaultQuantity: null }, undefined],
    ['an offer per hour from a catalog that answers no whole volume', { ...perHourOffer, meteredVolume: 13 }, 13],
  ])('refuses %s as OFFER_NOT_ORDERABLE: no share of it can be measured', (_case, item, quantity) => {
    expect(() => linePrice(item, quantity, 0, 'CNY')).toThrow(expect.objectContaining({ code: 'OFFER_NOT_ORDERABLE', message: expect.stringContaining('declares no volume in that unit') }));
  });
});
