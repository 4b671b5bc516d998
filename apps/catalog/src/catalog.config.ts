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
}
