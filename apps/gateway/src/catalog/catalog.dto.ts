import { DATASET_STATUSES, DatasetListing, DisplayText, DisplayTextThroughout, IsMoment, OFFER_STATUSES, PAST_OFFERS_SHOWN, QueryInteger, VERSION_FILES_CURSOR, VERSION_FILES_SHOWN, VERSION_PATTERN, VERSION_STATUSES, VERSIONS_SHOWN, type DatasetStatus, type OfferStatus, type VersionStatus } from '@trove/contracts';
import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, IsUUID, Length, Matches, MaxLength, Min, ValidateIf } from 'class-validator';
import { LicenseTerms, OfferLicensing, Pricing, type LicenseTermsValue, type PricingValue } from '@trove/licensing';
import { NoneReadAlike, trimEachLine, trimLine } from '@trove/dataset';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageQuery } from '@trove/platform';
import { PageOf } from '../openapi/page.dto';

/** A declared SHA-256 as clients write it; kept in lower case, as every answer gives it. */
const SHA256_HEX_EITHER_CASE = /^[0-9a-fA-F]{64}$/;
/** Trims each string of a list; anything else is left for the validators to refuse. */

// ---------------------------------------------------------------- requests

/** `POST /v1/datasets`: the listing as libs/dataset models it, with title and description. */
export class CreateDatasetDto extends DatasetListing {}

/**
 * `PATCH /v1/datasets/:id`: any listing fields; each one sent replaces the listing's (a nested
 * object such as `speech` is replaced whole), `null` removes an optional one, and the result
 * must be a valid listing.
 */
@DisplayTextThroughout(['description'])
export class UpdateDatasetDto extends PartialType(DatasetListing) {}

export class CreateVersionDto {
  // Bounded because the catalog indexes it: 8,000 characters passed the pattern and failed the index (a 500).
  @ApiProperty({ example: '1.0.0', maxLength: 64, pattern: VERSION_PATTERN.source, description: 'Semantic version, unique within the dataset' })
  @IsString()
  @MaxLength(64, { message: 'version must be at most 64 characters' })
  @Matches(VERSION_PATTERN, { message: 'version must look like 1.0.0 (semantic versioning)' })
  version: string;

  @ApiPropertyOptional({ example: '首个版本：1,000 小时，2,000 名说话人 / First release', maxLength: 10_000 })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  @DisplayText('prose')
  changelog?: string;
}

export class CreateUploadDto {
  @ApiProperty({
    example: 'audio/zh-CN/speaker_0001/utt_000001.wav',
    description: 'Where the file appears in the dataset: relative, normalized, `/`-separated, at most 512 bytes; no `..`, no leading `/`, no backslash',
    maxLength: 2048,
  })
  @IsString()
  @MaxLength(2048)
  path: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 1_048_576, description: 'Declared size in bytes; the upload is refused (422) when the bytes differ. Leave it out to declare none (`null` is 400)' })
  // Left out is undeclared; null is no size (400), not a URL signed with `size=null` that verifies never.
  @ValidateIf((_dto: unknown, value: unknown) => value !== undefined)
  @IsInt()
  @Min(0)
  size?: number;

  @ApiPropertyOptional({
    example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    pattern: SHA256_HEX_EITHER_CASE.source,
    description: 'Declared SHA-256, 64 hex digits in either case (answers give it in lower case); the upload is refused (422) when the bytes differ. Leave it out to declare none (`null` is 400)',
  })
  @ValidateIf((_dto: unknown, value: unknown) => value !== undefined)
  // Many tools print hex in upper case (.NET's Convert.ToHexString, PowerShell's Get-FileHash): the same digest.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && SHA256_HEX_EITHER_CASE.test(value) ? value.toLowerCase() : value))
  @Matches(SHA256_HEX_EITHER_CASE, { message: 'sha256 must be 64 hexadecimal characters' })
  sha256?: string;
}

export class CreateSampleDto extends CreateUploadDto {}

export class CreateOfferDto extends OfferLicensing {
  @ApiPropertyOptional({ description: 'Buyers must ask (POST /v1/access-requests) and be approved before ordering', default: false })
  @IsOptional()
  @IsBoolean()
  requiresApproval?: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'A private offer: only this buyer organization sees and may buy it' })
  @IsOptional()
  @IsUUID()
  buyerOrgId?: string;

  @ApiPropertyOptional({
    example: '2027-06-30T00:00:00+08:00',
    description: 'After this moment the offer cannot be bought. With its UTC offset (`Z`, `+08:00`): a date alone or a time without one is 400, not read as UTC.',
  })
  @IsOptional()
  @IsMoment()
  expiresAt?: string;
}

const PROSE_REASON =
  'For the vendor to read: 1 to 2,000 characters after trimming; line breaks and tabs are fine, other control characters, bidirectional embeddings, overrides or isolates and invisible characters are 400';

export class RejectDatasetDto {
  @ApiProperty({
    example: '合规信息不完整：缺少个人信息处理的同意依据 / Compliance incomplete: no legal basis for personal information',
    minLength: 1,
    maxLength: 2000,
    description: PROSE_REASON,
  })
  @Transform(trimLine)
  @IsString()
  @Length(1, 2000)
  @DisplayText('prose')
  reason: string;
}

/** `POST /v1/admin/datasets/:id/suspend`: the body may be left out; a reason, when given, is shown to the vendor. */
export class SuspendDatasetDto {
  @ApiPropertyOptional({ example: '样本含未脱敏的手机号，整改后重新提交 / Samples hold unmasked phone numbers: fix and submit again', minLength: 1, maxLength: 2000, description: PROSE_REASON })
  @IsOptional()
  @Transform(trimLine)
  @IsString()
  @Length(1, 2000)
  @DisplayText('prose')
  reason?: string;
}

/** `GET /v1/datasets/:id/versions/:versionId/files`: a page of a version's files, in path order. */
export class VersionFilesQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Page size; above the maximum is 400, not cut.' })
  @IsOptional()
  @QueryInteger({ min: 1, max: MAX_PAGE_SIZE })
  limit?: number;

  // A cursor holds the version's id and the last path of the page, and a path may take 512 bytes.
  @ApiPropertyOptional({
    description: 'The `nextCursor` of the previous page of the same version; anything else (a cursor of another version included) is 400.',
    pattern: VERSION_FILES_CURSOR.source,
  })
  @IsOptional()
  @IsString()
  @Matches(VERSION_FILES_CURSOR, { message: 'cursor must be a value returned as nextCursor' })
  cursor?: string;
}

export class VendorDatasetsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DATASET_STATUSES })
  @IsOptional()
  @IsIn(DATASET_STATUSES)
  status?: DatasetStatus;
}

export class AdminDatasetsQuery extends VendorDatasetsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "One vendor organization's listings" })
  @IsOptional()
  @IsUUID()
  vendor?: string;
}

export class VendorProfileInputDto {
  @ApiProperty({ example: '海天瑞声科技股份有限公司', minLength: 1, maxLength: 200 })
  @Transform(trimLine)
  @IsString()
  @Length(1, 200)
  @DisplayText()
  displayNameZh: string;

  @ApiProperty({ example: 'SpeechOcean', minLength: 1, maxLength: 200 })
  @Transform(trimLine)
  @IsString()
  @Length(1, 200)
  @DisplayText()
  displayNameEn: string;

  @ApiPropertyOptional({ example: '专注语音、图像与文本训练数据 / Speech, image and text training data since 2005', maxLength: 5000 })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  @DisplayText('prose')
  description?: string;

  @ApiPropertyOptional({ example: 'https://www.speechocean.example.cn', maxLength: 500 })
  @IsOptional()
  @IsString()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, disallow_auth: true }, { message: 'website must be an http(s) URL without a user name or password (https://aishell.example@evil.example reads as one site and opens another)' })
  @MaxLength(500)
  @DisplayText()
  website?: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: 50,
    minLength: 1,
    maxLength: 200,
    description:
      'At most 50, each 1-200 characters once trimmed; none twice, compared as a reader reads them (trimmed, NFKC-folded, case-insensitive: `ISO 27001`, `iso 27001` and `ＩＳＯ 27001` are one)',
    uniqueItems: true,
    example: ['ISO/IEC 27001', 'DSMM 三级', '上海数据交易所 数商'],
  })
  @IsOptional()
  @Transform(trimEachLine)
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  @DisplayText('line', { each: true })
  @NoneReadAlike('one')
  certifications?: string[];
}

// ---------------------------------------------------------------- answers

export class DatasetDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  vendorOrganizationId: string;

  @ApiProperty({ example: '普通话手机采集语音数据 1,000 小时' })
  title: string;

  @ApiProperty({ enum: DATASET_STATUSES })
  status: DatasetStatus;

  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Why an operator rejected or suspended it, when it said; cleared on approval. Answered to its vendor and admins only: absent for everyone else',
  })
  rejectionReason?: string | null;

  @ApiProperty({ type: () => CreateDatasetDto, description: 'The listing as validated' })
  metadata: Record<string, unknown>;

  @ApiProperty()
  createdAt: string;

  @ApiProperty()
  updatedAt: string;

  @ApiProperty({ nullable: true, type: String })
  publishedAt: string | null;
}

export class VersionFileDto {
  @ApiProperty({ example: 'audio/zh-CN/speaker_0001/utt_000001.wav' })
  path: string;

  @ApiProperty({ example: 1_048_576 })
  size: number;

  @ApiProperty({ example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' })
  sha256: string;
}

/** A version as `GET /v1/datasets/:id/versions` lists it: its fileCount and totalBytes, none of its files. */
export class VersionSummaryDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: '1.0.0' })
  version: string;

  @ApiProperty({ nullable: true, type: String })
  changelog: string | null;

  @ApiProperty({ enum: VERSION_STATUSES, description: 'open: files may be added; released: the file list is frozen' })
  status: VersionStatus;

  @ApiProperty()
  createdAt: string;

  @ApiProperty({ nullable: true, type: String })
  releasedAt: string | null;

  @ApiProperty({ description: 'How many files the version holds' })
  fileCount: number;

  @ApiProperty({ description: 'The sum of the sizes of its files, in bytes', example: 123_456_789_012 })
  totalBytes: number;
}

export class VersionPageDto extends PageOf(VersionSummaryDto) {}

/** A version as a listing's page and a release show it: the summary, with its first files. */
export class VersionDto extends VersionSummaryDto {
  @ApiProperty({
    type: [VersionFileDto],
    description: `The first ${VERSION_FILES_SHOWN} files in path order (all of them when fileCount is not more); GET .../versions/:versionId/files pages through every one`,
  })
  files: VersionFileDto[];
}

export class VersionFilePageDto extends PageOf(VersionFileDto) {}

export class OfferLicenseDto {
  @ApiProperty({ example: 'commercial' })
  template: string;

  @ApiProperty({ type: () => LicenseTerms, description: "The terms granted (the template's defaults when none were sent), every field written out: their JSON with keys sorted is what termsSha256 hashes" })
  terms: LicenseTermsValue;
}

export class ExclusiveSoldOutDto {
  @ApiProperty({ nullable: true, type: String, description: 'When the last colliding sale ends; null: one never ends' })
  until: string | null;
}

export class OfferDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty({ type: OfferLicenseDto })
  license: OfferLicenseDto;

  @ApiProperty({ description: 'SHA-256 of the canonical terms: what an order line records' })
  termsSha256: string;

  @ApiProperty({ type: () => Pricing, description: 'How it is priced; amounts are integer minor units' })
  pricing: PricingValue;

  @ApiProperty()
  requiresApproval: boolean;

  @ApiProperty()
  exclusive: boolean;

  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'Set on a private offer' })
  buyerOrgId: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'After this moment the offer cannot be ordered; null: it does not expire' })
  expiresAt: string | null;

  @ApiProperty({
    enum: OFFER_STATUSES,
    description:
      'active: it can be ordered; withdrawn: its vendor withdrew it; expired: `expiresAt` has passed (told when read). ' +
      'Only its vendor and admins see offers that are not active on a listing\'s page',
  })
  status: OfferStatus;

  @ApiProperty()
  createdAt: string;

  @ApiProperty({
    nullable: true,
    type: Number,
    description:
      'A metered offer: the units an order item without `quantity` buys, what the listing declared of the unit when the offer was made (rounded up), and the whole an item with `quantity` is a share of (it may buy no more). ' +
      'An edit of the listing that declares less lowers it for good; no edit ever raises it (a grown corpus is sold by a new offer). ' +
      'Null when the offer is not metered and for `gib` (the item gives `quantity`). A metered offer in another unit whose listing stopped declaring it (possible only once the offer is withdrawn or expired: the catalog refuses such an edit while the offer is live, 409) is null too, and cannot be ordered (409 OFFER_NOT_ORDERABLE); the catalog makes no such offer (400 on `pricing.unit`)',
  })
  defaultQuantity: number | null;

  @ApiPropertyOptional({
    type: () => ExclusiveSoldOutDto,
    description: "On a listing's page, an offer a live exclusive sale blocks (they overlap in territory and time), exclusive or not: no one else is licensed the data there while the sale runs, and ordering it now is 409 EXCLUSIVITY_CONFLICT. Absent otherwise",
  })
  exclusiveSoldOut?: ExclusiveSoldOutDto;
}

export class SampleDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'samples/utt_000001.wav' })
  path: string;

  @ApiProperty()
  size: number;

  @ApiProperty()
  sha256: string;

  @ApiProperty({ nullable: true, type: String })
  contentType: string | null;

  @ApiProperty()
  createdAt: string;
}

export class SampleDownloadDto extends SampleDto {
  @ApiProperty({
    example: 'http://localhost:3004/files/samples/…',
    description: 'GET or HEAD the bytes here (Range, ETag, no API key) until `expiresAt`; bound to `sha256`: once the sample is replaced by other bytes the URL is 404',
  })
  url: string;

  @ApiProperty({ example: '2026-11-30T13:00:00.000Z', description: 'The URL starts no request after this (SAMPLE_URL_TTL_SECONDS, an hour by default)' })
  expiresAt: string;
}

export class DatasetDetailDto extends DatasetDto {
  @ApiProperty({ description: 'How many versions the caller may see: released ones; open ones too for the vendor and admins' })
  versionCount: number;

  @ApiProperty({
    type: [VersionDto],
    description:
      `The newest ${VERSIONS_SHOWN} released versions, oldest first; the newest ${VERSIONS_SHOWN} open ones too for the vendor and admins. ` +
      'Fewer when their files and changelogs would make the answer too large; GET /v1/datasets/:id/versions pages through every one',
  })
  versions: VersionDto[];

  @ApiProperty({
    type: [OfferDto],
    description: `Live public offers, and private ones for their buyer; for the vendor and admins every live offer and the newest ${PAST_OFFERS_SHOWN} withdrawn or expired ones`,
  })
  offers: OfferDto[];

  @ApiProperty({ type: [SampleDto] })
  samples: SampleDto[];
}

export class SignedUploadDto {
  @ApiProperty({ example: 'http://localhost:3004/files/uploads/…', description: 'PUT the bytes here; the answer is 201 {path, size, sha256}' })
  uploadUrl: string;

  @ApiProperty({ example: '2026-11-30T12:15:00.000Z' })
  expiresAt: string;
}

export class VendorProfileDto {
  @ApiProperty({ format: 'uuid' })
  organizationId: string;

  @ApiProperty()
  displayNameZh: string;

  @ApiProperty()
  displayNameEn: string;

  @ApiProperty({ nullable: true, type: String })
  description: string | null;

  @ApiProperty({ nullable: true, type: String })
  website: string | null;

  @ApiProperty({ type: [String] })
  certifications: string[];

  @ApiProperty()
  updatedAt: string;
}

export class DatasetPageDto extends PageOf(DatasetDto) {}
