import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { PlatformConfig } from '@trove/platform';

export class BillingConfig extends PlatformConfig {
  /** The platform's commission on every sale, in basis points (2000 is 20 %). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000)
  COMMISSION_BP = 2000;

  /** The VAT rate included in every price, in basis points (600 is 6 %). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000)
  VAT_BP = 600;

  /** How often due subscriptions are renewed (or lapse). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(24 * 3600 * 1000)
  SUBSCRIPTION_SWEEP_MS = 60_000;

  /** How often invoices still without a number get one (a commit of a charge also asks: that pass starts a tenth of this later). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3600 * 1000)
  INVOICE_NUMBERING_MS = 1000;
}
