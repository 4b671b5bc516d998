import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { SHA256_HEX, UPLOAD_TARGETS, type UploadTarget } from '../catalog/catalog.messages';

/**
 * Catalog asks delivery for a signed upload URL once it has checked the caller, the dataset,
 * the version and the path. Delivery checks the path again (it is the edge that writes bytes).
 */
export class SignUploadRequest {
  @IsIn(UPLOAD_TARGETS)
  target: UploadTarget;

  @IsUUID()
  datasetId: string;

  /** Required for a version file; a sample belongs to the dataset. */
  @ValidateIf((request: SignUploadRequest) => request.target === 'version-file' || request.versionId !== undefined)
  @IsUUID()
  versionId?: string;

  /** The file's path inside the dataset, relative and normalized (`audio/zh-CN/0001.wav`). */
  @IsString()
  @MaxLength(1024)
  path: string;

  /** The size the vendor declares; the upload is refused (422) when the bytes differ. */
  @IsOptional()
  @IsInt()
  @Min(0)
  size?: number;

  /** The SHA-256 the vendor declares, 64 lowercase hex; the upload is refused (422) when it differs. */
  @IsOptional()
  @Matches(SHA256_HEX, { message: 'sha256 must be 64 lowercase hexadecimal characters' })
  sha256?: string;

  /** The largest body the URL accepts (the sample cap); larger is 413. */
  @IsOptional()
  @IsInt()
  @Min(1)
  maxBytes?: number;
}

export interface SignedUpload {
  /** Absolute URL on delivery; the client PUTs the bytes there. */
  uploadUrl: string;
  /** ISO 8601; an upload must start before then (one in progress is not cut off). */
  expiresAt: string;
}

/** Delivery's answer to the PUT, once catalog has recorded the file. */
export interface UploadedFile {
  path: string;
  size: number;
  sha256: string;
}

export const ENTITLEMENT_STATUSES = ['active', 'revoked', 'expired'] as const;
export type EntitlementStatus = (typeof ENTITLEMENT_STATUSES)[number];

/**
 * A page of the caller's entitlements (the caller travels in the headers), newest first,
 * optionally of one status: `limit` of them (20 when absent), after `cursor` (a `nextCursor`).
 */
export class ListEntitlementsRequest {
  @IsOptional()
  @IsIn(ENTITLEMENT_STATUSES)
  status?: EntitlementStatus;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export interface EntitlementView {
  id: string;
  datasetId: string;
  orderId: string;
  versionIds: string[];
  status: EntitlementStatus;
  /** ISO 8601, or null for a perpetual license. */
  expiresAt: string | null;
  /** What a metered line bought, or null for other pricing; for `gib`, the bytes already delivered too. */
  allowance: EntitlementAllowance | null;
}

/** A metered purchase: `quantity` of `unit`; sold per GiB, delivery counts the bytes it sent. */
export interface EntitlementAllowance {
  unit: string;
  quantity: number;
  /** `gib` only: the bytes bought (quantity x 2^30), those delivered, and those left. */
  bytes?: number;
  deliveredBytes?: number;
  remainingBytes?: number;
}

export interface EntitlementList {
  items: EntitlementView[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

export class GetManifestRequest {
  @IsUUID()
  id: string;
}

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  /** A signed GET/HEAD URL for this caller and entitlement. */
  url: string;
  expiresAt: string;
}

export interface ManifestVersion {
  id: string;
  version: string;
  files: ManifestFile[];
  /** The Merkle root over the files (docs/downloads.md), hex, and its Ed25519 signature. */
  root: string;
  rootSignature: { alg: 'Ed25519'; kid: string; sig: string; publicKey: string };
}

export interface Manifest {
  datasetId: string;
  entitlementId: string;
  versions: ManifestVersion[];
}

export class DiffVersionsRequest {
  @IsUUID()
  id: string;

  @IsUUID()
  from: string;

  @IsUUID()
  to: string;
}

export interface DiffFile {
  path: string;
  size: number;
  sha256: string;
}

export interface VersionDiff {
  from: string;
  to: string;
  added: DiffFile[];
  removed: DiffFile[];
  changed: { path: string; from: DiffFile; to: DiffFile }[];
}
