import { ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import { eventSubject } from '../subject';

/** Delivery granted the entitlements of a paid order (one per line): ordering fulfils the order. */
export class EntitlementGrantedV1 {
  @IsUUID()
  orderId: string;

  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  entitlementIds: string[];
}

/** A subscriber's entitlement now covers a version released while the subscription lives. */
export class EntitlementVersionAddedV1 {
  @IsUUID()
  entitlementId: string;

  @IsUUID()
  orderId: string;

  @IsUUID()
  buyerOrganizationId: string;

  @IsUUID()
  datasetId: string;

  @IsUUID()
  versionId: string;

  @IsString()
  @MaxLength(100)
  version: string;
}

/** An entitlement stopped: refunded (`revoked`), or its term or subscription ended (`expired`). */
export class EntitlementEndedV1 {
  @IsUUID()
  entitlementId: string;

  @IsUUID()
  orderId: string;

  @IsIn(['revoked', 'expired'])
  status: 'revoked' | 'expired';
}

/**
 * A download ended (completed or cut off): who, which file, how many bytes were actually sent.
 * Published for entitlements of metered offers sold per GiB (`pricingModel: "metered"`), the
 * one unit measured by delivering it: billing meters usage from it.
 */
export class DownloadRecordedV1 {
  @IsUUID()
  downloadId: string;

  @IsUUID()
  entitlementId: string;

  @IsUUID()
  orderId: string;

  @IsUUID()
  organizationId: string;

  @IsString()
  @MaxLength(100)
  pricingModel: string;

  @IsUUID()
  datasetId: string;

  @IsUUID()
  versionId: string;

  @IsString()
  @MaxLength(1024)
  path: string;

  @IsInt()
  @Min(0)
  bytes: number;

  @IsISO8601({ strict: true })
  startedAt: string;

  @IsISO8601({ strict: true })
  finishedAt: string;
}

/** Delivery's facts. The grant is about an order (ordering applies it after the order's own events). */
export const DeliveryEvents = {
  entitlementGranted: eventSubject('evt.delivery.entitlement.granted.v1', EntitlementGrantedV1, { aggregate: (p) => p.orderId }),
  entitlementVersionAdded: eventSubject('evt.delivery.entitlement.version-added.v1', EntitlementVersionAddedV1, { aggregate: (p) => p.entitlementId }),
  entitlementEnded: eventSubject('evt.delivery.entitlement.ended.v1', EntitlementEndedV1, { aggregate: (p) => p.entitlementId }),
  downloadRecorded: eventSubject('evt.delivery.download.recorded.v1', DownloadRecordedV1, { aggregate: (p) => p.entitlementId }),
};
