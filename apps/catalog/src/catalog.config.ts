import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { PlatformConfig } from '@trove/platform';

export class CatalogConfig extends PlatformConfig {
  /** The largest sample file (a public preview) a vendor may upload; larger is 413. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  SAMPLE_MAX_BYTES = 10 * 1024 * 1024;

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
}
