import { readAs } from '@trove/dataset';
import { asciiLookAlikes } from '@trove/platform';
import { toSimplified } from '../search/search-tokens';

/**
 * A vendor's name as a reader tells it from another's: without what shows nothing, NFKC-folded
 * (full-width `Ｄａｔａ` is `Data`, `（` is `(`), case-folded (`WEISS` is `Weiß`), in simplified
 * characters (`數據堂` is `数据堂`), without the marks of Latin, Greek and Cyrillic letters
 * (`Dạtatang` is `Datatang`; see DECORATION), and without white space, punctuation, symbols and
 * the letters drawn as a dash or a dot, which a reader skims past (`Data‐tang`, `Data∙tang`, `Data|tang`, `Dataｰtang`, `Datatang “demo”`,
 * `Datatang ∼demo∼`, `Datatang ✅ (demo)` and `数据堂⦅演示⦆` read as `Datatang (demo)` and
 * `数据堂（演示）`). The signs that change what a name says (`C++`, `Q&A`, `1+1`, `@`, `#`) are
 * kept. Cyrillic and Greek letters drawn as Latin ones are those (`asciiLookAlikes`: `Dаtatang`
 * with a Cyrillic `а`, `ΑΙSHELL` with Greek capitals, read as `Datatang` and `AISHELL`).
 */
export function nameKey(name: string): string {
  return nameKeys(name)[0];
}

/**
 * The keys a name may be read by (`nameKey` first). A dash after kana is read both ways: as the
 * long-vowel mark it may stand for (`デ—タ` is `データ`) and as the separator it may be
 * (`データ-ラボ` is `データ・ラボ`, both `データラボ`). A shown name is taken by either of its keys;
 * a new name is compared dash by dash (`readsAs`).
 */
export function nameKeys(name: string): string[] {
  const read = reading(name);
  const asLongVowel = read.replaceAll(DRAWN, 'ー');
  const asSeparator = read.replaceAll(DRAWN, '');
  return asSeparator === asLongVowel ? [asLongVowel] : [asLongVowel, asSeparator];
}

/** Stands where a dash after kana was in a name's `reading`: a private-use character, taken out of the name first. */
const DRAWN = '\uE000';

/** The name as its keys are made, each dash after kana left as DRAWN. */
function reading(name: string): string {
  // Marks first, so an accented letter folds as its bare one does (`Λόγος` as `ΛΟΓΟΣ`, `Ёлка` as `Елка`).
  const folded = asciiLookAlikes(toSimplified(readAs(name.replaceAll(DRAWN, ''))).normalize('NFKD').replace(DECORATION, ''));
  return folded.replace(LONG_VOWEL_DRAWN, DRAWN).replace(SKIMMED, '').normalize('NFC');
}

/**
 * Whether a new name reads as one of `keys`, each dash after kana in it as `ー` or as nothing on
 * its own: `デ—タ-ラボ` (a long vowel, then a separator) reads as `データラボ`, which neither of its
 * two keys is.
 */
function readsAs(name: string, keys: ReadonlySet<string>): boolean {
  const read = reading(name);
  if (!read.includes(DRAWN)) return keys.has(read);
  const pattern = new RegExp(`^${read.split(DRAWN).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('ー?')}$`, 'u');
  for (const key of keys) if (pattern.test(key)) return true;
  return false;
}

/**
 * A dash, a horizontal line, a wave, `一` (the Han character for one) or the Hangul vowel `ㅡ`
 * drawn after kana where its long-vowel mark goes: `デ—タ`, `デ─タ`, `デ═タ`, `デ⎯タ`, `デ－タ`,
 * `デ〜タ`, `デ一タ`, `コ一ヒ一堂` and `デㅡタ` read as `データ` and `コーヒー堂`. (`一` after kana is
 * `ー` in a name's key: `さくら一番` and `さくらー番` are one name.)
 */
const LONG_VOWEL_DRAWN =
  /(?<=[\p{Script=Hiragana}\p{Script=Katakana}]\p{M}*)[\p{Pd}\u2212\u2053~\u23af\u2500\u2501\u2504\u2505\u2508\u2509\u254c\u254d\u2550\u2574\u2576\u2578\u257a\u257c\u257e\u31d0\u4e00\u1173\u3161]/gu;

/**
 * Marks that decorate rather than spell: those on a Latin, Greek or Cyrillic letter (accents,
 * `Dạtatang`, a stack of them) or on no letter at all (a stroke after `)`). Marks on a letter of
 * another script stay: they are its spelling (the Japanese voiced mark of `デ`, a Devanagari or
 * Thai vowel sign: `データ堂` and `テータ堂`, `कमाल` and `कमल` are different names).
 */
const DECORATION = /(?<=(?:^|[^\p{L}\p{M}]|[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{M}*)\p{M}/gu;

/**
 * Punctuation (but `&`, `@`, `#`), separators, symbols (but `+`), and letters drawn as a dash or
 * a dot; the long-vowel mark `ー` only where it stands for a dash, not after kana (`データ`).
 */
const SKIMMED = /(?![&@#+])[\p{P}\p{Z}\p{S}\u1427\u01C0\u02D7\uA7F7]|(?<![\p{Script=Hiragana}\p{Script=Katakana}]\p{M}*)[\u30FC\uFF70]/gu;

/**
 * A website as the site it names: its host in small letters without `www.` or a final dot, with
 * no scheme, port, query or fragment (`https://www.Datatang.com:443/index.html?ref=x#about` is
 * `datatang.com`). On a host many organizations share (`github.com`, `huggingface.co`, ...) the
 * first part of the path that names the organization, past the host's own route words
 * (`sites.google.com/view/…`, `huggingface.co/datasets/…`, `zhihu.com/org/…`), is kept. Null
 * when it is no URL.
 */
export function siteKey(website: string): string | null {
  let url: URL;
  try {
    url = new URL(website);
  } catch {
    return null;
  }
  const host = url.hostname.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
  if (!SHARED_HOSTS.has(host)) return host;
  const owner = url.pathname.split('/').find((part) => part.length > 0 && !ROUTE_WORDS.has(part.toLowerCase()));
  return owner ? `${host}/${owner.toLowerCase()}` : host;
}

/** Hosts whose sites belong to many organizations, each under a path of its own. */
const SHARED_HOSTS = new Set(['github.com', 'gitee.com', 'gitlab.com', 'huggingface.co', 'hf-mirror.com', 'modelscope.cn', 'sites.google.com', 'zhihu.com', 'weibo.com']);
/** The path words of those hosts that come before an organization's own name. */
const ROUTE_WORDS = new Set(['view', 'site', 'datasets', 'models', 'spaces', 'org', 'orgs', 'organization', 'organizations', 'people', 'u', 'users', 'groups']);

/** Whether `site` is `shown`'s site or a host under it (`m.datatang.com` under `datatang.com`). */
function sameSite(site: string, shown: string): boolean {
  return site === shown || (!shown.includes('/') && site.endsWith(`.${shown}`));
}

/** What another approved vendor's profile shows (its names and website). */
export interface ShownProfile {
  displayNameZh: string;
  displayNameEn: string;
  website: string | null;
}

/** Which of `names` the `others` show already, as a reader reads them, and whether one of them gives `website`'s site. */
export function takenBy(others: readonly ShownProfile[], names: readonly string[], website: string | undefined): { names: string[]; website: boolean } {
  const shownNames = new Set(others.flatMap((other) => [...nameKeys(other.displayNameZh), ...nameKeys(other.displayNameEn)]));
  const site = website === undefined ? null : siteKey(website);
  return {
    names: names.filter((name) => readsAs(name, shownNames)),
    website: site !== null && others.some((other) => {
      const shown = other.website === null ? null : siteKey(other.website);
      return shown !== null && sameSite(site, shown);
    }),
  };
}
