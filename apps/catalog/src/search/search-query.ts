import {
  CommonErrorCode,
  SEARCH_DEFAULT_LIMIT,
  SEARCH_FACETS,
  type DatasetSearchHit,
  type DatasetSearchPage,
  type FacetCount,
  type SearchDatasetsRequest,
  type SearchFacets,
  type SearchSort,
} from '@trove/contracts';
import { MODALITIES } from '@trove/dataset';
import { ANSWER_MAX_BYTES, CURSOR_UUID, cursorScopeTag, isIsoTimestamp, jsonBytes, leadingWithin, ServiceException } from '@trove/platform';
import { searchQueries } from './search-tokens';

/**
 * The one statement behind `GET /v1/datasets`: the published datasets that match (full text and
 * filters), a page of them in the requested order after the cursor, their total and the facet
 * counts over all of them, in one round trip. Pure: the service runs it, and the search bench
 * runs the very same text directly with `pg` as its baseline.
 */
export interface SearchStatement {
  sql: string;
  params: unknown[];
  /** What the answer is built with. */
  limit: number;
  currency: string;
  sort: SearchSort;
  /** What this search's cursors carry, so that another search's cursor is refused (searchCursorTag). */
  cursorTag: string;
  /**
   * How many of the matches' leading keys in order the row's `ordered` column holds at most, one
   * more telling whether there are others (0: no such column), so that other page sizes and later
   * pages of the same search can be read without the matches.
   */
  ordered: number;
  /** The key the cursor names, after which this page starts; null on a first page. */
  after: CursorKey | null;
}

/** Keyset position after the last item of a page; which values depends on the sort. */
type CursorKey = [score: number | null, publishedAt: string, id: string, price: string | number];

interface Cursor {
  sort: SearchSort;
  key: CursorKey;
  tag: string;
}

const MAX_PRICE = '9223372036854775807';
/** The price `dataset_search_price_cny_idx` is on: the yuan offer, and listings without one last. */
const PRICE_CNY = `coalesce((s.min_prices ->> 'CNY')::bigint, ${MAX_PRICE})`;
/**
 * A tallied search's page is read in index order when its matches are at least this share of
 * every partition they are in: a page of 101 then reads about 2,000 index entries at most.
 */
const INDEX_ORDER_SHARE = 0.05;
/** The largest finite PostgreSQL real (a relevance score is one), and the smallest it reads without underflow. */
const REAL_MAX = 3.4028234663852886e38;
const REAL_MIN = 1.5e-45;
/** Characters of the description a result shows. */
export const SUMMARY_LENGTH = 160;

const ORDER: Record<SearchSort, { order: string; after: string }> = {
  relevance: {
    order: 'score DESC, published_at DESC, dataset_id DESC',
    after: '(score, published_at, dataset_id) < ($S::real, $P::timestamptz, $I::uuid)',
  },
  newest: {
    order: 'published_at DESC, dataset_id DESC',
    after: '(published_at, dataset_id) < ($P::timestamptz, $I::uuid)',
  },
  price: {
    order: 'price ASC, dataset_id ASC',
    after: '(price, dataset_id) > ($C::bigint, $I::uuid)',
  },
};

function badCursor(): ServiceException {
  return new ServiceException(CommonErrorCode.VALIDATION_FAILED, 'cursor: not a nextCursor of this search', [
    { field: 'cursor', problems: ['cursor must be the nextCursor of the same search (same q, filters and sort)'] },
  ]);
}

/**
 * A short digest of everything that selects and orders a search's results: its words (as they
 * are searched for), filters, price cap, currency and sort; not the page size. A cursor carries
 * it, so the nextCursor of one search is refused by another (other words, a CNY price cursor in
 * a USD search) instead of paging it from a position that means nothing there.
 */
export function searchCursorTag(request: SearchDatasetsRequest, query: string | null, sort: SearchSort, currency: string): string {
  const scope = [query ?? '', request.modality ?? null, request.domain ?? null, request.language ?? null, request.annotation ?? null, request.license ?? null, request.maxPrice ?? null, currency, sort];
  return cursorScopeTag(JSON.stringify(scope));
}

export function encodeSearchCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, ...cursor.key, cursor.tag]), 'utf8').toString('base64url');
}

export function decodeSearchCursor(text: string, sort: SearchSort, tag: string): CursorKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 6 || parsed[0] !== sort || parsed[5] !== tag) throw badCursor();
  const [, score, publishedAt, id, price] = parsed as [string, unknown, unknown, unknown, unknown];
  // Each value goes into the statement with a cast (::real, ::timestamptz, ::uuid, ::bigint):
  // one the cast refuses would be a server error, so it is refused here as a bad cursor.
  const valid =
    (score === null ? sort !== 'relevance' : typeof score === 'number' && (score === 0 || (Math.abs(score) >= REAL_MIN && Math.abs(score) <= REAL_MAX))) &&
    isIsoTimestamp(publishedAt) &&
    typeof id === 'string' &&
    CURSOR_UUID.test(id) &&
    (typeof price === 'number' || typeof price === 'string') &&
    /^\d{1,19}$/.test(String(price)) &&
    BigInt(String(price)) <= BigInt(MAX_PRICE);
  if (!valid) throw badCursor();
  return [score as number | null, publishedAt as string, id as string, price as string | number];
}

/** The most language tags the language facet lists, the most frequent first. */
export const LANGUAGE_FACET_VALUES = 100;

/**
 * The statement for a validated request. A search without words or annotation filters only on
 * what each row's `facet_key` holds (modality, domain, languages, licenses) and its price, so its
 * total and facets are sums over `search_facet_tally` (migration 1764500005000; under a price cap
 * in yuan, `search_price_tally`, migration 1765900000000, and the listings of the cap's own price
 * band) and its page comes in order from an index; any other search reads its matches once for
 * both. The two give the same answer (search.test.ts compares them); `tally: false` asks for the
 * second always, and `indexOrderShare` moves the share of matches below which a tallied page is
 * sorted rather than read in index order (see below).
 */
export function searchStatement(
  request: SearchDatasetsRequest,
  { tally = true, indexOrderShare = INDEX_ORDER_SHARE, ordered = 0 }: { tally?: boolean; indexOrderShare?: number; ordered?: number } = {},
): SearchStatement {
  const params: unknown[] = [];
  const param = (value: unknown): string => `$${params.push(value)}`;
  const { currency, limit, query, rank, effective } = searchShape(request);

  const currencyParam = param(currency);
  const where: string[] = [];
  let score = 'NULL::real';
  if (request.q !== undefined && request.q !== '') {
    if (query === null) {
      // Only punctuation or symbols: nothing to look for, so nothing matches.
      where.push('false');
    } else {
      where.push(`s.document @@ ${param(query)}::tsquery`);
      // Ranking reads every matching document: only when the order needs it; by the words asked (`searchQueries`).
      if (effective === 'relevance') score = rankOf(`${param(rank)}::tsquery`);
    }
  }
  // The same filters on a tally row's facet_key (modality|domain|languages|licenses): those that
  // compare one part of the key with a value (cheap enough for every price band's row), and those
  // that read one of its lists (a language matches a tag or its primary subtag, as language_keys
  // holds both).
  const talliedByPart: string[] = [];
  const talliedByList: string[] = [];
  const facetPart = (n: number) => `split_part(facet_key, '|', ${n})`;
  const facetList = (n: number) => `string_to_array(nullif(${facetPart(n)}, ''), ',')`;
  let modalityTallied: string | undefined;
  if (request.modality) {
    const value = param(request.modality);
    where.push(`s.modality = ${value}`);
    talliedByPart.push((modalityTallied = `${facetPart(1)} = ${value}`));
  }
  if (request.domain) {
    const value = param(request.domain);
    where.push(`s.domain = ${value}`);
    talliedByPart.push(`${facetPart(2)} = ${value}`);
  }
  if (request.language) {
    const value = param(request.language);
    where.push(`s.language_keys @> ARRAY[${value}::text]`);
    talliedByList.push(`EXISTS (SELECT 1 FROM unnest(${facetList(3)}) AS t(tag) WHERE tag = ${value} OR split_part(tag, '-', 1) = ${value})`);
  }
  if (request.annotation) where.push(`s.annotation_types @> ARRAY[${param(request.annotation)}::text]`);
  if (request.license) {
    const value = param(request.license);
    where.push(`s.licenses @> ARRAY[${value}::text]`);
    talliedByList.push(`${value} = ANY(${facetList(4)})`);
  }
  let cap: string | undefined;
  if (request.maxPrice !== undefined) {
    cap = `${param(request.maxPrice)}::bigint`;
    where.push(`(s.min_prices ->> ${currencyParam})::bigint <= ${cap}`);
  }
  // The partitions a tallied page walks, named in the statement: only the vocabulary's own values.
  const walked = MODALITIES.filter((modality) => !request.modality || modality === request.modality);
  // A price cap is tallied in yuan only (search_price_tally, migration 1765900000000).
  const fromTally =
    tally && (request.q === undefined || request.q === '') && !request.annotation && (cap === undefined || currency === 'CNY') && walked.length > 0;
  // Tallied, the same cap again in the words of `dataset_search_price_cny_idx`, so that the few
  // matches under a low cap, or of the cap's own band, are read from it. (The index puts listings
  // without a yuan offer at the largest bigint, past any cap a request may carry, and the
  // condition above drops them anyway.)
  if (fromTally && cap !== undefined) where.push(`${PRICE_CNY} <= ${cap}`);
  // The leading keys in order: only for a search that reads its matches (a tallied one is cheap
  // anyway) from its first page.
  const keys = fromTally || request.cursor || ordered === 0 ? 0 : Math.max(limit, ordered);

  const { order, after } = ORDER[effective];
  const cursorTag = searchCursorTag(request, query, effective, currency);
  let cursorCondition = 'true';
  const cursorKey = request.cursor ? decodeSearchCursor(request.cursor, effective, cursorTag) : null;
  if (cursorKey) {
    const [keyScore, publishedAt, id, price] = cursorKey;
    const values: Record<string, unknown> = { $S: keyScore, $P: publishedAt, $I: id, $C: String(price) };
    cursorCondition = after.replace(/\$[SPIC]/g, (name) => param(values[name]));
  }
  // Facets and the total from the matches grouped once by everything the facets count, which
  // each row keeps in one text column (`facet_key`: modality|domain|languages|licenses, see
  // search-document.ts): the 14,000 matches of `语音` make 252 combinations (all 100,000
  // listings 1,008), and each facet sums those instead of reading every match again. Hashing
  // one text column costs less than four columns, two of them arrays.
  const part = (n: number) => `split_part(k, '|', ${n})`;
  const facet = (n: number, list: boolean) =>
    list
      ? `(SELECT coalesce(json_agg(json_build_array(v, n) ORDER BY n DESC, v), '[]'::json) FROM (SELECT v, sum(n)::int AS n FROM combinations, unnest(string_to_array(nullif(${part(n)}, ''), ',')) AS v GROUP BY v) f)`
      : `(SELECT coalesce(json_agg(json_build_array(v, n) ORDER BY n DESC, v), '[]'::json) FROM (SELECT ${part(n)} AS v, sum(n)::int AS n FROM combinations GROUP BY 1) f)`;

  // Languages count each tag and, once per listing, its bare language (`en` for en-US and en-GB),
  // as the language filter matches them: a facet's count is what filtering on its value finds.
  // The other facets hold the vocabulary's values only; language tags are the vendors' own, so
  // only the LANGUAGE_FACET_VALUES most frequent are listed: fifty listings of fifty made-up
  // private-use tags each made the answer too large for its message, a 500 for every search.
  const languageFacet = `(SELECT coalesce(json_agg(json_build_array(v, n) ORDER BY n DESC, v), '[]'::json) FROM (SELECT v, sum(n)::int AS n FROM combinations,
     LATERAL (SELECT DISTINCT x FROM unnest(string_to_array(nullif(${part(3)}, ''), ',')) AS t(tag), unnest(ARRAY[tag, split_part(tag, '-', 1)]) AS x) AS e(v)
     GROUP BY v ORDER BY n DESC, v LIMIT ${LANGUAGE_FACET_VALUES}) f)`;

  const filters = where.length > 0 ? where.join(' AND ') : 'true';
  const and = (conditions: string[]) => conditions.map((condition) => ` AND ${condition}`).join('');
  // Without an offer in the currency, last by price: the price is read from JSON once per row.
  const price = `coalesce((s.min_prices ->> ${currencyParam})::bigint, ${MAX_PRICE})`;
  // The page of a tallied search: each partition the search reads is walked in the index's order
  // (newest, or the price in yuan) when its matches are a good share of it, so that the walk
  // soon meets a page of them, and skipped when it has none; when some partition has only a few
  // (a rare language, a license few listings offer) such a walk would read most of it, so the
  // matches are gathered by their own indexes and sorted instead. The tally gives the shares
  // without reading a listing. Each walk names its modality, so the planner reads one partition.
  const page = (from: string, when: string) => `SELECT * FROM (${from}) m WHERE ${cursorCondition} AND ${when} ORDER BY ${order} LIMIT ${limit + 1}`;
  const share = (modality: string) => `(SELECT share FROM shares WHERE modality = '${modality}')`;
  const sparse = `EXISTS (SELECT 1 FROM shares WHERE share > 0 AND share < ${indexOrderShare})`;
  const walks = walked.map(
    (modality) => `(${page(
      `SELECT s.dataset_id, s.modality, s.published_at, NULL::real AS score, (s.min_prices ->> ${currencyParam})::bigint AS offer_price, ${price} AS price
      FROM dataset_search s WHERE s.modality = '${modality}' AND ${filters}`,
      `${share(modality)} >= ${indexOrderShare} AND NOT ${sparse}`,
    )})`,
  );
  const sources = fromTally
    ? `
WITH combinations AS MATERIALIZED (${
      cap === undefined
        ? `
  SELECT facet_key AS k, datasets AS n FROM search_facet_tally
  WHERE datasets > 0${and([...talliedByPart, ...talliedByList])}`
        : `
  -- Under a cap: the price bands wholly below the cap's band from the tally, and the listings
  -- of the cap's own band up to the cap from the price index, summed per key before the filters
  -- on languages and licenses are checked (OFFSET 0 keeps them out of the sum), on a thousand
  -- keys instead of every band's.
  SELECT facet_key AS k, n FROM (
    SELECT facet_key, sum(n) AS n FROM (
      SELECT facet_key, datasets AS n FROM search_price_tally
      WHERE datasets > 0 AND band < search_price_band(${cap})${and(talliedByPart)}
      UNION ALL
      SELECT s.facet_key, 1 FROM dataset_search s WHERE ${filters} AND ${PRICE_CNY} >= search_price_band(${cap})
    ) banded GROUP BY facet_key OFFSET 0
  ) summed WHERE true${and(talliedByList)}`
    }
),
shares AS MATERIALIZED (
  -- Per partition the search reads (every modality, or the one asked for): the share of its listings that match.
  SELECT listed.modality, coalesce(matching.n, 0)::float8 / listed.n AS share
  FROM (SELECT split_part(facet_key, '|', 1) AS modality, sum(datasets) AS n FROM search_facet_tally WHERE datasets > 0${modalityTallied ? ` AND ${modalityTallied}` : ''} GROUP BY 1) listed
  LEFT JOIN (SELECT split_part(k, '|', 1) AS modality, sum(n) AS n FROM combinations GROUP BY 1) matching USING (modality)
),
matched AS MATERIALIZED (
  SELECT s.dataset_id, s.modality, s.published_at, NULL::real AS score, (s.min_prices ->> ${currencyParam})::bigint AS offer_price, ${price} AS price
  FROM dataset_search s
  WHERE ${filters}
),
page AS (
  (SELECT * FROM (${walks.join('\n    UNION ALL ')}) walked ORDER BY ${order} LIMIT ${limit + 1})
  UNION ALL
  (${page('SELECT * FROM matched', sparse)})
)`
    : `
WITH matched AS MATERIALIZED (
  -- Only what ordering and counting need: the page reads the rest of its own rows afterwards.
  SELECT s.dataset_id, s.modality, s.facet_key, s.published_at,
         ${score} AS score,
         (s.min_prices ->> ${currencyParam})::bigint AS offer_price
  FROM dataset_search s
  WHERE ${filters}
),
combinations AS MATERIALIZED (
  SELECT facet_key AS k, count(*) AS n FROM matched GROUP BY facet_key
),
page AS (
  SELECT * FROM (SELECT *, coalesce(offer_price, ${MAX_PRICE}) AS price FROM matched) m
  WHERE ${cursorCondition}
  ORDER BY ${order}
  LIMIT ${Math.max(limit, keys) + 1}
)`;

  const sql = `${sources}
SELECT
  (SELECT coalesce(sum(n), 0)::int FROM combinations) AS total,
  ${itemsSql(keys > limit ? `(SELECT * FROM page ORDER BY ${order} LIMIT ${limit + 1})` : 'page', order)} AS items,
  ${facet(1, false)} AS modality,
  ${languageFacet} AS language,
  ${facet(2, false)} AS domain,
  ${facet(4, true)} AS license${keys > 0 ? `,
  (SELECT coalesce(json_agg(json_build_array(${KEY_SQL}, p.modality) ORDER BY ${inPage(order)}), '[]'::json) FROM page p) AS ordered` : ''}`;
  return { sql, params, limit, currency, sort: effective, cursorTag, ordered: keys, after: cursorKey };
}

/** A page's position in its search's order, as its items' `key` and the cursor after them carry it. */
const KEY_SQL = 'p.score, p.published_at, p.dataset_id, p.price::text';

/** An ORDER BY over the relation `p`. */
const inPage = (order: string) => order.replace(/(score|published_at|dataset_id|price)/g, 'p.$1');

/**
 * The hits of a page, in order, from `page` (dataset_id, modality, published_at, score,
 * offer_price, price): one JSON array, built the same way whether the page was read from the
 * matches or from a search's known order (orderedPageStatement).
 */
function itemsSql(page: string, order: string): string {
  return `(SELECT coalesce(json_agg(json_build_object(
      'id', p.dataset_id, 'vendorOrganizationId', d.vendor_organization_id, 'title', d.title, 'titleEn', d.metadata ->> 'titleEn',
      'summary', left(d.metadata ->> 'description', ${SUMMARY_LENGTH}), 'modality', p.modality, 'languages', x.languages, 'domain', x.domain,
      'annotationTypes', x.annotation_types, 'tags', coalesce(d.metadata -> 'tags', '[]'::jsonb), 'licenses', x.licenses,
      'price', p.offer_price, 'publishedAt', p.published_at, 'score', p.score,
      'key', json_build_array(${KEY_SQL})
    ) ORDER BY ${inPage(order)}), '[]'::json)
   FROM ${page} p
   JOIN dataset_search x ON x.dataset_id = p.dataset_id AND x.modality = p.modality
   JOIN dataset d ON d.id = p.dataset_id)`;
}

/**
 * A match's relevance score: `ts_rank` over the words asked, with the weights of titles (A),
 * tags and labels (B), descriptions (C) and the rest (D) a tenth of PostgreSQL's defaults, in the
 * same ratios. `ts_rank` joins the credit of each pair of words a document holds as
 * `1 - (1 - a)(1 - b)`, which at the default weights reached 1 for a query of five or six words
 * (in `real`, every digit of it): a listing holding them in its description scored as one holding
 * them in its title, and the newer of the two came first. A tenth of the weights keeps such sums
 * apart; a query of one word ranks exactly as before, each score a tenth.
 */
const rankOf = (tsquery: string) => `ts_rank('{0.01, 0.02, 0.04, 0.1}', s.document, ${tsquery})`;

/** What a search reads and in which order: its currency, page size, words as searched for and as ranked by, and sort. */
function searchShape(request: SearchDatasetsRequest): { currency: string; limit: number; query: string | null; rank: string | null; effective: SearchSort } {
  const texts = request.q ? searchQueries(request.q) : null;
  const query = texts?.match ?? null;
  const rank = texts?.rank ?? null;
  // Relevance needs words to be relevant to; without them the newest come first.
  const sort: SearchSort = request.sort ?? (query ? 'relevance' : 'newest');
  return {
    currency: request.currency ?? 'CNY',
    limit: request.limit ?? SEARCH_DEFAULT_LIMIT,
    query,
    rank,
    effective: sort === 'relevance' && !query ? 'newest' : sort,
  };
}

/** One match in a search's order (the `ordered` column): its item's `key`, then its modality. */
export type OrderedKey = [...key: CursorKey, modality: string];

/**
 * The items of a page of `request`'s search whose matches, in order, are `entries` (at most the
 * page size + 1, taken from the `ordered` column of the same search's statement), read by
 * primary key: exactly the items that statement would give at the same generation, which the row
 * carries beside them (`generation`). Its caller uses them only at the generation the order was
 * read at; they cost a few index reads instead of every match.
 */
export function orderedPageStatement(request: SearchDatasetsRequest, entries: readonly OrderedKey[]): { sql: string; params: unknown[] } {
  const { currency, rank, effective } = searchShape(request);
  const params: unknown[] = [currency, entries.map((entry) => entry[2]), entries.map((entry) => entry[4])];
  const score = effective === 'relevance' && rank !== null ? rankOf(`$${params.push(rank)}::tsquery`) : 'NULL::real';
  const sql = `
WITH page AS (
  SELECT s.dataset_id, s.modality, s.published_at, ${score} AS score, (s.min_prices ->> $1)::bigint AS offer_price,
         coalesce((s.min_prices ->> $1)::bigint, ${MAX_PRICE}) AS price
  FROM unnest($2::uuid[], $3::text[]) AS w(dataset_id, modality)
  JOIN dataset_search s ON s.dataset_id = w.dataset_id AND s.modality = w.modality
)
SELECT (SELECT generation FROM search_generation) AS generation, (SELECT count(*)::int FROM page) AS found,
  ${itemsSql('page', ORDER[effective].order)} AS items`;
  return { sql, params };
}

/** The statement's one row. */
export interface SearchRow {
  total: number;
  items: (Omit<DatasetSearchHit, 'lowestPrice' | 'publishedAt'> & { price: number | string | null; publishedAt: string; key: CursorKey })[];
  modality: [string, number][];
  language: [string, number][];
  domain: [string, number][];
  license: [string, number][];
  /** With `ordered` asked for: the leading matches in order, up to that many + 1. */
  ordered?: OrderedKey[];
}

/**
 * The answer from the statement's row. It travels in one NATS message: a hit may take 10 kB (two
 * 300-character titles, 30 tags, 50 language tags, in four-byte characters), so 100 of them did
 * not fit, and the search was a 500 for everyone. The page holds the leading hits that fit in
 * ANSWER_MAX_BYTES beside the facets (always the first), and its cursor goes on from the last of
 * them, as every other list does.
 */
export function searchPage(row: SearchRow, { limit, currency, sort, cursorTag }: Pick<SearchStatement, 'limit' | 'currency' | 'sort' | 'cursorTag'>): DatasetSearchPage {
  const facets = Object.fromEntries(
    SEARCH_FACETS.map((name) => [name, row[name].map(([value, count]): FacetCount => ({ value, count }))]),
  ) as unknown as SearchFacets;
  const hits = row.items.slice(0, limit).map(({ key, price, publishedAt, ...hit }) => ({
    key,
    hit: {
      ...hit,
      lowestPrice: price === null ? null : { amount: Number(price), currency },
      publishedAt: new Date(publishedAt).toISOString(),
    },
  }));
  // What the rest of the answer takes: the facets, the total and a cursor (under 1 KiB).
  const budget = ANSWER_MAX_BYTES - jsonBytes(facets) - 1024;
  const shown = leadingWithin(hits, ({ hit }) => jsonBytes(hit) + 1, budget);
  const more = shown.length < hits.length || row.items.length > limit;
  return {
    items: shown.map(({ hit }) => hit),
    nextCursor: more ? encodeSearchCursor({ sort, key: shown[shown.length - 1].key, tag: cursorTag }) : null,
    facets,
    total: row.total,
  };
}
