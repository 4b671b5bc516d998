import type { DatasetMetadata } from './metadata';
import { ANNOTATION_TYPES, DOMAINS, MODALITIES, type AnnotationType, type Domain, type Modality } from './vocabulary';

/** A word of the vocabulary as buyers read it, in Chinese and in English. */
export interface Label {
  zh: string;
  en: string;
}

export const MODALITY_LABELS: Readonly<Record<Modality, Label>> = {
  speech: { zh: '语音', en: 'Speech' },
  image: { zh: '图像', en: 'Image' },
  video: { zh: '视频', en: 'Video' },
  text: { zh: '文本', en: 'Text' },
  dialogue: { zh: '对话', en: 'Dialogue' },
  point_cloud: { zh: '点云', en: 'Point cloud' },
  multimodal: { zh: '多模态', en: 'Multimodal' },
};

export const DOMAIN_LABELS: Readonly<Record<Domain, Label>> = {
  telecom: { zh: '通信', en: 'Telecom' },
  energy: { zh: '能源', en: 'Energy' },
  education: { zh: '教育', en: 'Education' },
  finance: { zh: '金融', en: 'Finance' },
  government: { zh: '政务', en: 'Government' },
  automotive: { zh: '汽车', en: 'Automotive' },
  healthcare: { zh: '医疗', en: 'Healthcare' },
  'e-commerce': { zh: '电商', en: 'E-commerce' },
  manufacturing: { zh: '制造', en: 'Manufacturing' },
  transportation: { zh: '交通', en: 'Transportation' },
  legal: { zh: '法律', en: 'Legal' },
  media: { zh: '媒体', en: 'Media' },
  agriculture: { zh: '农业', en: 'Agriculture' },
  security: { zh: '安防', en: 'Security' },
  smart_home: { zh: '智能家居', en: 'Smart home' },
  customer_service: { zh: '客服', en: 'Customer service' },
  general: { zh: '通用', en: 'General' },
};

export const ANNOTATION_LABELS: Readonly<Record<AnnotationType, Label>> = {
  classification: { zh: '分类', en: 'Classification' },
  bounding_box: { zh: '拉框', en: 'Bounding box' },
  rotated_box: { zh: '旋转框', en: 'Rotated box' },
  polygon: { zh: '多边形', en: 'Polygon' },
  polyline: { zh: '折线', en: 'Polyline' },
  keypoints: { zh: '关键点', en: 'Keypoints' },
  segmentation: { zh: '语义分割', en: 'Semantic segmentation' },
  instance_segmentation: { zh: '实例分割', en: 'Instance segmentation' },
  cuboid_3d: { zh: '3D框', en: '3D cuboid' },
  tracking: { zh: '目标跟踪', en: 'Tracking' },
  ocr_text: { zh: 'OCR文字', en: 'OCR text' },
  caption: { zh: '描述', en: 'Caption' },
  transcription: { zh: '转写', en: 'Transcription' },
  phoneme_alignment: { zh: '音素对齐', en: 'Phoneme alignment' },
  speaker_diarization: { zh: '说话人分离', en: 'Speaker diarization' },
  emotion: { zh: '情感', en: 'Emotion' },
  intent: { zh: '意图', en: 'Intent' },
  named_entity: { zh: '命名实体', en: 'Named entity' },
  sentiment: { zh: '情感倾向', en: 'Sentiment' },
  translation: { zh: '翻译', en: 'Translation' },
  question_answer: { zh: '问答', en: 'Question answering' },
  preference_ranking: { zh: '偏好排序', en: 'Preference ranking' },
};

/**
 * Names buyers use that ICU lacks or words differently: the Min, Jin and Pu-Xian varieties have
 * no ICU name at all.
 */
const EXTRA_LANGUAGE_NAMES: Readonly<Record<string, Label[]>> = {
  yue: [{ zh: '广东话', en: 'Cantonese' }],
  nan: [{ zh: '闽南话', en: 'Hokkien' }],
  wuu: [{ zh: '上海话', en: 'Shanghainese' }],
  cdo: [{ zh: '闽东语', en: 'Min Dong' }],
  cjy: [{ zh: '晋语', en: 'Jin' }],
  cpx: [{ zh: '莆仙语', en: 'Pu-Xian' }],
  czo: [{ zh: '闽中语', en: 'Min Zhong' }],
  mnp: [{ zh: '闽北语', en: 'Min Bei' }],
  czh: [{ zh: '徽语', en: 'Huizhou' }],
};

/**
 * Names of a language as it is spoken, for listings that hold speech only: Mandarin is 普通话 in
 * every speech catalog, but Chinese text, documents and signs are 中文, and a buyer who searches
 * 普通话 or Mandarin wants recordings. Given to every listing tagged `zh-CN` (most of a Chinese
 * catalog: 64 % of the search bench's), the two words found OCR images and legal text alike.
 */
const SPOKEN_LANGUAGE_NAMES: Readonly<Record<string, Label[]>> = {
  zh: [{ zh: '普通话', en: 'Mandarin' }],
};

const zhNames = new Intl.DisplayNames(['zh'], { type: 'language', fallback: 'none' });
const enNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/**
 * The names of a tag's language (`yue-HK` -> 粤语 / Cantonese, 广东话 / Cantonese), region left
 * out; with `spoken`, also its names as a spoken language (`zh` -> 普通话 / Mandarin).
 */
export function languageLabels(tag: string, { spoken = false }: { spoken?: boolean } = {}): Label[] {
  const language = tag.split('-')[0].toLowerCase();
  const extra = [...(EXTRA_LANGUAGE_NAMES[language] ?? []), ...((spoken && SPOKEN_LANGUAGE_NAMES[language]) || [])];
  let zh: string | undefined;
  let en: string | undefined;
  try {
    zh = zhNames.of(language);
    en = enNames.of(language);
  } catch {
    return extra;
  }
  return zh && en ? [{ zh, en }, ...extra] : extra;
}

/**
 * A language's name in that language (`ja` -> 日本語, `ko` -> 한국어, `yue` -> 粵語), for the
 * buyers who search in it; undefined when ICU has none, or only an English one.
 */
function ownName(tag: string): string | undefined {
  const language = tag.split('-')[0].toLowerCase();
  try {
    const name = new Intl.DisplayNames([language], { type: 'language', fallback: 'none' }).of(language);
    return name && name !== enNames.of(language) ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Words a full-text index should find a dataset by beyond its title and description: the
 * Chinese and English names of its modality, components, domain, annotation types and
 * languages (and each language's own name), its tags, dialects and accents. `语音` then finds a
 * speech dataset whose title does not say so, `粤语` one that lists only the tag `yue`, and
 * `日本語` one tagged `ja` whose Chinese page says 日语.
 */
export function searchTerms(metadata: Partial<Pick<DatasetMetadata, 'modality' | 'domain' | 'annotationTypes' | 'languages' | 'tags' | 'speech' | 'multimodal'>>): string[] {
  const words: string[] = [];
  const add = (label: Label | undefined) => label && words.push(label.zh, label.en);
  const modalities = [metadata.modality, ...(metadata.multimodal?.components ?? [])];
  for (const modality of modalities) if ((MODALITIES as readonly unknown[]).includes(modality)) add(MODALITY_LABELS[modality as Modality]);
  if ((DOMAINS as readonly unknown[]).includes(metadata.domain)) add(DOMAIN_LABELS[metadata.domain as Domain]);
  for (const type of metadata.annotationTypes ?? []) if ((ANNOTATION_TYPES as readonly unknown[]).includes(type)) add(ANNOTATION_LABELS[type]);
  // A listing holds speech as a speech corpus or as a component of a multimodal one.
  const spoken = modalities.includes('speech');
  for (const tag of metadata.languages ?? []) {
    languageLabels(tag, { spoken }).forEach(add);
    const own = ownName(tag);
    if (own) words.push(own);
  }
  words.push(...(metadata.tags ?? []), ...(metadata.speech?.dialects ?? []), ...(metadata.speech?.accents ?? []));
  return [...new Set(words)];
}
