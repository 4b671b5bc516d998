// The search mix both sides run: Chinese, English and mixed words, with filters, sorts and
// pages, every answer with its facets, as buyers' tooling and the catalog page would ask.
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

/** A query string as the search request object the catalog validates (numbers as numbers). */
export function requestOf(query) {
  const request = {};
  for (const [name, value] of new URLSearchParams(query)) request[name] = name === 'limit' || name === 'maxPrice' ? Number(value) : value;
  return request;
}

export const pathOf = (query) => `/v1/datasets?${new URLSearchParams(query).toString()}`;
