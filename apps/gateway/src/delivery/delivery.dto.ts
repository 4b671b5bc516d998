import { ENTITLEMENT_STATUSES, type EntitlementStatus } from '@trove/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';

export class EntitlementsQuery {
  @ApiPropertyOptional({ enum: ENTITLEMENT_STATUSES })
  @IsOptional()
  @IsIn(ENTITLEMENT_STATUSES)
  status?: EntitlementStatus;
}

export class DiffQuery {
  @ApiProperty({ format: 'uuid', description: 'A version the entitlement covers' })
  @IsUUID()
  from: string;

  @ApiProperty({ format: 'uuid', description: 'Another version the entitlement covers' })
  @IsUUID()
  to: string;
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

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the license term ends (null: perpetual), or when it was revoked or expired' })
  expiresAt: string | null;
}

export class EntitlementListDto {
  @ApiProperty({ type: [EntitlementDto] })
  items: EntitlementDto[];
}

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
}
