import { Type } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { PlatformConfig } from '@trove/platform';

export class CatalogConfig extends PlatformConfig {
  /**
   * Where clients reach the gateway (its REST API), without a trailing slash: the links catalog
   * writes start with it, such as a Croissant card's `url` and each file's `contentUrl`, which
   * must be absolute to be followed from a card saved elsewhere. `npm start`'s gateway by default.
   */
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*[^\s?#/])?$/, { message: 'PUBLIC_API_URL must be an http(s):// URL without query or trailing slash (https://api.trove.example.com)' })
  PUBLIC_API_URL = 'http://localhost:3000';

  /** The largest sample file (a public preview) a vendor may upload; larger is 413. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  SAMPLE_MAX_BYTES = 10 * 1024 * 1024;

  /**
   * The most live offers (active, not expired) a listing may hold; one more is 409 CONFLICT.
   * Every one of them is on the listing's page, which travels in one NATS message (1 MiB).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  LIVE_OFFERS_PER_DATASET = 50;

  /** The most samples a listing may hold; one more is 409 CONFLICT. All are on its page. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  SAMPLES_PER_DATASET = 20;

  /** Search answers kept in memory (search/search-cache.ts); 0 turns the cache off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  SEARCH_CACHE_ENTRIES = 5000;

  /** The most the cached search answers may take, in bytes of their JSON. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(4 * 1024 * 1024 * 1024)
  SEARCH_CACHE_MAX_BYTES = 64 * 1024 * 1024;

  /**
   * How many leading matches, in order, a search statement keeps beside its answer, so that
   * other page sizes and the next pages of the same search are read by key instead of from every
   * match (search/search.service.ts); 0 keeps none. Only with the cache on.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000)
  SEARCH_ORDERED_KEYS = 200;

  /** Search statements (what the cache cannot answer) a replica runs at once (search/search-gate.ts). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  SEARCH_MAX_CONCURRENT_STATEMENTS = 4;

  /** Searches that may wait for one of those slots; one more is 503 SERVICE_UNAVAILABLE. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100_000)
  SEARCH_MAX_WAITING = 200;

  /**
   * The bytes a vendor not yet approved by an operator may store across its listings (files and
   * samples); one file more is 413 STORAGE_QUOTA_EXCEEDED. Enough to prepare a listing, not to
   * fill the disks before anyone has looked at who signed up. 0: no limit.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  PENDING_VENDOR_STORAGE_BYTES = 10 * 1024 * 1024 * 1024;

  /** The same for an approved vendor; 0 (the default): no limit. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  VENDOR_STORAGE_BYTES = 0;
}
