import { DIFF_PAGE_DEFAULT, DIFF_PAGE_MAX, ENTITLEMENT_STATUSES, QueryInteger, RECIPIENT_DOWNLOAD_GROUPS, type EntitlementStatus } from '@trove/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { METERED_UNITS } from '@trove/licensing';
import { lowerCase, PageQuery } from '@trove/platform';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { PageOf } from '../openapi/page.dto';

export class EntitlementsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ENTITLEMENT_STATUSES, description: 'Only entitlements of this status (an ended license term is `expired`)' })
  @IsOptional()
  @IsIn(ENTITLEMENT_STATUSES)
  status?: EntitlementStatus;
}

export class DiffQuery {
  // Ids are compared as the catalog writes them, in lower case: a UUID in upper case is the same version.
  @ApiProperty({ format: 'uuid', description: 'A version the entitlement covers (either case)' })
  @Transform(lowerCase)
  @IsUUID()
  from: string;

  @ApiProperty({ format: 'uuid', description: 'Another version the entitlement covers (either case)' })
  @Transform(lowerCase)
  @IsUUID()
  to: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: DIFF_PAGE_MAX,
    default: DIFF_PAGE_DEFAULT,
    description: 'Entries per page, added, removed and changed together (a page may hold fewer: see nextCursor); above the maximum is 400, not cut.',
  })
  @IsOptional()
  @QueryInteger({ min: 1, max: DIFF_PAGE_MAX })
  limit?: number;

  // A cursor holds a path, and a path may take 512 bytes.
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page of the same diff; anything else is 400.', pattern: '^[A-Za-z0-9_-]{1,700}$' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,700}$/, { message: 'cursor must be a value returned as nextCursor' })
  cursor?: string;
}

export class EntitlementDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ type: [String], description: 'The versions it covers; a subscription gains each version released while it lives' })
  versionIds: string[];

  @ApiProperty({ enum: ENTITLEMENT_STATUSES })
  status: EntitlementStatus;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'When the license may first be used: the payment, or, for a license with a term bought again while the earlier terms run (a renewal), when they end; before it, its manifest and files are 403 ENTITLEMENT_NOT_STARTED',
  })
  startsAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the license term ends (null: perpetual), or when it was revoked or expired' })
  expiresAt: string | null;

  @ApiProperty({ type: () => EntitlementAllowanceDto, nullable: true, description: 'What a metered line bought; null for one-time, subscription and free lines' })
  allowance: EntitlementAllowanceDto | null;
}

export class EntitlementAllowanceDto {
  @ApiProperty({ enum: METERED_UNITS, example: 'gib' })
  unit: string;

  @ApiProperty({ type: 'integer', example: 50, description: 'Units bought' })
  quantity: number;

  @ApiPropertyOptional({
    type: 'integer',
    example: 53687091200,
    description: 'Where bytes are counted: per GiB, the bytes bought (quantity x 2^30); in another unit bought in part (10 of 1,000 hours), that share of the bytes of the versions covered, rounded up',
  })
  bytes?: number;

  @ApiPropertyOptional({ type: 'integer', example: 1073741824, description: 'Where bytes are counted: bytes delivered so far, every download and range counted' })
  deliveredBytes?: number;

  @ApiPropertyOptional({ type: 'integer', example: 52613349376, description: 'Where bytes are counted: bytes left; a download asking for more is 403 ALLOWANCE_EXHAUSTED' })
  remainingBytes?: number;
}

export class EntitlementListDto extends PageOf(EntitlementDto) {}

export class RecipientsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only the entitlements that cover this version of the dataset, and only their downloads of it' })
  @IsOptional()
  @IsUUID()
  versionId?: string;
}

export class RecipientDownloadsDto {
  @ApiProperty({ description: 'The API key of the buyer that downloaded (its id, as in the buyer\'s GET /v1/api-keys and in the URLs signed for it)' })
  keyId: string;

  @ApiProperty({ format: 'uuid' })
  versionId: string;

  @ApiProperty({ type: String, nullable: true, example: '1.2.0' })
  version: string | null;

  @ApiProperty({ type: 'integer', description: 'Distinct files fetched, whole or in part' })
  files: number;

  @ApiProperty({ type: 'integer', description: 'Download requests answered (a resumed or ranged download is several)' })
  requests: number;

  @ApiProperty({ type: 'integer', description: 'Bytes sent' })
  bytes: number;

  @ApiProperty({ format: 'date-time' })
  firstAt: string;

  @ApiProperty({ format: 'date-time' })
  lastAt: string;
}

export class DatasetRecipientDto {
  @ApiProperty({ format: 'uuid' })
  entitlementId: string;

  @ApiProperty({ format: 'uuid' })
  orderId: string;

  @ApiProperty({ format: 'uuid' })
  buyerOrganizationId: string;

  @ApiProperty({ type: String, nullable: true, example: '北京智源人工智能研究院 / BAAI', description: 'The name the buying organization signed up with' })
  buyerName: string | null;

  @ApiProperty({ enum: ENTITLEMENT_STATUSES })
  status: EntitlementStatus;

  @ApiProperty({ format: 'date-time', description: "When the buyer's license starts: its payment, or, for a renewal of a license with a term, when the term it renews ends (later)" })
  grantedAt: string;

  @ApiProperty({ type: [String], description: 'The versions the entitlement covers' })
  versionIds: string[];

  @ApiProperty({ type: [RecipientDownloadsDto], description: `What the buyer downloaded, per API key and version, the most recently active first (at most ${RECIPIENT_DOWNLOAD_GROUPS}); empty when it never downloaded` })
  downloads: RecipientDownloadsDto[];

  @ApiProperty({ type: 'integer', description: 'Further key-and-version groups beyond those listed' })
  moreDownloads: number;
}

export class DatasetRecipientListDto extends PageOf(DatasetRecipientDto) {}

export class ManifestFileDto {
  @ApiProperty({ example: 'audio/zh-CN/普通话_0001.wav' })
  path: string;

  @ApiProperty({ example: 3145745 })
  size: number;

  @ApiProperty({ pattern: '^[0-9a-f]{64}$' })
  sha256: string;

  @ApiProperty({ description: 'Signed GET/HEAD URL on delivery for this caller and entitlement; supports Range' })
  url: string;

  @ApiProperty({ format: 'date-time', description: 'Requests must start before then; one in progress is not cut off' })
  expiresAt: string;
}

export class LocatedFileDto extends ManifestFileDto {
  @ApiProperty({ format: 'uuid', description: 'The entitlement the URL is signed under' })
  entitlementId: string;

  @ApiProperty({ format: 'uuid' })
  versionId: string;
}

export class RootSignatureDto {
  @ApiProperty({ enum: ['Ed25519'] })
  alg: 'Ed25519';

  @ApiProperty({ example: 'kid1' })
  kid: string;

  @ApiProperty({ description: 'Base64 Ed25519 signature of `trove-manifest-v1\\n<datasetId>\\n<versionId>\\n<root>`' })
  sig: string;

  @ApiProperty({ description: 'Base64 of the raw 32-byte public key' })
  publicKey: string;
}

export class ManifestVersionDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: '1.0.0' })
  version: string;

  @ApiProperty({ type: [ManifestFileDto] })
  files: ManifestFileDto[];

  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'Merkle root over the files (docs/downloads.md)' })
  root: string;

  @ApiProperty({ type: RootSignatureDto })
  rootSignature: RootSignatureDto;
}

export class ManifestDto {
  @ApiProperty({ format: 'uuid' })
  datasetId: string;

  @ApiProperty({ format: 'uuid' })
  entitlementId: string;

  @ApiProperty({ type: [ManifestVersionDto] })
  versions: ManifestVersionDto[];
}

export class DiffFileDto {
  @ApiProperty()
  path: string;

  @ApiProperty()
  size: number;

  @ApiProperty({ pattern: '^[0-9a-f]{64}$' })
  sha256: string;
}

export class ChangedFileDto {
  @ApiProperty()
  path: string;

  @ApiProperty({ type: DiffFileDto })
  from: DiffFileDto;

  @ApiProperty({ type: DiffFileDto })
  to: DiffFileDto;
}

export class VersionDiffDto {
  @ApiProperty({ format: 'uuid' })
  from: string;

  @ApiProperty({ format: 'uuid' })
  to: string;

  @ApiProperty({ type: [DiffFileDto] })
  added: DiffFileDto[];

  @ApiProperty({ type: [DiffFileDto] })
  removed: DiffFileDto[];

  @ApiProperty({ type: [ChangedFileDto], description: 'Same path, another size or SHA-256' })
  changed: ChangedFileDto[];

  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'Pass as ?cursor= (with the same from and to) for the differences that follow; null on the last page. A page may hold fewer than `limit` entries, or none, and still have a next one: walk until it is null.',
  })
  nextCursor: string | null;
}
