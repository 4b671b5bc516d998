import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, MaxLength, Min, ValidateIf } from 'class-validator';
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
