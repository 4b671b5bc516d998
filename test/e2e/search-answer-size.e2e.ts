import { ANNOTATION_TYPES } from '@trove/dataset';
import { commercialOffer, speechListing, VendorClient } from '../support/catalog';
import { json, TroveSystem } from '../support/system';

/**
 * A search answer travels in one NATS message. One approved vendor's listings, each within every
 * limit of the dataset model (300-character titles, 30 tags, 50 language tags, in four-byte
 * characters), made `GET /v1/datasets` a 500 for every buyer once there were 90 of them: a page
 * of 100 hits and a language facet of every tag they held did not fit. And a query's words past
 * the 32nd were dropped without a word, so a pasted sentence found what held only its first half.
 */
jest.setTimeout(300_000);

const LISTINGS = 90;
const MESSAGE_BYTES = 1024 * 1024;

describe('search answers that stay within one message', () => {
  let system: TroveSystem;
  let vendor: VendorClient;
  const anonymous = { as: 'anonymous' as const };
  const published = new Set<string>();

  /** A listing at the dataset model's limits, in CJK Extension B (four bytes a character). */
  function large(n: number): Record<string, unknown> {
    const ext = (offset: number, length: number) => String.fromCodePoint(0x20000 + offset).repeat(length);
    return speechListing({
      title: `方言语音大全 ${ext(n, 293)}`,
      titleEn: ext(n + 1, 300),
      description: `四川话、粤语、闽南话朗读与对话语音。${ext(n + 2, 380)}`,
      tags: ['方言大全', ...Array.from({ length: 29 }, (_, i) => ext(1000 + i, 40))],
      // 35 characters each: a known language with private-use subtags of the vendor's own.
      languages: Array.from({ length: 50 }, (_, i) => `zh-x-${(n * 50 + i).toString(36).padStart(8, '0')}-dialects-recorded-zz`),
      annotationTypes: [...ANNOTATION_TYPES],
    });
  }

  async function publish(n: number): Promise<void> {
    const { dataset } = await vendor.listing(large(n));
    await vendor.expect(201, `/v1/datasets/${dataset.id}/offers`, 'POST', commercialOffer());
    await vendor.expect(200, `/v1/datasets/${dataset.id}/submit`, 'POST');
    const approved = await system.request(`/v1/admin/datasets/${dataset.id}/approve`, { method: 'POST' });
    if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${await approved.text()}`);
    published.add(dataset.id);
  }

  /** Every page of a search, by its cursor: each answer's size and status, and the ids in order. */
  async function everyPage(query: string): Promise<{ pages: { status: number; bytes: number; items: number }[]; ids: string[]; last: Record<string, any> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const pages: { status: number; bytes: number; items: number }[] = [];
    const ids: string[] = [];
    let cursor: string | null = null;
    let last: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    do {
      const response = await system.request(`/v1/datasets?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, anonymous);
      const text = await response.text();
      last = JSON.parse(text);
      pages.push({ status: response.status, bytes: Buffer.byteLength(text), items: last.items?.length ?? 0 });
      if (response.status !== 200) break;
      ids.push(...last.items.map((hit: { id: string }) => hit.id));
      cursor = last.nextCursor;
    } while (cursor && pages.length < 50);
    return { pages, ids, last };
  }

  beforeAll(async () => {
    system = await TroveSystem.start({ apps: ['gateway', 'catalog', 'delivery'], env: { LOG_LEVEL: 'warn' } });
    vendor = await VendorClient.signUp(system, '方言数据工坊 Dialect Data Works');
    for (let batch = 0; batch < LISTINGS / 10; batch++) await Promise.all(Array.from({ length: 10 }, (_, i) => publish(batch * 10 + i)));
  });

  afterAll(async () => {
    await system?.stop();
  });

  it.each(['limit=100', 'limit=20', 'q=方言大全&limit=100', 'sort=price&limit=100'])('answers %s with the hits that fit, and a cursor on to every other', async (query) => {
    const { pages, ids, last } = await everyPage(query);
    expect(pages.every((page) => page.status === 200 && page.bytes < MESSAGE_BYTES && page.items > 0)).toBe(true);
    // Each listing once, none lost between pages.
    expect(ids.length).toBe(LISTINGS);
    expect(new Set(ids)).toEqual(published);
    if (query.startsWith('limit=100')) expect(pages.length).toBeGreaterThan(1);
    expect(last.total).toBe(LISTINGS);
  });

  it('lists the most frequent language tags in the facet, each counted over every match', async () => {
    const answer = await json(await system.request('/v1/datasets?limit=1', anonymous));
    const languages: { value: string; count: number }[] = answer.facets.language;
    expect(languages.length).toBe(100);
    // The bare language first, as every listing holds it; then tags of one listing each.
    expect(languages[0]).toEqual({ value: 'zh', count: LISTINGS });
    expect(languages.slice(1).every((facet) => facet.count === 1)).toBe(true);
    // A listed tag's count is what filtering on it finds.
    const tag = languages[1].value;
    expect((await json(await system.request(`/v1/datasets?language=${encodeURIComponent(tag)}`, anonymous))).total).toBe(1);
  });

  it('refuses a query of more words than it looks for, naming q, instead of dropping the rest', async () => {
    // 33 different pairs of characters, all in every listing's description, and one word in none.
    const sentence = '四川话、粤语、闽南话朗读与对话语音';
    const pairs = new Set([...sentence.replace(/、/g, '')].map((char, i, all) => char + (all[i + 1] ?? '')).filter((pair) => pair.length === 2));
    expect(pairs.size).toBeLessThan(32);
    const within = await system.request(`/v1/datasets?q=${encodeURIComponent(sentence)}&limit=1`, anonymous);
    expect([within.status, (await json(within)).total]).toEqual([200, LISTINGS]);

    // Each word counts its own pairs (普通话 is two), and none across two words: 34 in all.
    const long = `${sentence} 普通话手机采集朗读语音数据 说话人均签署单独同意书 电话信道 车载远场 儿童老人 方言口音 逐句转写 安静环境 录音棚 nosuchwordanywhere`;
    const refused = await system.request(`/v1/datasets?q=${encodeURIComponent(long)}`, anonymous);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = await json(refused);
    expect(problem).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'q', problems: [expect.stringContaining('at most 32 words')] }] });
  });
});
