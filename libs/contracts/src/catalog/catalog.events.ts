import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, MaxLength, Min } from 'class-validator';
import { eventSubject } from '../subject';
import { UPLOAD_TARGETS, type UploadTarget } from './catalog.messages';

/** An operator approved a listing: from now on buyers can find and buy it. */
export class DatasetPublished {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  vendorOrganizationId: string;

  @IsString()
  @MaxLength(300)
  title: string;

  @IsISO8601()
  publishedAt: string;
}

/** A published listing was taken off sale: by an operator, or withdrawn by its vendor (`byVendor`). */
export class DatasetSuspended {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  vendorOrganizationId: string;

  @IsISO8601()
  suspendedAt: string;

  /** Withdrawn by its vendor (`POST /v1/datasets/:id/withdraw`); absent from events of operators' suspensions. */
  @IsOptional()
  @IsBoolean()
  byVendor?: boolean;
}

/** A version's file list is frozen: buyers' entitlements may include it from now on. */
export class VersionReleased {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  versionId: string;

  @IsString()
  version: string;

  @IsISO8601()
  releasedAt: string;

  /**
   * How many files the released version holds, and their bytes, as the catalog counted them in
   * the release's transaction: delivery keeps the version's root only once the files it recorded
   * agree (a removal made before the release may reach it later). Absent from events of releases
   * made before they were sent.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  fileCount?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  totalBytes?: number;
}

/**
 * The catalog no longer lists a stored object: its vendor removed the file from an open version,
 * or removed the sample. Delivery deletes the bytes under `storageKey`, and those of older uploads
 * of the same path the catalog had replaced with it; a newer upload of the path is not touched.
 */
export class ObjectUnlisted {
  @IsIn(UPLOAD_TARGETS)
  target: UploadTarget;

  @IsUUID()
  datasetId: string;

  @IsOptional()
  @IsUUID()
  versionId?: string;

  @IsString()
  @MaxLength(2048)
  path: string;

  @IsString()
  @MaxLength(1024)
  storageKey: string;
}

/** An offer was created or changed (withdrawn); `change` says which. */
export class OfferChanged {
  @IsUUID()
  offerId: string;

  @IsUUID()
  datasetId: string;

  @IsUUID()
  vendorOrganizationId: string;

  @IsIn(['created', 'withdrawn'])
  change: 'created' | 'withdrawn';

  @IsString()
  termsSha256: string;

  @IsBoolean()
  exclusive: boolean;

  @IsOptional()
  @IsUUID()
  buyerOrgId?: string;
}

export const CatalogEvents = {
  datasetPublished: eventSubject<DatasetPublished>('evt.catalog.dataset.published.v1', DatasetPublished),
  datasetSuspended: eventSubject<DatasetSuspended>('evt.catalog.dataset.suspended.v1', DatasetSuspended),
  versionReleased: eventSubject<VersionReleased>('evt.catalog.version.released.v1', VersionReleased),
  offerCreated: eventSubject<OfferChanged>('evt.catalog.offer.created.v1', OfferChanged),
  offerChanged: eventSubject<OfferChanged>('evt.catalog.offer.changed.v1', OfferChanged),
  objectUnlisted: eventSubject<ObjectUnlisted>('evt.catalog.object.unlisted.v1', ObjectUnlisted),
};
