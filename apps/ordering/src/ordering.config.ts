import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { PlatformConfig } from '@trove/platform';

export class OrderingConfig extends PlatformConfig {
  /** How often the saga sweep looks for orders whose next step never came. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3600 * 1000)
  ORDER_SWEEP_MS = 5000;

  /** How long an order may wait for billing's or delivery's answer before its event is published again. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(24 * 3600 * 1000)
  ORDER_REDRIVE_AFTER_MS = 30_000;
}
