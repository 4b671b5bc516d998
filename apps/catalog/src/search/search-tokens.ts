import { Converter } from 'opencc-js';
import { CommonErrorCode } from '@trove/contracts';
import { ServiceException } from '@trove/platform';

/**
 * Tokens for full-text search, made here rather than by a PostgreSQL text-search parser, so the
 * index behaves the same whatever the cluster's locale (the embedded PostgreSQL 18 of
 * `npm start` runs LC_CTYPE=C with the builtin provider, where the parser and pg_trgm drop CJK).
 *
 * - Chinese, Japanese and Korean text, and the scripts written without spaces between words
 *   (Thai, Lao, Khmer, Myanmar): every character (for one-character queries) and every pair of
 *   neighbouring characters. A query of two or more characters looks for the pairs of each of
 *   its words (`queryWords`), so `普通话` is `普通` and `通话`, `语音` is one token served by the
 *   index, `粤语客服` is `粤语` and `客服`, and `ภาษาไทย` is found inside a longer Thai sentence.
 * - Chinese in traditional characters is folded to simplified first, in documents and queries
 *   alike (OpenCC's Hong Kong to mainland tables, `opencc-js`): `廣東話` finds `广东话`, and a
 *   listing written in Hong Kong or Taiwan is found by a mainland buyer's query.
 * - Any other letters and digits: words, NFKC-normalized (full-width `ＡＳＲ` is `asr`) and
 *   lower-cased, a number grouped by thousands also indexed whole (`2,000 小时` is found by
 *   `2000小时`, see `documentTokens`), with a plural ending taken off (`datasets` finds `dataset`,
 *   `boxes` and `box` are one word, see `normalizeWord`), and cut after
 *   MAX_WORD_CHARACTERS: PostgreSQL refuses a tsvector with a word over 2,047 bytes, and such a
 *   word in a listing failed its approval with a 500.
 *
 * Single characters are indexed for titles, tags and labels, not descriptions: a one-character
 * query finds what a listing is called and tagged, and the rows stay small enough to scan.
 *
 * Tokens become a `tsvector` written in its input syntax (`'普通':1A '通话':2A`), which no
 * parser reads either; weights say where a token came from: A title, B tags and vocabulary
 * labels, C description.
 */

/** Traditional Chinese, as written in Hong Kong, Macao and Taiwan, in simplified characters; other text as it is. */
export const toSimplified: (text: string) => string = Converter({ from: 'hk', to: 'cn' });

/** Scripts whose text is cut into characters and pairs rather than words (see above). */
const PAIRED =
  '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\p{Script=Thai}\\p{Script=Lao}\\p{Script=Khmer}\\p{Script=Myanmar}';
const RUNS = new RegExp(`([${PAIRED}]+)|((?:(?![${PAIRED}])[\\p{L}\\p{N}\\p{M}])+)`, 'gu');
/** A longer word is cut here, in documents and queries alike: 64 characters are 256 bytes at most. */
export const MAX_WORD_CHARACTERS = 64;

/** Positions above this are stored as this (PostgreSQL's limit is 16383). */
const MAX_POSITION = 16_383;
/** Positions kept per token and weight: the first is enough for ranking, and rows stay small. */
const MAX_POSITIONS_PER_WEIGHT = 1;
/**
 * A query's tokens are ANDed; a query of more is refused (400 naming `q`). It used to be cut
 * here, and every word past the 32nd was dropped without a word: a pasted sentence found
 * listings that held only its first half.
 */
export const MAX_QUERY_TOKENS = 32;

export type Weight = 'A' | 'B' | 'C';

/**
 * An English word without its plural ending: `es` after `x`, `ch`, `sh` and `ss` (`boxes`,
 * `patches`, `speeches`, `classes`: their singulars end in the consonant), otherwise a final `s`
 * but after `ss`, `us` and `is` (`datasets`; `glass`, `bus`, `analysis` stay). `es` after another
 * letter is left to the `s` rule: `cases`, `licenses`, `responses` and `sizes` are `case`,
 * `license`, `response` and `size`, whose singulars end in `e`.
 */
function normalizeWord(word: string): string {
  if (word.length > 4 && /(?:x|ch|sh|ss)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/**
 * A number written with its thousands grouped by commas: 1 to 3 digits, then groups of exactly
 * 3 (`2,000`, `1,000,000`; `２，０００` once NFKC-normalized), not part of a longer run of digits
 * and commas (`12345,678`, `1,000,00`).
 */
const GROUPED_NUMBER = /(?<!\d,?)\d{1,3}(?:,\d{3})+(?!,?\d)/g;

/**
 * Latin and Greek letters with their accents taken off (`café` is `cafe`, `Ångström` is
 * `angstrom`, `ά` is `α`), and the Latin letters that carry theirs inside (`ø`, `ł`, `đ`, `ß`,
 * `æ`, `œ`) as the letters a keyboard without them types. Marks on other scripts stay: they are
 * letters of their own there (Japanese `が` is not `か`, Russian `й` is not `и`, Thai vowels).
 */
const ACCENTED = /(?<=[\p{Script=Latin}\p{Script=Greek}]\p{M}*)\p{M}+/gu;
const WITHOUT_DECOMPOSITION: Readonly<Record<string, string>> = { ø: 'o', ł: 'l', đ: 'd', ß: 'ss', æ: 'ae', œ: 'oe', ı: 'i' };
const LETTERS_WITHOUT_DECOMPOSITION = /[øłđßæœı]/g;

function withoutAccents(text: string): string {
  return text
    .normalize('NFD')
    .replace(ACCENTED, '')
    .replace(LETTERS_WITHOUT_DECOMPOSITION, (letter) => WITHOUT_DECOMPOSITION[letter])
    .normalize('NFC');
}

/** The text as tokens are made of it: NFKC-normalized, lower-cased, without Latin and Greek accents, in simplified characters. */
function normalized(text: string): string {
  return toSimplified(withoutAccents(text.normalize('NFKC').toLowerCase()));
}

/**
 * An English possessive in a query reads as its word: `driver's` and `speakers'` as `driver` and
 * `speakers`. A listing's `driver's` is indexed as `driver` and `s`, so the `s` a query cut off at
 * the apostrophe found only listings that happened to hold a possessive. Other apostrophes
 * (`o'brien`) part words as before, in queries as in listings.
 */
function withoutPossessives(query: string): string {
  return query.replace(/(?<=\p{L})['\u2019\u02bc]s(?![\p{L}\p{N}])/gu, '').replace(/(?<=\p{L}s)['\u2019\u02bc](?![\p{L}\p{N}])/gu, '');
}

/** `text` (normalized) with its grouped numbers whole, as a query reads them: `16,000Hz` is `16000hz`. */
function wholeNumbers(text: string): string {
  return text.replace(GROUPED_NUMBER, (number) => number.replaceAll(',', ''));
}

interface Run {
  paired: boolean;
  text: string;
}

/** The runs of letters and digits of a normalized text, each word cut after MAX_WORD_CHARACTERS. */
function runs(text: string): Run[] {
  const found: Run[] = [];
  for (const match of text.matchAll(RUNS)) {
    if (match[1]) found.push({ paired: true, text: match[1] });
    else if (match[2]) found.push({ paired: false, text: normalizeWord([...match[2]].slice(0, MAX_WORD_CHARACTERS).join('')) });
  }
  return found;
}

function tokensOf(found: Run[], unigrams: boolean): { token: string; offset: number }[] {
  const tokens: { token: string; offset: number }[] = [];
  let offset = 0;
  for (const run of found) {
    if (!run.paired) {
      tokens.push({ token: run.text, offset: offset++ });
      continue;
    }
    const chars = [...run.text];
    chars.forEach((char, i) => {
      if (unigrams || chars.length === 1) tokens.push({ token: char, offset: offset + i });
      if (i + 1 < chars.length) tokens.push({ token: char + chars[i + 1], offset: offset + i });
    });
    offset += chars.length;
  }
  return tokens;
}

/**
 * Tokens of a text as indexed, in order, each with its position offset from the text's start.
 * A grouped number is indexed cut at its commas, as any other text, then whole with what is
 * written onto it (as a query reads it) and whole on its own: a listing's `2,000 小时` is found
 * by `2000小时` and `2,000` alike, `16,000Hz` by `16000hz`, `16,000hz` and `16000`, and
 * `128,256,512` (maybe a list) by `256` too. The added tokens go through the same cut as every
 * word, and come after the text's own.
 */
export function documentTokens(text: string, { unigrams = true } = {}): { token: string; offset: number }[] {
  const plain = normalized(text);
  const tokens = tokensOf(runs(plain), unigrams);
  const numbers = [...plain.matchAll(GROUPED_NUMBER)].map((number) => number[0].replaceAll(',', ''));
  if (numbers.length === 0) return tokens;
  const seen = new Set(tokens.map((t) => t.token));
  for (const t of tokensOf(runs(`${wholeNumbers(plain)} ${numbers.join(' ')}`), unigrams)) {
    if (seen.has(t.token)) continue;
    seen.add(t.token);
    tokens.push(t);
  }
  return tokens;
}

/**
 * What a query looks for: a one-character run of a paired script as itself; a longer one cut
 * into its words (`queryWords`), each as its pairs; other words as words. Every token must
 * match; duplicates are dropped. A query typed without spaces, as Chinese is, looks for each of
 * its words anywhere, as one with spaces does: `粤语客服` is `粤语` and `客服`, not also the pair
 * `语客` across them, which no listing holds.
 */
export function queryTokens(query: string): string[] {
  const tokens: string[] = [];
  for (const run of runs(wholeNumbers(withoutPossessives(normalized(query))))) {
    if (!run.paired) {
      tokens.push(run.text);
      continue;
    }
    if ([...run.text].length === 1) {
      tokens.push(run.text);
      continue;
    }
    for (const word of queryWords(run.text)) {
      const chars = [...word];
      if (chars.length === 1) tokens.push(word);
      for (let i = 0; i + 1 < chars.length; i++) tokens.push(chars[i] + chars[i + 1]);
    }
  }
  return [...new Set(tokens)];
}

/** ICU's word breaks, by dictionary for Chinese, Japanese, Thai, Lao, Khmer and Myanmar. */
const WORD_BREAKS = new Intl.Segmenter('zh', { granularity: 'word' });

/**
 * Words that say nothing of a listing when they stand between two others in a query
 * (`语音和图像`, `点云和标注`): dropped, as a query with spaces would not have them.
 */
const LONE_FUNCTION_WORDS = new Set(['的', '和', '与', '及', '或', '跟', '在', '了', '之', '等', 'の', 'と', 'や']);

/**
 * The words of a run of two or more characters written without spaces. The dictionary knows
 * common words (`粤语`, `语音`, `数据`) and leaves the trade's (`电商`, `客服`, `点云`, `标注`) as
 * single characters: a row of those is read as words of two (`电商客服` is `电商` and `客服`), as
 * most of the trade's are. A character left alone beside a word belongs to it (`普通`+`话`,
 * `上海`+`话`, `长`+`文本`, `语料`+`库`). A function word between two others (`语音和图像`,
 * `猫和狗`) is dropped and parts the words around it, which then stand alone, a character as
 * itself (`猫`, `狗`); one the dictionary reads into a word with the character before it (`云和`,
 * a county, in `点云和标注`) is taken out of it first.
 */
function queryWords(run: string): string[] {
  const pieces: string[] = [];
  for (const { segment } of WORD_BREAKS.segment(run)) {
    const chars = [...segment];
    const last = pieces.at(-1);
    if (chars.length === 2 && LONE_FUNCTION_WORDS.has(chars[1]) && last !== undefined && [...last].length === 1) pieces.push(...chars);
    else pieces.push(segment);
  }
  const words: string[] = [];
  let part: string[] = [];
  pieces.forEach((piece, i) => {
    if (i > 0 && i < pieces.length - 1 && LONE_FUNCTION_WORDS.has(piece)) {
      words.push(...wordsOfPart(part));
      part = [];
    } else part.push(piece);
  });
  words.push(...wordsOfPart(part));
  return words;
}

/** The words of a run's pieces between two function words (`queryWords`). */
function wordsOfPart(pieces: string[]): string[] {
  const grouped: string[] = [];
  let singles: string[] = [];
  const pairUp = () => {
    for (let i = 0; i < singles.length; i += 2) grouped.push(singles.slice(i, i + 2).join(''));
    singles = [];
  };
  for (const piece of pieces) {
    if ([...piece].length > 1) {
      pairUp();
      grouped.push(piece);
    } else singles.push(piece);
  }
  pairUp();
  const words: string[] = [];
  for (let i = 0; i < grouped.length; i++) {
    const word = grouped[i];
    if ([...word].length > 1 || grouped.length === 1) words.push(word);
    else if (words.length > 0) words[words.length - 1] += word;
    else grouped[i + 1] = word + grouped[i + 1];
  }
  return words;
}

/** A token quoted for tsvector and tsquery input. */
function quote(token: string): string {
  return `'${token.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * The `tsvector` input text of a document made of weighted fields, in order. Fields are kept
 * apart in positions, so a pair across two fields is never adjacent.
 */
export function tsvectorText(fields: { text: string; weight: Weight; unigrams?: boolean }[]): string {
  const positions = new Map<string, Map<Weight, number[]>>();
  let base = 1;
  for (const field of fields) {
    let last = -1;
    for (const { token, offset } of documentTokens(field.text, { unigrams: field.unigrams ?? true })) {
      const position = Math.min(base + offset, MAX_POSITION);
      const byWeight = positions.get(token) ?? new Map<Weight, number[]>();
      positions.set(token, byWeight);
      const list = byWeight.get(field.weight) ?? [];
      byWeight.set(field.weight, list);
      if (list.length < MAX_POSITIONS_PER_WEIGHT && list[list.length - 1] !== position) list.push(position);
      last = Math.max(last, offset);
    }
    base += last + 2;
  }
  const entries: string[] = [];
  for (const [token, byWeight] of positions) {
    const all = [...byWeight].flatMap(([weight, list]) => list.map((position) => ({ position, weight })));
    // One position holds one weight: the best (A before B before C) wins.
    const unique = new Map<number, Weight>();
    for (const { position, weight } of all.sort((a, b) => a.weight.localeCompare(b.weight))) if (!unique.has(position)) unique.set(position, weight);
    const list = [...unique].sort((a, b) => a[0] - b[0]).map(([position, weight]) => `${position}${weight}`);
    entries.push(`${quote(token)}:${list.join(',')}`);
  }
  return entries.join(' ');
}

/**
 * Words of the trade that buyers write in the other language, or another way: a query holding
 * one of a group's phrases finds listings holding any of them. Listings say `老年人`, `TTS` and
 * `自动驾驶`; buyers ask for `老人`, `text-to-speech` and `self-driving`, and found nothing.
 * Read at query time only, so no listing is indexed again when a group changes. Kept to words
 * that name the same thing, not related ones: `语音` and `speech` are not here, since every
 * listing's labels already carry both (`searchTerms`), nor are languages and dialects, whose
 * names in both languages are words of every listing tagged with them.
 */
const SYNONYMS: readonly (readonly string[])[] = [
  ['自动驾驶', '无人驾驶', '智能驾驶', 'autonomous driving', 'self-driving', 'driverless'],
  ['老年人', '老人', 'elderly', 'senior citizen'],
  ['儿童', '少儿', 'children', 'child', 'kid'],
  ['问答', 'QA', 'question answering', 'question answer'],
  ['语音合成', 'TTS', 'text-to-speech', 'speech synthesis'],
  ['语音识别', 'ASR', 'speech recognition'],
  ['声纹', 'speaker verification', 'speaker recognition', 'voiceprint'],
  ['唤醒词', 'wake word', 'wake-up word', 'hotword'],
  ['标注', 'annotation', 'annotated', 'labeling', 'labelling', 'labeled', 'labelled'],
  ['激光雷达', 'LiDAR'],
  ['点云', 'point cloud'],
  ['多轮对话', 'multi-turn dialogue', 'multi-turn conversation'],
  ['指令微调', 'SFT', 'instruction tuning', 'supervised fine-tuning'],
  ['偏好数据', '偏好对', 'preference pair', 'preference data', 'RLHF'],
  ['预训练', 'pretraining', 'pre-training'],
  ['长文本', 'long context', 'long-context'],
  ['文字识别', 'OCR', 'optical character recognition'],
  ['手写', 'handwriting', 'handwritten'],
  ['人脸', 'face', 'facial'],
  ['医学影像', 'medical imaging', 'medical image'],
  ['客服', 'customer service', 'call center', 'call centre', 'call-center'],
  ['远场', 'far-field'],
];

/** Each group's phrases as query tokens, each spelling once (`call center`, `call-center`). */
const SYNONYM_GROUPS = SYNONYMS.map((phrases) => {
  const unique = new Map(phrases.map(queryTokens).map((tokens) => [tokens.join(' '), tokens] as const));
  return [...unique.values()].filter((tokens) => tokens.length > 0);
});

/** The tsquery text of one alternative of a group: its tokens, all needed. */
const alternative = (tokens: string[]) => (tokens.length === 1 ? quote(tokens[0]) : `(${tokens.map(quote).join(' & ')})`);

/**
 * A search's two `tsquery` input texts, from one reading of its words, or null when the query has
 * none; a query of more than MAX_QUERY_TOKENS tokens is VALIDATION_FAILED naming `q`.
 *
 * - `match`, what a listing must hold: every token, except that where the query holds every
 *   token of a phrase of a synonym group (SYNONYMS), those tokens are needed as one of the
 *   group's phrases instead: `老人 语音` is `('老年' & '年人' | '老人' | 'elderly' | ...) & '语音'`.
 *   A query so read finds everything it found before, and more.
 * - `rank`, what the matches are ranked by: the words the buyer typed, all of them, without the
 *   other phrasings. Ranked by every alternative, a listing holding two of them in its labels
 *   (`客服` and `customer service`, both in the `customer_service` domain's) or a stray part of
 *   one in its title (`指令` of `指令微调`) scored above one with the very word asked in its
 *   title; ranked by the words asked, a title that holds them comes first, a tag next, a
 *   description after, and a listing found through another phrasing alone after those.
 */
export function searchQueries(query: string): { match: string; rank: string } | null {
  const tokens = queryTokens(query);
  if (tokens.length > MAX_QUERY_TOKENS) {
    const problem = `q must hold at most ${MAX_QUERY_TOKENS} words, each of which a listing must contain (a word of Chinese, Japanese or Korean counts each pair of its characters as one); this one holds ${tokens.length}: shorten it`;
    throw new ServiceException(CommonErrorCode.VALIDATION_FAILED, problem, [{ field: 'q', problems: [problem] }]);
  }
  if (tokens.length === 0) return null;
  const held = new Set(tokens);
  const replaced = new Set<string>();
  const groups: string[] = [];
  for (const group of SYNONYM_GROUPS) {
    const asked = group.filter((phrase) => phrase.every((token) => held.has(token)));
    if (asked.length === 0) continue;
    for (const phrase of asked) for (const token of phrase) replaced.add(token);
    groups.push(`(${group.map(alternative).join(' | ')})`);
  }
  return {
    match: [...tokens.filter((token) => !replaced.has(token)).map(quote), ...groups].join(' & '),
    rank: tokens.map(quote).join(' & '),
  };
}

/** The `match` text of `searchQueries`: what a listing must hold. */
export const tsqueryText = (query: string): string | null => searchQueries(query)?.match ?? null;
