// The search mix both sides run: Chinese, English and mixed words, with filters, sorts and
// pages, every answer with its facets, as buyers' tooling and the catalog page would ask.
//
// Real traffic repeats its popular searches and has a long tail of rare ones, so the mix is a
// seeded Zipf draw over a universe of distinct requests: the 24 families below are the most
// popular (ranks 1-24), then variants of them with other words, places, filters, price caps,
// sorts, page sizes and later pages, in a seeded order. Both sides read the same sequence.

/** The 24 query families, most asked first. */
export const QUERIES = [
  'q=语音',
  'q=普通话&modality=speech',
  'q=粤语&language=yue',
  'q=speech&sort=newest',
  'q=行车&modality=video&annotation=tracking',
  'q=激光雷达&sort=price',
  'q=SFT&domain=finance',
  'q=客服 对话',
  'q=图像&maxPrice=5000000&sort=price',
  'q=点云&license=research',
  'modality=text&domain=education',
  'language=en&sort=price&limit=50',
  'q=医疗',
  'q=preference pairs',
  'q=OCR&modality=image',
  'q=粤语 客服',
  'domain=energy&license=evaluation',
  'q=电力&sort=newest',
  'modality=multimodal&maxPrice=20000000',
  'q=Cantonese hours&language=yue',
  'q=上海话',
  'q=长文本&language=en',
  'q=车载语音指令&maxPrice=30000000',
  'q=retail shelf&sort=price',
];

// Words the generated catalog uses (bench/search/generate.mjs), so most variants find something.
const ZH_WORDS = [
  '语音', '普通话', '粤语', '四川话', '上海话', '闽南话', '车载语音指令', '客服', '对话', '朗读', '行车', '高速公路', '泊车', '货架', '质检',
  '电力', '巡检', '医学影像', '票据', '安防', '农田', '激光雷达', '点云', '图像', '视频', '问答', '多轮对话', '偏好', '预训练', '长文本',
  '医疗', '金融', '教育', '图文', '方言', '英语', '日语',
];
const EN_WORDS = [
  'speech', 'Cantonese', 'Mandarin', 'hours', 'driving', 'highway', 'parking', 'retail shelf', 'inspection', 'OCR', 'surveillance', 'crop',
  'LiDAR', 'SFT', 'QA', 'preference pairs', 'dialogues', 'pretraining', 'long context', 'medical', 'call-center', 'Japanese', 'images', 'video',
];
const PLACES = ['北京', '上海', '广州', '深圳', '成都', '重庆', '杭州', '武汉', '西安', '厦门', '长沙', '南京', '苏州', '天津', '沈阳'];
const MODALITIES = ['speech', 'image', 'video', 'text', 'dialogue', 'point_cloud', 'multimodal'];
const LANGUAGES = ['zh', 'zh-CN', 'yue', 'en', 'wuu', 'nan', 'ja'];
const DOMAINS = ['telecom', 'education', 'customer_service', 'automotive', 'finance', 'e-commerce', 'manufacturing', 'energy', 'healthcare', 'security', 'agriculture', 'general'];
const LICENSES = ['commercial', 'research', 'evaluation'];
const PRICES = [1_000_000, 3_000_000, 5_000_000, 10_000_000, 20_000_000, 30_000_000, 50_000_000];
const LIMITS = [10, 50, 100];

/** A small deterministic generator (mulberry32), so two runs and two sides draw the same. */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function variant(next) {
  const pick = (list) => list[Math.floor(next() * list.length)];
  const params = new URLSearchParams();
  const form = next();
  if (form < 0.15) {
    // browsing without words: filters only
  } else if (form < 0.45) params.set('q', pick(ZH_WORDS));
  else if (form < 0.65) params.set('q', pick(EN_WORDS));
  else if (form < 0.85) params.set('q', `${pick(PLACES)} ${pick(ZH_WORDS)}`);
  else params.set('q', `${pick([...ZH_WORDS, ...EN_WORDS])} ${pick([...ZH_WORDS, ...EN_WORDS])}`);
  const filters = params.has('q') ? 0.25 : 1;
  if (next() < 0.3 * filters + (params.has('q') ? 0 : 0.3)) params.set('modality', pick(MODALITIES));
  if (next() < 0.2 * filters + (params.has('q') ? 0 : 0.2)) params.set('language', pick(LANGUAGES));
  if (next() < 0.2 * filters + (params.has('q') ? 0 : 0.3)) params.set('domain', pick(DOMAINS));
  if (next() < 0.1 * filters + (params.has('q') ? 0 : 0.1)) params.set('license', pick(LICENSES));
  if (next() < 0.25) params.set('maxPrice', String(pick(PRICES)));
  const sort = next();
  if (sort < 0.2) params.set('sort', 'newest');
  else if (sort < 0.35) params.set('sort', 'price');
  if (next() < 0.15) params.set('limit', String(pick(LIMITS)));
  if (params.size === 0) params.set('sort', 'newest');
  const page = next();
  return { query: params.toString(), page: page < 0.1 ? 2 : page < 0.13 ? 3 : 1 };
}

/**
 * `size` distinct requests, most popular first: the 24 families, then seeded variants. A
 * request is `{query, page}`; a later page is asked with the cursor of the page before, which
 * the bench finds with the direct SQL before timing.
 */
export function queryUniverse(size, seed = 7) {
  const next = random(seed);
  const universe = QUERIES.map((query) => ({ query: new URLSearchParams(query).toString(), page: 1 }));
  const seen = new Set(universe.map((r) => `${r.page}|${r.query}`));
  while (universe.length < size) {
    const request = variant(next);
    const key = `${request.page}|${request.query}`;
    if (seen.has(key)) continue;
    seen.add(key);
    universe.push(request);
  }
  return universe;
}

/**
 * `length` ranks (0-based indexes into the universe) drawn with probability proportional to
 * 1 / rank^exponent: a few searches asked very often, most rarely.
 */
export function zipfSequence(size, length, { exponent = 1, seed = 11 } = {}) {
  const next = random(seed);
  const cumulative = new Float64Array(size);
  let sum = 0;
  for (let rank = 1; rank <= size; rank++) cumulative[rank - 1] = sum += 1 / rank ** exponent;
  const sequence = new Uint32Array(length);
  for (let i = 0; i < length; i++) {
    const target = next() * sum;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    sequence[i] = low;
  }
  return sequence;
}

/** A query string as the search request object the catalog validates (numbers as numbers). */
export function requestOf(query) {
  const request = {};
  for (const [name, value] of new URLSearchParams(query)) request[name] = name === 'limit' || name === 'maxPrice' ? Number(value) : value;
  return request;
}

export const pathOf = (query) => `/v1/datasets?${new URLSearchParams(query).toString()}`;
