import {
  DATASET_STATUSES,
  ORDER_STATUSES,
  ORGANIZATION_KINDS,
  ORGANIZATION_STATUSES,
  SERVICES,
  SLOWEST_VENDORS_LISTED,
  type DatasetStatus,
  type OrderStatus,
  type OrganizationKind,
  type OrganizationStatus,
  type ServiceName,
} from '@trove/contracts';
import { ApiProperty } from '@nestjs/swagger';
import { CURRENCY_CODES, type CurrencyCode } from '@trove/licensing';

/** An object with one integer per value, every value present: the schema of a count per status. */
function countsOf(values: readonly string[]): { type: 'object'; properties: Record<string, { type: 'integer'; minimum: number }>; required: string[] } {
  return { type: 'object', properties: Object.fromEntries(values.map((value) => [value, { type: 'integer', minimum: 0 }])), required: [...values] };
}

export class SalesPerCurrencyDto {
  @ApiProperty({ enum: CURRENCY_CODES, example: 'CNY' })
  currency: CurrencyCode;

  @ApiProperty({ type: 'integer', description: 'Captured payments in minor units (fen for CNY), refunds not taken off', example: 1_638_400_000 })
  gross: number;

  @ApiProperty({ type: 'integer', description: 'Refunded, in minor units', example: 12_800_000 })
  refunded: number;

  @ApiProperty({ type: 'integer', description: '`gross` - `refunded`, in minor units', example: 1_625_600_000 })
  net: number;

  @ApiProperty({ description: 'Captured payments: each order charge and each subscription renewal counts once (not orders: a subscription renewed 9 times is 10 payments)', example: 128 })
  payments: number;

  @ApiProperty({ description: 'Payments given back: each refunded payment counts once (not orders: refunding that subscription\'s order is 10 refunds)', example: 1 })
  refunds: number;
}

export class VendorAccessRequestsWaitingDto {
  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Its access requests still pending', example: 5 })
  pending: number;

  @ApiProperty({ format: 'date-time', description: 'When its oldest pending request was made', example: '2026-11-02T08:00:00.000Z' })
  oldestCreatedAt: string;
}

export class AccessRequestsWaitingDto {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Access requests no vendor has approved or rejected yet', example: 12 })
  pending: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the oldest pending request was made; null when none is pending', example: '2026-11-02T08:00:00.000Z' })
  oldestCreatedAt: string | null;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Pending requests made more than 7 days ago, by the ordering database’s clock', example: 3 })
  overSevenDays: number;

  @ApiProperty({
    type: [VendorAccessRequestsWaitingDto],
    maxItems: SLOWEST_VENDORS_LISTED,
    description: `The ${SLOWEST_VENDORS_LISTED} vendors (or fewer) with pending requests, the one whose oldest request has waited longest first`,
  })
  slowestVendors: VendorAccessRequestsWaitingDto[];
}

export class ConsumerBacklogDto {
  @ApiProperty({ description: 'The durable consumer, named as in dead letters (its JetStream name is `<service>_<consumer>`)', example: 'order-payments' })
  consumer: string;

  @ApiProperty({
    nullable: true,
    enum: [...SERVICES, null],
    description: 'The service whose replicas consume it; null for a durable of the stream that no Trove service names',
    example: 'billing',
  })
  service: ServiceName | null;

  @ApiProperty({ description: 'Events of the stream not yet delivered to it (JetStream `num_pending`): these wait for the service', example: 0 })
  pending: number;

  @ApiProperty({ description: 'Delivered and not yet acknowledged (`num_ack_pending`): in a handler now, or given up on by a replica that died', example: 0 })
  ackPending: number;

  @ApiProperty({ description: 'Events delivered again after no acknowledgement in time or a failed handler (`num_redelivered`)', example: 0 })
  redelivered: number;
}

export class EventBacklogDto {
  @ApiProperty({
    nullable: true,
    type: [ConsumerBacklogDto],
    description: 'Every durable consumer of the event stream, by service and consumer; null when JetStream did not answer (`nats` in `unavailable`)',
  })
  consumers: ConsumerBacklogDto[] | null;

  @ApiProperty({
    type: 'object',
    properties: Object.fromEntries(SERVICES.map((service) => [service, { type: 'integer', minimum: 0, nullable: true }])),
    required: [...SERVICES],
    description: 'Per service, events written to its outbox and not yet published to the stream; null for a service that did not answer',
    example: { gateway: 0, catalog: 0, ordering: 2, billing: 0, delivery: 0 },
  })
  unpublished: Record<ServiceName, number | null>;
}

export class AdminStatsDto {
  @ApiProperty({
    nullable: true,
    type: 'object',
    properties: Object.fromEntries(ORGANIZATION_KINDS.map((kind) => [kind, countsOf(ORGANIZATION_STATUSES)])),
    required: [...ORGANIZATION_KINDS],
    description: `Organizations per kind (${ORGANIZATION_KINDS.join(', ')}; \`admin\` is the operators), each per status (${ORGANIZATION_STATUSES.join(', ')}), zero included; null when the gateway database did not answer`,
    example: { vendor: { pending: 4, active: 37, suspended: 1 }, buyer: { pending: 0, active: 212, suspended: 3 }, admin: { pending: 0, active: 1, suspended: 0 } },
  })
  organizationsByKind: Record<OrganizationKind, Record<OrganizationStatus, number>> | null;

  @ApiProperty({
    nullable: true,
    ...countsOf(DATASET_STATUSES),
    description: `Listings per moderation status (${DATASET_STATUSES.join(', ')}), zero included; null when the catalog did not answer`,
    example: { draft: 12, in_review: 3, published: 418, rejected: 7, suspended: 2, withdrawn: 1 },
  })
  datasetsByStatus: Record<DatasetStatus, number> | null;

  @ApiProperty({
    nullable: true,
    ...countsOf(ORDER_STATUSES),
    description: `Orders per status (${ORDER_STATUSES.join(', ')}), zero included; null when ordering did not answer`,
    example: { pending_payment: 3, paid: 1, fulfilled: 1280, cancelled: 42, refund_pending: 0, refunded: 5 },
  })
  ordersByStatus: Record<OrderStatus, number> | null;

  @ApiProperty({
    nullable: true,
    type: AccessRequestsWaitingDto,
    description: 'Access requests waiting for their vendor’s decision, and the vendors who leave them waiting longest; null when ordering did not answer',
  })
  accessRequestsWaiting: AccessRequestsWaitingDto | null;

  @ApiProperty({ nullable: true, type: [SalesPerCurrencyDto], description: 'Captured sales per currency (billing); null when billing did not answer' })
  salesPerCurrency: SalesPerCurrencyDto[] | null;

  @ApiProperty({ type: EventBacklogDto, description: 'Where events queue: in each service’s outbox before the stream, and per consumer after it' })
  eventBacklog: EventBacklogDto;

  @ApiProperty({
    type: [String],
    description: 'What did not answer within the RPC timeout (a service, or `nats` for the consumers): its figures are null, the rest are still given',
    example: [],
  })
  unavailable: string[];
}
