import { eventSubject } from '@trove/contracts';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsISO8601, IsObject, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { Money, Price } from '@trove/licensing';

/*
 * The two ordering events billing consumes, as agreed for the purchase saga (subjects and
 * fields). They mirror ordering's contracts until those are in libs/contracts; then this file
 * goes and the consumer imports ordering's.
 */

export class PlacedOrderLine {
  @IsString()
  @Length(1, 100)
  lineId: string;

  @IsUUID()
  offerId: string;

  @IsUUID()
  datasetId: string;

  @IsUUID()
  vendorOrganizationId: string;

  @ValidateNested()
  @Type(() => Price)
  price: Price;

  /** `{model, period?, unit?}`: billing reads `model` and `period`. */
  @IsObject()
  pricing: { model: string; period?: string; unit?: string };

  @IsString()
  @MaxLength(100)
  licenseTemplate: string;

  @Matches(/^[0-9a-f]{64}$/)
  termsSha256: string;
}

export class OrderPlacedV1 {
  @IsUUID()
  orderId: string;

  @IsUUID()
  buyerOrganizationId: string;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => PlacedOrderLine)
  lines: PlacedOrderLine[];

  @ValidateNested()
  @Type(() => Money)
  total: Money;

  @IsOptional()
  @IsISO8601({ strict: true })
  placedAt?: string;
}

export class OrderRefundRequestedV1 {
  @IsUUID()
  orderId: string;

  @IsString()
  @MaxLength(2000)
  reason: string;
}

export const OrderingEventsForBilling = {
  orderPlaced: eventSubject('evt.ordering.order.placed.v1', OrderPlacedV1, { aggregate: (p) => p.orderId }),
  orderRefundRequested: eventSubject('evt.ordering.order.refund-requested.v1', OrderRefundRequestedV1, { aggregate: (p) => p.orderId }),
};
