// 100,000 published listings that look like the market's (speech corpora with dialects and
// hours, driving video, LiDAR, SFT and dialogue sets, image-text pairs), written straight into
// a catalog database: the dataset rows and their search rows, made by the catalog's own search
// document code (from dist/), in multi-row INSERTs of a few thousand rows.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { exampleMetadata, MODALITIES, DOMAINS, DOMAIN_LABELS } = require(path.join(ROOT, 'dist/libs/dataset/src/index.js'));
const { searchDocument } = require(path.join(ROOT, 'dist/apps/catalog/src/search/search-document.js'));
const { searchRowParams } = require(path.join(ROOT, 'dist/apps/catalog/src/search/search.repository.js'));

/** A small deterministic generator, so two runs search the same catalog. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLACES = ['北京', '上海', '广州', '深圳', '成都', '重庆', '杭州', '武汉', '西安', '厦门', '长沙', '南京', '苏州', '天津', '沈阳'];
const SPEECH_KINDS = [
  { zh: '普通话朗读', en: 'Mandarin read speech', languages: ['zh-CN'], dialects: [], style: 'read' },
  { zh: '普通话自由对话', en: 'Mandarin conversational speech', languages: ['zh-CN'], dialects: [], style: 'conversational' },
  { zh: '粤语', en: 'Cantonese speech', languages: ['yue'], dialects: ['粤语 Cantonese'], style: 'conversational' },
  { zh: '四川话', en: 'Sichuanese speech', languages: ['zh-CN'], dialects: ['四川话 Sichuanese'], style: 'spontaneous' },
  { zh: '上海话', en: 'Shanghainese speech', languages: ['wuu'], dialects: ['上海话 Shanghainese'], style: 'read' },
  { zh: '闽南话', en: 'Hokkien speech', languages: ['nan'], dialects: ['闽南话 Hokkien'], style: 'conversational' },
  { zh: '英语', en: 'English speech', languages: ['en'], dialects: [], style: 'read' },
  { zh: '日语', en: 'Japanese speech', languages: ['ja'], dialects: [], style: 'read' },
  { zh: '车载语音指令', en: 'in-car voice commands', languages: ['zh-CN'], dialects: [], style: 'command' },
  { zh: '电话客服', en: 'call-center speech', languages: ['zh-CN'], dialects: [], style: 'conversational' },
];
const VISION = [
  { zh: '城市道路行车', en: 'urban driving', scene: 'driving', annotations: ['bounding_box', 'tracking'], domain: 'automotive' },
  { zh: '高速公路', en: 'highway driving', scene: 'driving', annotations: ['bounding_box', 'polyline'], domain: 'automotive' },
  { zh: '停车场泊车', en: 'parking', scene: 'parking', annotations: ['keypoints', 'segmentation'], domain: 'automotive' },
  { zh: '商超货架', en: 'retail shelf', scene: 'retail', annotations: ['bounding_box', 'ocr_text'], domain: 'e-commerce' },
  { zh: '工业质检', en: 'industrial inspection', scene: 'industrial', annotations: ['polygon', 'segmentation'], domain: 'manufacturing' },
  { zh: '电力巡检', en: 'power line inspection', scene: 'aerial', annotations: ['bounding_box'], domain: 'energy' },
  { zh: '医学影像', en: 'medical imaging', scene: 'medical', annotations: ['segmentation'], domain: 'healthcare' },
  { zh: '票据文档', en: 'document OCR', scene: 'documents', annotations: ['ocr_text'], domain: 'finance' },
  { zh: '安防监控', en: 'surveillance', scene: 'surveillance', annotations: ['bounding_box', 'tracking'], domain: 'security' },
  { zh: '农田作物', en: 'crop field', scene: 'agriculture', annotations: ['classification'], domain: 'agriculture' },
];
const TEXT_KINDS = [
  { zh: '问答 SFT', en: 'QA SFT', annotations: ['question_answer'], tags: ['SFT', 'instruction tuning'] },
  { zh: '多轮对话', en: 'multi-turn dialogues', annotations: ['intent'], tags: ['多轮对话', 'dialogue'] },
  { zh: '偏好对', en: 'preference pairs', annotations: ['preference_ranking'], tags: ['偏好数据', 'RLHF', 'DPO'] },
  { zh: '预训练语料', en: 'pre-training corpus', annotations: ['classification'], tags: ['预训练', 'pretraining'] },
  { zh: '长文本', en: 'long-context documents', annotations: ['question_answer'], tags: ['长文本', 'long context'] },
];
const TEMPLATES = ['commercial', 'commercial', 'commercial', 'research', 'evaluation'];

function listing(i, next) {
  const pick = (list) => list[Math.floor(next() * list.length)];
  const modality = MODALITIES[i % MODALITIES.length];
  const n = 1 + Math.floor(next() * 999);
  const place = pick(PLACES);
  const fields = { modality };
  if (modality === 'speech') {
    const kind = pick(SPEECH_KINDS);
    Object.assign(fields, {
      title: next() < 0.75 ? `${place}${kind.zh}语音数据 ${n} 小时` : `${kind.en[0].toUpperCase()}${kind.en.slice(1)}, ${n} hours (${place})`,
      description: `${n} 小时${kind.zh}语音，${Math.max(1, Math.floor(n * 2.5))} 名说话人，${place}采集，句准确率不低于 97%。${kind.en}, ${n} hours.`,
      languages: kind.languages,
      domain: pick(['telecom', 'education', 'customer_service', 'automotive', 'general', 'finance', 'smart_home']),
      annotationTypes: ['transcription'],
      tags: [kind.zh, 'ASR'],
      speech: { ...exampleMetadata('speech').speech, hours: n, dialects: kind.dialects, styles: [kind.style] },
    });
  } else if (modality === 'image' || modality === 'video' || modality === 'point_cloud') {
    const kind = pick(VISION);
    const [zh, en] =
      modality === 'image' ? [`${place}${kind.zh}图像 ${n} 万张`, `${kind.en} images, ${n}k`]
        : modality === 'video' ? [`${place}${kind.zh}视频 ${n} 段`, `${kind.en} video, ${n} clips`]
          : [`${place}${kind.zh}激光雷达点云 ${n} 万帧`, `${kind.en} LiDAR point clouds, ${n}k frames`];
    Object.assign(fields, {
      title: zh,
      titleEn: en,
      description: `${place}${kind.zh}场景，${kind.annotations.join('、')} 标注，标注准确率 97%。`,
      domain: kind.domain,
      annotationTypes: modality === 'point_cloud' ? ['cuboid_3d', ...kind.annotations.filter((a) => a === 'tracking' || a === 'segmentation')] : kind.annotations,
      tags: [kind.zh, kind.en],
    });
  } else {
    const kind = pick(TEXT_KINDS);
    const domain = pick(DOMAINS);
    const label = DOMAIN_LABELS[domain];
    Object.assign(fields, {
      title:
        modality === 'multimodal' ? `${label.zh}图文对数据 ${n} 万组`
          : next() < 0.7 ? `${label.zh}${kind.zh}数据 ${n} 万条` : `${label.en} ${kind.en}, ${n}k`,
      description: `${label.zh}领域${kind.zh}，专家撰写与双人复核。${label.en} ${kind.en} written by experts.`,
      domain,
      languages: next() < 0.8 ? ['zh-CN'] : ['zh-CN', 'en'],
      annotationTypes: modality === 'multimodal' ? ['caption'] : kind.annotations,
      tags: kind.tags,
    });
  }
  const metadata = { ...exampleMetadata(modality), ...fields };
  const offers = Array.from({ length: 1 + Math.floor(next() * 2) }, () => ({
    template: pick(TEMPLATES),
    priceAmount: 100_000 * (1 + Math.floor(next() * 500)),
    currency: 'CNY',
    expiresAt: null,
  }));
  return { metadata, offers };
}

/** Inserts `count` published listings; returns how long it took. */
export async function generate(client, count = 100_000, { batch = 2000, seed = 20261130 } = {}) {
  const next = random(seed);
  const vendors = Array.from({ length: 200 }, () => randomUUID());
  const now = Date.now();
  const started = Date.now();
  // A bulk load goes faster into a bare table; the migration's own indexes are rebuilt after it.
  // The table is partitioned by modality: dropping the parent's indexes drops its partitions'
  // too; they are rebuilt partitions first, so the parent's adopt them under their own names.
  const { rows: indexes } = await client.query(
    `SELECT tablename, indexname, indexdef FROM pg_indexes
     WHERE (tablename = 'dataset_search' OR tablename LIKE 'dataset\\_search\\_%') AND indexname NOT LIKE '%pkey'
     ORDER BY tablename = 'dataset_search', indexname`,
  );
  for (const { tablename, indexname } of indexes) if (tablename === 'dataset_search') await client.query(`DROP INDEX ${indexname}`);
  for (let from = 0; from < count; from += batch) {
    const datasets = [];
    const documents = [];
    for (let i = from; i < Math.min(count, from + batch); i++) {
      const { metadata, offers } = listing(i, next);
      const id = randomUUID();
      const publishedAt = new Date(now - Math.floor(next() * 730 * 86_400_000));
      const vendor = vendors[Math.floor(next() * vendors.length)];
      datasets.push([id, vendor, metadata.title, JSON.stringify(metadata), publishedAt]);
      documents.push(searchRowParams(searchDocument({ id, title: metadata.title, metadata, publishedAt }, offers)));
    }
    const column = (rows, i) => rows.map((row) => row[i]);
    await client.query(
      `INSERT INTO dataset (id, vendor_organization_id, title, status, metadata, published_at, submitted_at)
       SELECT id, vendor, title, 'published', metadata::jsonb, published_at, published_at
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[]) AS t(id, vendor, title, metadata, published_at)`,
      [0, 1, 2, 3, 4].map((i) => column(datasets, i)),
    );
    // Arrays of arrays do not fit unnest's one dimension: they travel as JSON text.
    await client.query(
      `INSERT INTO dataset_search (dataset_id, modality, domain, languages, language_keys, annotation_types, licenses, min_prices, document, published_at, refresh_at, facet_key)
       SELECT d.id, d.modality, d.domain,
              ARRAY(SELECT jsonb_array_elements_text(d.languages::jsonb)), ARRAY(SELECT jsonb_array_elements_text(d.language_keys::jsonb)),
              ARRAY(SELECT jsonb_array_elements_text(d.annotation_types::jsonb)), ARRAY(SELECT jsonb_array_elements_text(d.licenses::jsonb)),
              d.min_prices::jsonb, d.document::tsvector, d.published_at, NULL, d.facet_key
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[], $11::text[])
         AS d(id, modality, domain, languages, language_keys, annotation_types, licenses, min_prices, document, published_at, facet_key)`,
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11].map((i) => column(documents, i).map((value) => (Array.isArray(value) ? JSON.stringify(value) : value))),
    );
  }
  await client.query(`SET maintenance_work_mem = '256MB'`);
  for (const { indexdef } of indexes) await client.query(indexdef.replace(' ON ONLY ', ' ON '));
  await client.query('ANALYZE dataset_search');
  await client.query('ANALYZE dataset');
  return (Date.now() - started) / 1000;
}
