import { ACCESS_REQUEST_STATUSES, DisplayText, MAX_ACCESS_REJECTION_REASON_LENGTH, MAX_METERED_QUANTITY, MAX_ORDER_ITEMS, ORDER_STATUSES, SALE_SUBSCRIPTION_STATUSES, sameOfferKey, type AccessRequestStatus, type OrderStatus, type SaleSubscriptionStatus } from '@trove/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, Equals, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, Min, ValidateNested } from 'class-validator';
import { LicenseTerms, Money, Pricing, type LicenseTermsValue, type PricingValue } from '@trove/licensing';
import { PageQuery } from '@trove/platform';
import { PageOf } from '../openapi/page.dto';
import { trimLine } from '@trove/dataset';


// ---------------------------------------------------------------- requests

export class OrderItemDto {
  @ApiProperty({ format: 'uuid', description: 'An offer of a published dataset the buyer may see' })
  @IsUUID()
  offerId: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_METERED_QUANTITY,
    example: 200,
    description:
      "Metered offers only: units of the offer's unit to buy (hours, images, GiB...); the line costs the unit price times it. Left out, the item buys every unit the listing declares (its `speech.hours` for `hour`...); required where the listing declares none, and for `gib`. Given for any other offer: 400",
  })
  @IsOptional()
  @IsInt({ message: "quantity must be a whole number of the offer's unit" })
  @Min(1, { message: 'quantity must be at least 1' })
  @Max(MAX_METERED_QUANTITY, { message: `quantity must be at most ${MAX_METERED_QUANTITY}` })
  quantity?: number;
}

export class PlaceOrderDto {
  @ApiProperty({ type: [OrderItemDto], minItems: 1, maxItems: MAX_ORDER_ITEMS, description: 'Each offer at most once; all priced in one currency' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_ITEMS)
  @ArrayUnique(sameOfferKey, { message: 'items must not name the same offer twice' })
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items: OrderItemDto[];

  @ApiProperty({ enum: [true], description: 'The buyer accepts the exact license terms of every item; anything but `true` is 400' })
  @Equals(true, { message: 'acceptLicense must be true: an order accepts the license terms of its items' })
  acceptLicense: true;
}

export class OrdersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;

  @ApiPropertyOptional({ format: 'uuid', description: "Admins: one buying organization's orders (a buyer's list is its own whatever it sends)" })
  @IsOptional()
  @IsUUID()
  buyer?: string;
}

export class SalesQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "Only the sales of this listing (one of the vendor's; another's lists nothing)" })
  @IsOptional()
  @IsUUID()
  datasetId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only the sales to this buying organization (`buyerOrganizationId` of a sale)' })
  @IsOptional()
  @IsUUID()
  buyerOrganizationId?: string;
}

export class RefundOrderDto {
  @ApiProperty({
    example: '数据与描述不符，经核实退款 / Data did not match the listing; refund approved',
    maxLength: 2000,
    description:
      'Why the order is refunded, for the buyer to read (as `refundReason`): 1 to 2,000 characters after trimming; line breaks and tabs are fine, other control characters and bidirectional embeddings, overrides or isolates are 400',
  })
  @Transform(trimLine)
  @IsString()
  @Length(1, 2000)
  @DisplayText('prose')
  reason: string;
}

export class CreateAccessRequestDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  offerId: string;

  @ApiProperty({
    example: '用于车载语音助手的方言识别模型训练 / Training a dialect ASR model for an in-car assistant',
    maxLength: 2000,
    description: 'For the vendor to judge: 1 to 2,000 characters after trimming; line breaks and tabs are fine, other control characters and bidirectional embeddings, overrides or isolates are 400',
  })
  @Transform(trimLine)
  @IsString()
  @Length(1, 2000)
  @DisplayText('prose')
  intendedUse: string;
}

/** `POST /v1/access-requests/:id/reject`: the body may be left out; a reason, when given, is shown to the buyer. */
export class RejectAccessRequestDto {
  @ApiPropertyOptional({
    example: '申请用途为人脸识别商用，超出本数据集授权范围 / Commercial face recognition is beyond what this dataset is licensed for',
    minLength: 1,
    maxLength: MAX_ACCESS_REJECTION_REASON_LENGTH,
    description:
      'Why the request is rejected, for the buyer to read (as `rejectionReason`): 1 to 1,000 characters after trimming; line breaks and tabs are fine, other control characters and bidirectional embeddings, overrides or isolates are 400',
  })
  @IsOptional()
  @Transform(trimLine)
  @IsString()
  @Length(1, MAX_ACCESS_REJECTION_REASON_LENGTH)
  @DisplayText('prose')
  reason?: string;
}

export class AccessRequestsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ACCESS_REQUEST_STATUSES })
  @IsOptional()
  @IsIn(ACCESS_REQUEST_STATUSES)
  status?: AccessRequestStatus;
}

// ---------------------------------------------------------------- replies

export class OrderItemViewDto {
  @ApiProperty({ format: 'uuid' })
  lineId: string;

  @ApiProperty({ format: 'uuid' })
  offerId: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty()
  datasetTitle: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty({ type: Money })
  price: Money;

  @ApiProperty({ type: () => Pricing, description: 'The pricing as offered when the order was placed' })
  pricing: PricingValue;

  @ApiPropertyOptional({ type: 'integer', description: 'Metered lines only: the units bought, which the price is the unit price times' })
  quantity?: number;

  @ApiProperty({ example: 'commercial' })
  licenseTemplate: string;

  @ApiProperty({ description: 'SHA-256 of the canonical license terms the buyer accepted' })
  licenseTermsSha256: string;
}

export class OrderDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  buyerOrganizationId: string;

  @ApiProperty({ enum: ORDER_STATUSES, description: 'pending_payment -> paid -> fulfilled; or cancelled; refund_pending -> refunded after an operator refund' })
  status: OrderStatus;

  @ApiProperty({ type: [OrderItemViewDto] })
  items: OrderItemViewDto[];

  @ApiProperty({ type: Money })
  total: Money;

  @ApiProperty({ nullable: true, type: String, example: 'INSUFFICIENT_FUNDS' })
  cancellationReason: string | null;

  @ApiProperty({ nullable: true, type: String })
  refundReason: string | null;

  @ApiProperty({ nullable: true, type: String, format: 'uuid' })
  paymentId: string | null;

  @ApiProperty({ type: [String] })
  entitlementIds: string[];

  @ApiProperty()
  placedAt: string;

  @ApiProperty({ nullable: true, type: String })
  paidAt: string | null;

  @ApiProperty({ nullable: true, type: String })
  fulfilledAt: string | null;

  @ApiProperty({ nullable: true, type: String })
  closedAt: string | null;

  @ApiProperty()
  updatedAt: string;
}

export class OrderPageDto extends PageOf(OrderDto) {}

export class ReceiptLineDto {
  @ApiProperty({ format: 'uuid' })
  lineId: string;

  @ApiProperty({ format: 'uuid' })
  offerId: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty()
  licenseTemplate: string;

  @ApiProperty({ type: () => LicenseTerms, description: 'The exact terms accepted' })
  terms: LicenseTermsValue;

  @ApiProperty()
  termsSha256: string;

  @ApiProperty({ type: Money })
  price: Money;

  @ApiPropertyOptional({ type: 'integer', description: 'Metered lines only: the units bought' })
  quantity?: number;
}

export class LicenseReceiptDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ format: 'uuid' })
  acceptedByOrganizationId: string;

  @ApiProperty({ description: 'The id of the API key that placed the order' })
  acceptedByKeyId: string;

  @ApiProperty()
  acceptedAt: string;

  @ApiProperty({ type: [ReceiptLineDto] })
  lines: ReceiptLineDto[];

  @ApiProperty({ description: 'SHA-256 (hex) of the canonical JSON (RFC 8785) of every other field of the receipt' })
  sha256: string;
}

export class SaleSubscriptionDto {
  @ApiProperty({
    enum: SALE_SUBSCRIPTION_STATUSES,
    description: '`active`: billing renews it at the end of each period; `lapsed`: it stopped renewing (its buyer cancelled it, a period went unpaid, its term ended, or the listing or a party was suspended); `ended`: its order was refunded',
  })
  status: SaleSubscriptionStatus;

  @ApiProperty({ type: 'integer', minimum: 1, example: 3, description: 'Periods charged: the first, with the order, and each renewal' })
  periodsPaid: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2027-03-06T08:00:00.000Z',
    description: 'The end (exclusive) of the last period paid; null for a line paid before Trove recorded it and not renewed since',
  })
  paidThrough: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: "When billing let it lapse; null while it renews, and when its order's refund ended it before any lapse" })
  lapsedAt: string | null;

  @ApiProperty({ type: Money, description: 'Gross charged for the line so far: the first period and every renewal (a last period cut short by the license end at its share of the price), as on the invoices; a refund does not lower it' })
  billed: Money;
}

export class SaleDto {
  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ format: 'uuid' })
  lineId: string;

  @ApiProperty({ format: 'uuid' })
  offerId: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty()
  datasetTitle: string;

  @ApiProperty({ format: 'uuid' })
  buyerOrganizationId: string;

  @ApiProperty({ type: String, nullable: true, example: '北京智源人工智能研究院 / BAAI', description: 'The name the buying organization signed up with' })
  buyerName: string | null;

  @ApiProperty({ type: Money, description: 'The gross price; the vendor is owed it minus commission (GET /v1/balance)' })
  price: Money;

  @ApiProperty({ type: () => Pricing, description: 'How the line was priced when the order was placed: one-time, a subscription and its period, metered and its unit, or free' })
  pricing: PricingValue;

  @ApiPropertyOptional({ type: 'integer', description: 'Metered lines only: the units of `pricing.unit` bought' })
  quantity?: number;

  @ApiProperty()
  licenseTemplate: string;

  @ApiProperty()
  licenseTermsSha256: string;

  @ApiProperty({ enum: ORDER_STATUSES })
  orderStatus: OrderStatus;

  @ApiProperty()
  soldAt: string;

  @ApiPropertyOptional({ type: SaleSubscriptionDto, description: 'Subscription lines only: how the subscription has run since the sale, as billing charged it' })
  subscription?: SaleSubscriptionDto;
}

export class SalePageDto extends PageOf(SaleDto) {}

export class AccessRequestDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  offerId: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty({ format: 'uuid' })
  buyerOrganizationId: string;

  @ApiProperty({ type: String, nullable: true, example: '北京智源人工智能研究院 / BAAI', description: 'The name the buying organization signed up with' })
  buyerName: string | null;

  @ApiProperty()
  intendedUse: string;

  @ApiProperty({ enum: ACCESS_REQUEST_STATUSES })
  status: AccessRequestStatus;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '申请用途为人脸识别商用，超出本数据集授权范围',
    description: "The vendor's reason for rejecting the request, as it gave it; null unless the request was rejected with a reason",
  })
  rejectionReason: string | null;

  @ApiProperty()
  createdAt: string;

  @ApiProperty({ nullable: true, type: String })
  decidedAt: string | null;
}

export class AccessRequestPageDto extends PageOf(AccessRequestDto) {}
