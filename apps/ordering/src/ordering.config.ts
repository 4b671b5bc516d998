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

  /**
   * How long a buyer whose order of an exclusive offer was declined for want of funds must wait
   * before it orders that offer again. Every such order holds the offer from all other buyers
   * until billing declines it, so without a pause an empty wallet could hold it for ever.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(24 * 3600 * 1000)
  EXCLUSIVE_DECLINE_COOLDOWN_MS = 120_000;
}
