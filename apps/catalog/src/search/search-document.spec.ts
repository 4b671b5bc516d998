import { searchDocument, type SearchableOffer } from './search-document';

const dataset = {
  id: '5cc83f02-f8e0-4cf4-97d0-c7013f51f764',
  title: '城市道路行车视频 目标框与跟踪标注',
  metadata: { modality: 'video', domain: 'automotive', languages: ['zh-CN'], titleEn: 'Urban Driving Video with Boxes and Tracking' },
  publishedAt: new Date('2026-11-30T08:00:00Z'),
};
const offer = (model: string, priceAmount: number, currency = 'CNY'): SearchableOffer => ({ template: 'commercial', model, priceAmount, currency, expiresAt: null });

describe("a listing's price in search", () => {
  it.each([
    ['a one-time price beside a per-frame metered one: the one-time price', [offer('one_time', 50_000_000), offer('metered', 8)], { CNY: 50_000_000 }],
    ['the lowest of a one-time price and a monthly subscription', [offer('one_time', 50_000_000), offer('subscription', 4_800_000)], { CNY: 4_800_000 }],
    ['a free offer: free, in every currency', [offer('free', 0), offer('one_time', 180_000, 'USD')], { CNY: 0, HKD: 0, MOP: 0, TWD: 0, USD: 0, EUR: 0, GBP: 0, JPY: 0, KRW: 0, SGD: 0 }],
    ['metered offers only: no price to compare', [offer('metered', 18_000), offer('metered', 500)], {}],
    ['each currency on its own', [offer('one_time', 1_200_000), offer('one_time', 180_000, 'USD'), offer('metered', 3, 'USD')], { CNY: 1_200_000, USD: 180_000 }],
  ])('%s', (_case, offers, minPrices) => {
    expect(searchDocument(dataset, offers).minPrices).toEqual(minPrices);
  });
});
