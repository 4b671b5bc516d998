import { soldLicense, soldOutDetail } from './exclusivity-detail';

describe('soldLicense', () => {
  it.each([
    [['CN'], ['CN'], "an exclusive license for this offer's territory (CN)"],
    [['CN'], ['WORLDWIDE'], "an exclusive license for CN, which this offer's territory (WORLDWIDE) includes,"],
    [['HK'], ['CN', 'HK'], "an exclusive license for HK, which this offer's territory (CN, HK) includes,"],
    [['WORLDWIDE'], ['CN'], "an exclusive license for WORLDWIDE, which includes this offer's territory (CN),"],
    [['CN', 'HK'], ['CN'], "an exclusive license for CN, HK, which includes this offer's territory (CN),"],
    [['CN', 'SG'], ['CN', 'HK'], "an exclusive license for CN, SG, which shares CN with this offer's territory (CN, HK),"],
  ])('a sale for %j against an offer for %j', (sold, offered, expected) => {
    expect(soldLicense(sold, offered)).toBe(expected);
  });
});

describe('soldOutDetail', () => {
  it('names each sale that meets the offer, with its end, and the buyer its own order', () => {
    const detail = soldOutDetail(
      'offer-1',
      ['WORLDWIDE'],
      [
        { territories: ['HK'], endsAt: new Date('2028-12-01T00:00:00Z') },
        { territories: ['CN'], endsAt: null, yours: 'order-9' },
      ],
      null,
    );
    expect(detail).toBe(
      "Offer offer-1 cannot be bought now: an exclusive license for CN, which this offer's territory (WORLDWIDE) includes, is sold to you (order order-9), with no end; " +
        "and an exclusive license for HK, which this offer's territory (WORLDWIDE) includes, is sold, until 2028-12-01T00:00:00.000Z.",
    );
  });

  it("says what the catalog said when ordering knows none of the sales", () => {
    expect(soldOutDetail('offer-1', ['CN'], [], '2028-12-01T00:00:00.000Z')).toBe(
      "Offer offer-1 cannot be bought now: an exclusive license of its dataset that meets this offer's territory (CN) is sold, until 2028-12-01T00:00:00.000Z.",
    );
  });
});
