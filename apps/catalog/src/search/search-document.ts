import { searchTerms, type DatasetMetadata } from '@trove/dataset';
import { CURRENCY_CODES } from '@trove/licensing';
import { tsvectorText } from './search-tokens';

/** What search needs of a live public offer. */
export interface SearchableOffer {
  template: string;
  /** The pricing model; a `metered` offer's price is per unit (an hour, an image, a GiB). */
  model?: string;
  priceAmount: number;
  currency: string;
  expiresAt: Date | null;
}

/** A row of `dataset_search`: one published dataset as search filters, counts, sorts and ranks it. */
export interface SearchDocument {
  datasetId: string;
  modality: string;
  domain: string;
  languages: string[];
  languageKeys: string[];
  annotationTypes: string[];
  licenses: string[];
  /**
   * The lowest price per currency, in minor units, of the live public offers that sell the
   * dataset for one price (one-time, a subscription's period, free): a metered offer's price is
   * per unit, 8 fen a frame, and would have made a 500,000-yuan listing the cheapest of all.
   */
  minPrices: Record<string, number>;
  /** Everything the facets count, in one text column search groups by (`facetKey`). */
  facetKey: string;
  /** tsvector input text (see search-tokens.ts). */
  document: string;
  publishedAt: Date;
  /** The soonest an offer expires, or a sale that keeps an exclusive offer out ends: the row is rebuilt then. */
  refreshAt: Date | null;
}

/**
 * `modality|domain|languages|licenses`, lists comma-separated: one value to group matches by
 * for the facets (search-query.ts), read back with split_part. The values are vocabulary
 * (modalities, domains, BCP 47 tags, license templates), none with `|` or `,`. Migration
 * 1764500004000 computes the same text in SQL for rows written before it.
 */
export function facetKey(modality: string, domain: string, languages: string[], licenses: string[]): string {
  return [modality, domain, languages.join(','), licenses.join(',')].join('|');
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** The search row of a published dataset, from its metadata and its live public offers. */
export function searchDocument(
  dataset: { id: string; title: string; metadata: Record<string, unknown>; publishedAt: Date },
  offers: SearchableOffer[],
): SearchDocument {
  const metadata = dataset.metadata;
  const titleEn = typeof metadata.titleEn === 'string' ? metadata.titleEn : null;
  const description = typeof metadata.description === 'string' ? metadata.description : '';
  const languages = strings(metadata.languages);
  const minPrices: Record<string, number> = {};
  for (const offer of offers) {
    if (offer.model === 'metered') continue;
    minPrices[offer.currency] = Math.min(minPrices[offer.currency] ?? Number.MAX_SAFE_INTEGER, offer.priceAmount);
  }
  // A free offer costs nothing in any currency (it is stored under CNY, having none of its own).
  if (offers.some((offer) => offer.model === 'free')) for (const currency of CURRENCY_CODES) minPrices[currency] = 0;
  const expiries = offers.map((o) => o.expiresAt?.getTime()).filter((t): t is number => t !== undefined);
  const terms = searchTerms(metadata as Partial<DatasetMetadata>);
  const modality = String(metadata.modality);
  const domain = String(metadata.domain);
  const licenses = [...new Set(offers.map((o) => o.template))].sort();
  return {
    datasetId: dataset.id,
    modality,
    domain,
    languages,
    // `language=zh` finds zh-CN and zh-TW listings; `language=zh-CN` only the former.
    languageKeys: [...new Set(languages.flatMap((tag) => [tag, tag.split('-')[0]]))],
    annotationTypes: strings(metadata.annotationTypes),
    licenses,
    minPrices,
    facetKey: facetKey(modality, domain, languages, licenses),
    document: tsvectorText([
      { text: [dataset.title, titleEn ?? ''].join('\n'), weight: 'A' },
      { text: terms.join('\n'), weight: 'B' },
      { text: description, weight: 'C', unigrams: false },
    ]),
    publishedAt: dataset.publishedAt,
    refreshAt: expiries.length > 0 ? new Date(Math.min(...expiries)) : null,
  };
}
