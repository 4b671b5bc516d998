import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ANNOTATION_TYPES, type AnnotationType, canonicalLanguageTag, type Domain, DOMAINS, IsLanguageTag, MODALITIES, type Modality, trimLine } from '@trove/dataset';
import { CURRENCY_CODES, LICENSE_TEMPLATES, type LicenseTemplate } from '@trove/licensing';
import { DisplayText } from '../display-text';
import { QueryInteger } from '../query-integer';
import { rpcSubject } from '../subject';

export const SEARCH_SORTS = ['relevance', 'newest', 'price'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** The facets a search answer counts, each over the filtered set of published datasets. */
export const SEARCH_FACETS = ['modality', 'language', 'domain', 'license'] as const;
export type SearchFacet = (typeof SEARCH_FACETS)[number];

export const SEARCH_DEFAULT_LIMIT = 20;
export const SEARCH_MAX_LIMIT = 100;
export const SEARCH_MAX_QUERY_LENGTH = 200;

/** A well-formed tag is canonicalized (`zh-cn` -> `zh-CN`); anything else is left for the validator. */
const languageTag = ({ value }: { value: unknown }) => canonicalLanguageTag(value) ?? value;

/**
 * `GET /v1/datasets`: full text and filters over published datasets. The gateway validates the
 * query string against this class and the catalog validates the message again.
 */
export class SearchDatasetsRequest {
  @ApiPropertyOptional({
    description:
      'Words to find in titles, descriptions, tags and vocabulary labels, Chinese or English, with or without spaces between them; every word must match. At most 32 words, a word of Chinese, Japanese or Korean counting each pair of its characters as one: more is 400 naming q. Spaces around the words are trimmed; control characters, text-direction overrides and invisible characters (a byte order mark at either end too) are 400 naming q, as in any text Trove takes',
    example: '普通话 语音',
    maxLength: SEARCH_MAX_QUERY_LENGTH,
  })
  @IsOptional()
  @Transform(trimLine)
  @IsString()
  @MaxLength(SEARCH_MAX_QUERY_LENGTH)
  @DisplayText()
  q?: string;

  @ApiPropertyOptional({ enum: MODALITIES })
  @IsOptional()
  @IsIn(MODALITIES)
  modality?: Modality;

  @ApiPropertyOptional({ description: 'BCP 47 tag; a bare language (`zh`) also matches its regional tags (`zh-CN`, `zh-TW`)', example: 'yue' })
  @IsOptional()
  @Transform(languageTag)
  @IsLanguageTag()
  language?: string;

  @ApiPropertyOptional({ enum: DOMAINS })
  @IsOptional()
  @IsIn(DOMAINS)
  domain?: Domain;

  @ApiPropertyOptional({ enum: ANNOTATION_TYPES })
  @IsOptional()
  @IsIn(ANNOTATION_TYPES)
  annotation?: AnnotationType;

  @ApiPropertyOptional({ enum: LICENSE_TEMPLATES, description: 'A license template some live public offer of the dataset uses' })
  @IsOptional()
  @IsIn(LICENSE_TEMPLATES)
  license?: LicenseTemplate;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    description: 'Highest acceptable lowestPrice: integer minor units (fen for CNY) in decimal digits. Listings sold only per unit (metered) have no lowestPrice and are left out.',
    example: 5_000_000,
  })
  @IsOptional()
  @QueryInteger({ min: 0, max: Number.MAX_SAFE_INTEGER })
  maxPrice?: number;

  @ApiPropertyOptional({ enum: CURRENCY_CODES, description: 'Currency of maxPrice and of the price sort', default: 'CNY', example: 'CNY' })
  @IsOptional()
  @IsIn(CURRENCY_CODES, { message: `currency must be one of the currencies prices are in: ${CURRENCY_CODES.join(', ')}` })
  currency?: string;

  @ApiPropertyOptional({ enum: SEARCH_SORTS, description: 'relevance (the default with q; newest without), newest first, or lowest price first' })
  @IsOptional()
  @IsIn(SEARCH_SORTS)
  sort?: SearchSort;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: SEARCH_MAX_LIMIT, default: SEARCH_DEFAULT_LIMIT })
  @IsOptional()
  @QueryInteger({ min: 1, max: SEARCH_MAX_LIMIT })
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page, with the same query' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'cursor must be a value returned as nextCursor' })
  cursor?: string;
}

export class MoneyAmount {
  @ApiProperty({ type: 'integer', example: 12_800_000, description: 'Integer minor units' })
  amount: number;

  @ApiProperty({ example: 'CNY' })
  currency: string;
}

/** One published dataset in a search answer: what a result list shows. */
export class DatasetSearchHit {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty({ example: '普通话朗读语音数据集 1,000 小时' })
  title: string;

  @ApiProperty({ nullable: true, type: String, example: 'Mandarin read speech, 1,000 hours' })
  titleEn: string | null;

  @ApiProperty({ description: 'The start of the description' })
  summary: string;

  @ApiProperty({ enum: MODALITIES })
  modality: Modality;

  @ApiProperty({ type: [String], example: ['zh-CN'] })
  languages: string[];

  @ApiProperty({ enum: DOMAINS })
  domain: Domain;

  @ApiProperty({ enum: ANNOTATION_TYPES, isArray: true })
  annotationTypes: AnnotationType[];

  @ApiProperty({ type: [String] })
  tags: string[];

  @ApiProperty({ enum: LICENSE_TEMPLATES, isArray: true, description: 'Templates of the live public offers' })
  licenses: LicenseTemplate[];

  @ApiProperty({ type: () => MoneyAmount, nullable: true, description: 'The lowest price, in the requested currency (default CNY), of the live public offers that sell the dataset for one price (one-time, a subscription period, free); metered per-unit prices are left out, and a listing sold only per unit has null' })
  lowestPrice: MoneyAmount | null;

  @ApiProperty({ format: 'date-time' })
  publishedAt: string;

  @ApiProperty({ nullable: true, type: Number, description: 'Text relevance (higher is better) when sorted by relevance with q, else null' })
  score: number | null;
}

export class FacetCount {
  @ApiProperty({ example: 'speech' })
  value: string;

  @ApiProperty({ example: 12 })
  count: number;
}

export class SearchFacets {
  @ApiProperty({ type: [FacetCount] })
  modality: FacetCount[];

  @ApiProperty({ type: [FacetCount] })
  language: FacetCount[];

  @ApiProperty({ type: [FacetCount] })
  domain: FacetCount[];

  @ApiProperty({ type: [FacetCount] })
  license: FacetCount[];
}

export class DatasetSearchPage {
  @ApiProperty({ type: [DatasetSearchHit] })
  items: DatasetSearchHit[];

  @ApiProperty({ nullable: true, type: String, description: 'Pass as ?cursor= (same query) for the next page; null on the last' })
  nextCursor: string | null;

  @ApiProperty({ type: () => SearchFacets, description: 'Counts over every published dataset the query and filters match, not just this page' })
  facets: SearchFacets;

  @ApiProperty({ description: 'How many published datasets the query and filters match' })
  total: number;
}

export const CatalogSearchSubjects = {
  /** Anyone: published datasets only, whoever asks. */
  searchDatasets: rpcSubject<SearchDatasetsRequest, DatasetSearchPage>('catalog.dataset.search', SearchDatasetsRequest),
};
