import { Transform, Type } from 'class-transformer';
import { DisplayText, DisplayTextThroughout } from '../display-text';
import { ListedPath } from '../listed-path';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { canonicalMediaType, DatasetMetadata, MAX_FILE_PATH_BYTES, NoneReadAlike, trimLine } from '@trove/dataset';
import { OfferLicensing, type LicenseTermsValue, type PricingValue } from '@trove/licensing';
import { IsDateTime, IsMoment } from '../date-time';
import { PageRequest } from '../page-request';

/**
 * A sample's media type by the name the Croissant card gives it (`canonicalMediaType`): a `.wav`
 * typed `audio/wave` by its name was served so while the card said `audio/wav`. Anything that is
 * not a string is left to `@IsString`.
 */
const mediaType = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? canonicalMediaType(value) : value);

/** Moderation states of a listing; the transitions are in the catalog's dataset-state.ts. */
export const DATASET_STATUSES = ['draft', 'in_review', 'published', 'rejected', 'suspended', 'withdrawn'] as const;
export type DatasetStatus = (typeof DATASET_STATUSES)[number];

export const VERSION_STATUSES = ['open', 'released'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

/**
 * What an offer answers as its status: `active` and `withdrawn` are stored; `expired` is an
 * active offer past its `expiresAt`, told at read time (nothing rewrites the row when it expires).
 * Only an active offer can be ordered.
 */
export const OFFER_STATUSES = ['active', 'withdrawn', 'expired'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

export const UPLOAD_TARGETS = ['version-file', 'sample'] as const;
export type UploadTarget = (typeof UPLOAD_TARGETS)[number];

export const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Semver-like: 1.0.0, 2.1.0-beta.1; at most 64 characters. */
export const VERSION_PATTERN = /^(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})\.(0|[1-9]\d{0,5})(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

// ---------------------------------------------------------------- datasets

/**
 * A listing as a vendor writes it: the dataset model of libs/dataset (modality, languages,
 * domain, volumes, collection, compliance, profiles) with the words buyers read first.
 */
@DisplayTextThroughout(['description'])
export class DatasetListing extends DatasetMetadata {
  // Titles are stored trimmed, as vendor names and tags are: `  普通话语音  ` is the title
  // `普通话语音`, lists and cards show no spaces of its own around it, and a blank one is empty.
  @ApiProperty({ example: '普通话手机采集语音数据 1,000 小时', minLength: 1, maxLength: 300, description: 'The title buyers see first, Chinese or English; 1-300 characters once trimmed' })
  @Transform(trimLine)
  @IsString()
  @Length(1, 300)
  title: string;

  @ApiPropertyOptional({ example: 'Mandarin smartphone speech, 1,000 hours', minLength: 1, maxLength: 300, description: 'The title in English, when `title` is Chinese; 1-300 characters once trimmed' })
  @IsOptional()
  @Transform(trimLine)
  @IsString()
  @Length(1, 300)
  titleEn?: string;

  @ApiProperty({
    example: '1,000 小时普通话朗读与自由对话，2,000 名说话人，覆盖 7 大方言区口音，句准确率 ≥ 98%。',
    minLength: 1,
    maxLength: 10000,
  })
  @IsString()
  @Length(1, 10_000)
  description: string;
}

export class GetDatasetRequest {
  @IsUUID()
  id: string;
}

export class CreateDatasetRequest {
  /** The dataset model of libs/dataset; the catalog validates it field by field. */
  @IsObject()
  metadata: Record<string, unknown>;
}

export class UpdateDatasetRequest {
  @IsUUID()
  id: string;

  /** Fields to change; merged over the current metadata, and the result validated whole. */
  @IsObject()
  metadata: Record<string, unknown>;
}

export class ListVendorDatasetsRequest extends PageRequest {
  @IsOptional()
  @IsIn(DATASET_STATUSES)
  status?: DatasetStatus;
}

/** For operators: every listing, the review queue first of all (`status: in_review`). */
export class ListDatasetsRequest extends ListVendorDatasetsRequest {
  @IsOptional()
  @IsUUID()
  vendorOrganizationId?: string;
}

export class SubmitDatasetRequest {
  @IsUUID()
  id: string;

  /**
   * The vendor organization's status as the gateway knows it from the key (identity lives in
   * the gateway): the catalog refuses a submission from a vendor that is not yet approved.
   */
  @IsIn(['pending', 'active', 'suspended'])
  vendorStatus: 'pending' | 'active' | 'suspended';
}

export class ModerateDatasetRequest {
  @IsUUID()
  id: string;
}

/** An operator takes a published listing down, optionally saying why (the vendor reads it). */
export class SuspendDatasetRequest {
  @IsUUID()
  id: string;

  @IsOptional()
  @IsString()
  @Length(1, 2000)
  @DisplayText('prose')
  reason?: string;
}

/** An operator turns a listing in review down, saying why: the vendor reads it as `rejectionReason`. */
export class RejectDatasetRequest {
  @IsUUID()
  id: string;

  @IsString()
  @Length(1, 2000)
  @DisplayText('prose')
  reason: string;
}

// ---------------------------------------------------------------- versions and files

export class CreateVersionRequest {
  @IsUUID()
  datasetId: string;

  @IsString()
  @Matches(VERSION_PATTERN, { message: 'version must look like 1.0.0 (semantic versioning)' })
  version: string;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  @DisplayText('prose')
  changelog?: string;
}

/**
 * How many files of each version a listing's page, a release's answer and the Croissant card
 * show. A version may hold 100,000 files; all of them in one answer passed NATS's 1 MiB message
 * limit at about 8,000, and the page was a 503 for everyone. `fileCount` says how many there
 * are; `catalog.version.list-files` pages through all of them.
 */
export const VERSION_FILES_SHOWN = 100;

/**
 * A files cursor: the version's id, `|` and the last path of the page (at most
 * MAX_FILE_PATH_BYTES of UTF-8), base64url, so at most this many characters.
 */
export const VERSION_FILES_CURSOR_MAX_LENGTH = Math.ceil(((36 + 1 + MAX_FILE_PATH_BYTES) * 4) / 3);
export const VERSION_FILES_CURSOR = new RegExp(`^[A-Za-z0-9_-]{1,${VERSION_FILES_CURSOR_MAX_LENGTH}}$`);

/** `GET /v1/datasets/:id/versions/:versionId/files`: the version's files in path order. */
export class ListVersionFilesRequest {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  versionId: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** The `nextCursor` of the previous page of the same version (VERSION_FILES_CURSOR). */
  @IsOptional()
  @IsString()
  @Matches(VERSION_FILES_CURSOR, { message: 'cursor must be a value returned as nextCursor' })
  cursor?: string;
}

/**
 * How many versions a listing's page shows: the newest released ones (and, to its vendor and
 * admins, the newest open ones as well). A vendor that releases a daily crawl has hundreds within
 * a year, and the page of them all passed NATS's 1 MiB message limit at about 70 with 100 files
 * each: a 503 for everyone. `versionCount` says how many there are; `catalog.version.list` pages
 * through all of them.
 */
export const VERSIONS_SHOWN = 20;

/**
 * How many of its offers that are not live (withdrawn or expired) a listing's page shows its
 * vendor and admins, newest first: withdrawn offers are never deleted, so all of them would make
 * the page grow without bound. Live ones are capped when created (LIVE_OFFERS_PER_DATASET).
 */
export const PAST_OFFERS_SHOWN = 20;

/** `GET /v1/datasets/:id/versions`: a listing's versions, newest first, without their files. */
export class ListVersionsRequest {
  @IsUUID()
  datasetId: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a value returned as nextCursor' })
  cursor?: string;
}

export class ReleaseVersionRequest {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  versionId: string;
}

export class CreateUploadRequest {
  @IsIn(UPLOAD_TARGETS)
  target: UploadTarget;

  @IsUUID()
  datasetId: string;

  /** Required for a version file. */
  @IsOptional()
  @IsUUID()
  versionId?: string;

  /** Checked by the catalog (relative, normalized, no `..`): a 400 names `path` otherwise. */
  @IsString()
  @MaxLength(2048)
  path: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  size?: number;

  @IsOptional()
  @Matches(SHA256_HEX, { message: 'sha256 must be 64 lowercase hexadecimal characters' })
  sha256?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  contentType?: string;
}

/** From delivery, once the bytes are stored and checked: the file joins the open version. */
export class AddVersionFileRequest {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  versionId: string;

  @IsString()
  @MaxLength(2048)
  path: string;

  @IsInt()
  @Min(0)
  size: number;

  @Matches(SHA256_HEX, { message: 'sha256 must be 64 lowercase hexadecimal characters' })
  sha256: string;

  @IsString()
  @Length(1, 1024)
  storageKey: string;
}

/**
 * A vendor removes one file from an open version of its listing (a stray upload, a file put
 * under the wrong path): `path` exactly as the version lists it.
 */
export class RemoveVersionFileRequest {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  versionId: string;

  @ListedPath(2048)
  path: string;
}

/** A vendor removes one of its listing's samples. */
export class RemoveSampleRequest {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  sampleId: string;
}

export class AddSampleRequest {
  @IsUUID()
  datasetId: string;

  @IsString()
  @MaxLength(2048)
  path: string;

  @IsInt()
  @Min(0)
  size: number;

  @Matches(SHA256_HEX, { message: 'sha256 must be 64 lowercase hexadecimal characters' })
  sha256: string;

  @IsString()
  @Length(1, 1024)
  storageKey: string;

  /** Recorded by the name the Croissant card gives the type (`audio/wav` for `audio/wave`). */
  @IsOptional()
  @Transform(mediaType)
  @IsString()
  @MaxLength(200)
  contentType?: string;
}

/** An object delivery stored and told catalog about, without learning whether catalog recorded it. */
export class StoredObjectRef {
  @IsIn(UPLOAD_TARGETS)
  target: UploadTarget;

  @IsUUID()
  datasetId: string;

  /** The version of a version file; null for a sample. */
  @IsOptional()
  @IsUUID()
  versionId?: string | null;

  @IsString()
  @MaxLength(2048)
  path: string;

  @IsString()
  @Length(1, 1024)
  storageKey: string;
}

/** The most objects one `catalog.storage.listed` request asks about. */
export const LISTED_OBJECTS_PER_REQUEST = 100;

/**
 * From delivery's sweep of uploads whose recording it never confirmed (its process died, or
 * catalog did not answer in time): which of these objects catalog lists as the file or sample
 * at their path.
 */
export class ListedObjectsRequest {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LISTED_OBJECTS_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => StoredObjectRef)
  objects: StoredObjectRef[];
}

export interface ListedObjects {
  /** The storage keys, of those asked about, that catalog lists. */
  listed: string[];
}

/**
 * `GET /v1/datasets/:id/samples/:sampleId`: one sample with a signed URL of its bytes, to whoever
 * may see the listing (as `catalog.dataset.get` decides); anyone else gets NOT_FOUND.
 */
export class GetSampleRequest {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  sampleId: string;
}

// ---------------------------------------------------------------- offers and exclusivity

/**
 * `POST /v1/datasets/:id/offers`: the license (template and machine-readable terms) and the
 * pricing of libs/licensing, and who may buy and until when.
 */
export class CreateOfferRequest extends OfferLicensing {
  @IsUUID()
  datasetId: string;

  @IsOptional()
  @IsBoolean()
  requiresApproval?: boolean;

  /** A private offer: only this buyer organization sees it. */
  @IsOptional()
  @IsUUID()
  buyerOrgId?: string;

  @IsOptional()
  @IsMoment()
  expiresAt?: string;
}

export class WithdrawOfferRequest {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  offerId: string;
}

/** For ordering: the offer as it can be sold right now, seen by the caller in the headers. */
export class GetOfferRequest {
  @IsUUID()
  offerId: string;

  /**
   * The order ordering is placing, when it asks at checkout: the exclusive sale an earlier
   * attempt of that order reserved is its own, and does not mark the offer sold out.
   */
  @IsOptional()
  @IsUUID()
  orderId?: string;
}

/**
 * For ordering, at checkout: records the exclusive sale of an exclusive offer, or answers
 * 409 EXCLUSIVITY_CONFLICT when it collides with a live one. Idempotent per order.
 */
export class ReserveExclusiveRequest {
  @IsUUID()
  offerId: string;

  @IsUUID()
  buyerOrgId: string;

  @IsUUID()
  orderId: string;

  /** When the license starts; now when absent. */
  @IsOptional()
  @IsDateTime()
  startsAt?: string;
}

/** For ordering, after a refund or cancellation: the exclusive sale of that order ends. */
export class ReleaseExclusiveRequest {
  @IsUUID()
  orderId: string;
}

// ---------------------------------------------------------------- vendor profiles

export class UpsertVendorProfileRequest {
  @IsString()
  @Length(1, 200)
  @DisplayText()
  displayNameZh: string;

  @IsString()
  @Length(1, 200)
  @DisplayText()
  displayNameEn: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  @DisplayText('prose')
  description?: string;

  @IsOptional()
  @IsString()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, disallow_auth: true }, { message: 'website must be an http(s) URL without a user name or password (https://aishell.example@evil.example reads as one site and opens another)' })
  @MaxLength(500)
  @DisplayText()
  website?: string;

  /**
   * Each 1-200 characters: the gateway trims them first. None twice as a reader reads them:
   * `ISO 27001`, `iso 27001` and full-width `ＩＳＯ 27001` are one certification.
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  @DisplayText('line', { each: true })
  @NoneReadAlike('one')
  certifications?: string[];
}

export class GetVendorProfileRequest {
  @IsUUID()
  organizationId: string;
}

// ---------------------------------------------------------------- replies

export interface DatasetView {
  id: string;
  vendorOrganizationId: string;
  title: string;
  status: DatasetStatus;
  /**
   * Why an operator rejected or suspended it (null when it did not say, or once approved). In
   * answers to its vendor and admins only: a listing's page leaves it out for everyone else.
   */
  rejectionReason?: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
}

export interface VersionFileView {
  path: string;
  size: number;
  sha256: string;
}

export interface VersionView {
  id: string;
  version: string;
  changelog: string | null;
  status: VersionStatus;
  createdAt: string;
  releasedAt: string | null;
  /** How many files the version holds. */
  fileCount: number;
  /** The sum of their sizes in bytes. */
  totalBytes: number;
  /** The first VERSION_FILES_SHOWN of them in path order; all of them when fileCount is not more. */
  files: VersionFileView[];
}

/** A version as `GET /v1/datasets/:id/versions` lists it: its fileCount and totalBytes, none of its files. */
export type VersionSummaryView = Omit<VersionView, 'files'>;

export interface VersionPage {
  items: VersionSummaryView[];
  nextCursor: string | null;
}

export interface VersionFilePage {
  items: VersionFileView[];
  nextCursor: string | null;
}

export interface OfferView {
  id: string;
  datasetId: string;
  /** The template and the terms it grants (the template's defaults filled in). */
  license: { template: string; terms: LicenseTermsValue };
  /** SHA-256 of the canonical terms: what an order line and a license receipt record. */
  termsSha256: string;
  pricing: PricingValue;
  requiresApproval: boolean;
  exclusive: boolean;
  buyerOrgId: string | null;
  expiresAt: string | null;
  /** `expired` once `expiresAt` has passed (a withdrawn offer stays `withdrawn`). */
  status: OfferStatus;
  createdAt: string;
  /**
   * A metered offer's units when an order item gives no `quantity`: what the listing declared of
   * the offer's unit when the offer was made, rounded up, and lowered by every edit of the listing
   * that declares less since (never raised again), so no edit makes the same order buy more. Null
   * when not metered, not declared, or `gib` (counted at download).
   */
  defaultQuantity: number | null;
  /**
   * On a listing's page, an offer that cannot be bought now: a live exclusive sale of the listing
   * overlaps it in territory and time, whether the offer is exclusive or not (no one else is
   * licensed the data there while the sale runs). `until` is when the last such sale ends (null:
   * one never ends). Absent on every other offer.
   */
  exclusiveSoldOut?: { until: string | null };
}

/** What ordering sells from: the offer, the dataset's state and vendor, at this moment. */
export interface OfferSnapshot extends OfferView {
  vendorOrganizationId: string;
  datasetStatus: DatasetStatus;
  datasetTitle: string;
  /** Published, active, not expired, and visible to the caller. */
  available: boolean;
  releasedVersionIds: string[];
  /**
   * A metered offer's most units: what the listing declares of its unit (`speech.hours` for
   * `hour`, `image.images` for `image`, ...), rounded up; null when not metered, not declared, or
   * `gib` (counted at download). Absent from a catalog older than this field.
   */
  meteredVolume?: number | null;
}

export interface SampleView {
  id: string;
  path: string;
  size: number;
  sha256: string;
  contentType: string | null;
  createdAt: string;
}

/** A sample as the listing shows it, with a signed GET/HEAD URL of its bytes on delivery. */
export interface SampleDownloadView extends SampleView {
  /** Absolute URL on delivery, bound to this sample's SHA-256: once the sample is replaced by other bytes it is refused. */
  url: string;
  /** ISO 8601; the URL starts no request after then (SAMPLE_URL_TTL_SECONDS, an hour by default). */
  expiresAt: string;
}

export interface DatasetDetail extends DatasetView {
  /** How many versions the caller may see: released ones, open ones too for the vendor and admins. */
  versionCount: number;
  /**
   * The newest VERSIONS_SHOWN of them (fewer when their files and changelogs would not fit in
   * one answer), oldest first; `catalog.version.list` pages through every one.
   */
  versions: VersionView[];
  offers: OfferView[];
  samples: SampleView[];
}

export interface DatasetPage {
  items: DatasetView[];
  nextCursor: string | null;
}

export interface SignedUploadView {
  uploadUrl: string;
  expiresAt: string;
}

export interface AddedSample {
  id: string;
  path: string;
  size: number;
  sha256: string;
}

export interface ExclusiveSaleView {
  id: string;
  offerId: string;
  datasetId: string;
  buyerOrgId: string;
  orderId: string;
  startsAt: string;
  endsAt: string | null;
  status: 'live' | 'released';
}

export interface VendorProfileView {
  organizationId: string;
  displayNameZh: string;
  displayNameEn: string;
  description: string | null;
  website: string | null;
  certifications: string[];
  updatedAt: string;
}

/** For the operators' figures (`GET /v1/admin/stats`): listings per status, zero included. */
export class DatasetStatsRequest {
  /** Only this vendor's listings; every listing when absent. */
  @IsOptional()
  @IsUUID()
  vendorOrganizationId?: string;
}

export interface DatasetStatsView {
  /** Listings per moderation status, zero included. */
  byStatus: Record<DatasetStatus, number>;
}
