import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsIn, ValidateIf, ValidateNested, registerDecorator, type ValidationArguments } from 'class-validator';
import type { CurrencyCode } from './currency';
import { addMonthsUtc } from './license-period';
import { MoneyError, Price, multiplyMoney, zeroMoney, type MoneyValue } from './money';

/** `free` is for open licenses (cc-by-4.0, cdla-permissive-2.0) only, and has no price. */
export const PRICING_MODELS = ['one_time', 'subscription', 'metered', 'free'] as const;
export type PricingModel = (typeof PRICING_MODELS)[number];

export const BILLING_PERIODS = ['month', 'quarter', 'year'] as const;
export type BillingPeriod = (typeof BILLING_PERIODS)[number];

/** What a metered price is per: `1k_tokens` is a thousand tokens, `gib` a gibibyte delivered. */
export const METERED_UNITS = ['hour', 'utterance', 'image', 'video_minute', 'frame', '1k_tokens', 'document', 'sample', 'gib'] as const;
export type MeteredUnit = (typeof METERED_UNITS)[number];

export const PERIOD_MONTHS: Readonly<Record<BillingPeriod, number>> = { month: 1, quarter: 3, year: 12 };

/** The field is allowed only when the pricing's `model` is one of `models`. */
function OnlyForModels(models: readonly PricingModel[], message: string): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'onlyForPricingModels',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message },
      validator: {
        validate(_value: unknown, args: ValidationArguments) {
          const { model } = args.object as Pricing;
          if (!(PRICING_MODELS as readonly unknown[]).includes(model)) return true; // model reports itself
          return models.includes(model);
        },
      },
    });
}

/**
 * How an offer is priced: `{model: "one_time", price}`, `{model: "subscription", price,
 * period}`, `{model: "metered", price, unit}` (the price of one unit), or `{model: "free"}`.
 */
export class Pricing {
  @ApiProperty({ enum: PRICING_MODELS, example: 'one_time' })
  @IsIn(PRICING_MODELS)
  model: PricingModel;

  @ApiPropertyOptional({ type: () => Price, description: 'Required except for free; a positive integer of minor units' })
  @ValidateIf((p: Pricing) => p.model !== 'free' || (p.price !== undefined && p.price !== null))
  @IsDefined({ message: 'price is required unless the model is free' })
  @ValidateNested()
  @Type(() => Price)
  @OnlyForModels(['one_time', 'subscription', 'metered'], 'a free offer has no price')
  price?: Price;

  @ApiPropertyOptional({ enum: BILLING_PERIODS, description: 'Subscriptions only' })
  @ValidateIf((p: Pricing) => p.model === 'subscription' || (p.period !== undefined && p.period !== null))
  @IsIn(BILLING_PERIODS)
  @OnlyForModels(['subscription'], 'period is only for subscription pricing')
  period?: BillingPeriod;

  @ApiPropertyOptional({ enum: METERED_UNITS, description: 'Metered pricing only: what one price buys' })
  @ValidateIf((p: Pricing) => p.model === 'metered' || (p.unit !== undefined && p.unit !== null))
  @IsIn(METERED_UNITS)
  @OnlyForModels(['metered'], 'unit is only for metered pricing')
  unit?: MeteredUnit;
}

/** The plain shape of pricing, for code that holds it from a database row or an event. */
export interface PricingValue {
  model: PricingModel;
  price?: MoneyValue;
  period?: BillingPeriod;
  unit?: MeteredUnit;
}

/** What is bought at once: periods of a subscription, units of metered use. */
export interface Quantity {
  /** Subscription periods paid for at once (default 1). */
  periods?: number;
  /** Metered units used (hours, images, thousands of tokens). */
  units?: number;
}

/**
 * What a purchase under this pricing comes to: the one-time price, the price of `periods`
 * subscription periods, the unit price times the metered `units`, or zero for a free offer
 * (in `currency`, since a free offer has none of its own).
 */
export function chargeFor(pricing: PricingValue, quantity: Quantity = {}, currency: CurrencyCode = 'CNY'): MoneyValue {
  if (pricing.model === 'free') return zeroMoney(currency);
  if (!pricing.price) throw new MoneyError(`a ${pricing.model} offer without a price`);
  switch (pricing.model) {
    case 'one_time':
      return { ...pricing.price };
    case 'subscription':
      return multiplyMoney(pricing.price, quantity.periods ?? 1);
    case 'metered':
      if (quantity.units === undefined) throw new MoneyError('a metered charge needs the units used');
      return multiplyMoney(pricing.price, quantity.units);
  }
}

/** When a subscription period that starts at `start` ends and the next one begins. */
export function periodEndsAt(start: Date, period: BillingPeriod): Date {
  return addMonthsUtc(start, PERIOD_MONTHS[period]);
}

/**
 * When the first period a subscription's charge at `chargedAt` pays for ends: one period on, or
 * the license's end when that comes first (a license over before the charge ends it as it
 * begins). Billing keeps this end on the subscription and names it on the first invoice; ordering
 * shows it on the vendor's sale.
 */
export function firstPeriodEndsAt(chargedAt: Date, period: BillingPeriod, licenseEnd: Date | null): Date {
  const end = periodEndsAt(chargedAt, period);
  if (licenseEnd === null) return end;
  const cut = licenseEnd < chargedAt ? chargedAt : licenseEnd;
  return cut < end ? cut : end;
}
