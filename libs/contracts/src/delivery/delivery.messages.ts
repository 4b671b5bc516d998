import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { SHA256_HEX, UPLOAD_TARGETS, type UploadTarget } from '../catalog/catalog.messages';
import { PageRequest } from '../page-request';
import { ListedPath } from '../listed-path';

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

/**
 * Catalog asks delivery to sign the URL of a sample's bytes once it has decided the caller may
 * see the listing. The URL is bound to the sample's SHA-256: when the vendor replaces the sample
 * with other bytes, delivery refuses it rather than serve bytes the listing did not show.
 */
export class SignSampleRequest {
  @IsUUID()
  datasetId: string;

  /** The sample's path in the dataset (`samples/utt_000001.wav`), as delivery stored it. */
  @IsString()
  @MaxLength(1024)
  path: string;

  @Matches(SHA256_HEX, { message: 'sha256 must be 64 lowercase hexadecimal characters' })
  sha256: string;

  /** The media type the vendor uploaded the sample with; the bytes are served with it. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  contentType?: string;
}

export interface SignedSample {
  /** Absolute URL on delivery: GET or HEAD, by anyone who holds it, until `expiresAt`. */
  url: string;
  /** ISO 8601. */
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
export class ListEntitlementsRequest extends PageRequest {
  @IsOptional()
  @IsIn(ENTITLEMENT_STATUSES)
  status?: EntitlementStatus;
}

export interface EntitlementView {
  id: string;
  datasetId: string;
  orderId: string;
  versionIds: string[];
  status: EntitlementStatus;
  /** ISO 8601: when the license may first be used, its payment, or a renewal's term start (after the terms it renews). */
  startsAt: string;
  /** ISO 8601, or null for a perpetual license. */
  expiresAt: string | null;
  /** What a metered line bought, or null for other pricing; for `gib`, the bytes already delivered too. */
  allowance: EntitlementAllowance | null;
}

/**
 * A metered purchase: `quantity` of `unit`. Sold per GiB, delivery counts the bytes it sent; in
 * another unit bought in part (10 of a corpus's 1,000 hours), it counts them against that share
 * of the corpus's bytes.
 */
export interface EntitlementAllowance {
  unit: string;
  quantity: number;
  /** Where bytes are counted: the bytes bought (quantity x 2^30, or the share of the corpus), those delivered, and those left. */
  bytes?: number;
  deliveredBytes?: number;
  remainingBytes?: number;
}

export interface EntitlementList {
  items: EntitlementView[];
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

/**
 * Who received a dataset, for its vendor and operators: the entitlements granted on it, newest
 * first, each with what its buyer downloaded, per API key and version. With `versionId`, only the
 * entitlements that cover that version, and only their downloads of it: who could hold a copy of
 * a release that turned up where it should not, and who did fetch it. Asked through the catalog,
 * which checks that the caller owns the listing (operators see every listing's).
 */
export class DatasetRecipientsRequest extends PageRequest {
  @IsUUID()
  datasetId: string;

  @IsOptional()
  @IsUUID()
  versionId?: string;
}

/** The downloads under one entitlement with one API key from one version. */
export interface RecipientDownloads {
  keyId: string;
  versionId: string;
  /** The version's label (`1.2.0`), or null for one delivery has no release of. */
  version: string | null;
  /** Distinct files (paths) fetched, whole or in part. */
  files: number;
  /** Download requests answered (a resumed or ranged download is several). */
  requests: number;
  /** Bytes sent. */
  bytes: number;
  firstAt: string;
  lastAt: string;
}

export interface DatasetRecipient {
  entitlementId: string;
  orderId: string;
  buyerOrganizationId: string;
  status: EntitlementStatus;
  grantedAt: string;
  /** The versions the entitlement covers (a subscription's grow with each release). */
  versionIds: string[];
  /** Most recently active first, at most RECIPIENT_DOWNLOAD_GROUPS of them. */
  downloads: RecipientDownloads[];
  /** Further key-and-version groups beyond those listed (0 when all are). */
  moreDownloads: number;
}

/** How many key-and-version groups of downloads one recipient lists. */
export const RECIPIENT_DOWNLOAD_GROUPS = 20;

export interface DatasetRecipients {
  items: DatasetRecipient[];
  nextCursor: string | null;
}

/**
 * One page of an entitlement's manifest. A reply on the bus has a size limit (NATS's
 * max_payload, 1 MiB by default) and a manifest signs a URL of about 500 bytes per file, so
 * delivery answers a large manifest a page at a time and the gateway puts the pages together.
 */
export class GetManifestRequest {
  @IsUUID()
  id: string;

  /** The previous page's `nextCursor`: the files after it. Absent: the first page. */
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  cursor?: string;
}

/**
 * One file of a released version, by its path, for a buyer whose entitlement covers the version:
 * what the Croissant card's `contentUrl` leads to through the gateway.
 */
export class LocateFileRequest {
  @IsUUID()
  datasetId: string;

  @IsUUID()
  versionId: string;

  /** The file's path in the version, exactly as listed (`audio/zh-CN/0001.wav`). */
  @ListedPath(1024)
  path: string;
}

/** A file with a fresh signed URL, as a manifest lists it, and the entitlement that signed it. */
export interface LocatedFile extends ManifestFile {
  entitlementId: string;
  versionId: string;
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

/**
 * What `delivery.entitlement.manifest` answers. The first page has every version with its root
 * and signature (computed over all its files) and the first files; a later page has only the
 * versions with files on it, without root. A manifest that fits in one page is that page, with
 * `nextCursor` null.
 */
export interface ManifestPage {
  datasetId: string;
  entitlementId: string;
  versions: (Omit<ManifestVersion, 'root' | 'rootSignature'> & Partial<Pick<ManifestVersion, 'root' | 'rootSignature'>>)[];
  /** Ask again with this as `cursor` for the files that follow; null on the last page. */
  nextCursor: string | null;
}

/**
 * The manifest of a first page, to which `addManifestPage` appends the files of the pages that
 * follow. Throws when the page is not a first page.
 */
export function manifestOfFirstPage(page: ManifestPage): Manifest {
  return {
    datasetId: page.datasetId,
    entitlementId: page.entitlementId,
    versions: page.versions.map(({ root, rootSignature, ...version }) => {
      if (root === undefined || rootSignature === undefined) throw new Error(`the first page of a manifest has no root for version ${version.id}`);
      return { ...version, files: [...version.files], root, rootSignature };
    }),
  };
}

/** Appends the files of a later page to the versions of `manifest`. */
export function addManifestPage(manifest: Manifest, page: ManifestPage): void {
  for (const version of page.versions) {
    const into = manifest.versions.find((v) => v.id === version.id);
    if (!into) throw new Error(`a manifest page lists version ${version.id}, which its first page did not`);
    for (const file of version.files) into.files.push(file);
  }
}

/** Entries of a diff page when the request names no `limit`, and the most it may name. */
export const DIFF_PAGE_DEFAULT = 500;
export const DIFF_PAGE_MAX = 1000;

/**
 * One page of the differences between two versions, in path order. A reply on the bus has a size
 * limit (NATS's max_payload, 1 MiB by default), and two releases of a speech corpus can differ
 * by hundreds of thousands of files, so delivery answers the diff a page at a time.
 * (PageRequest's bounds, 100 entries and a 200-character cursor, are a list's: a diff page holds
 * up to 1,000 entries and its cursor a file's path.)
 */
export class DiffVersionsRequest {
  @IsUUID()
  id: string;

  @IsUUID()
  from: string;

  @IsUUID()
  to: string;

  /** At most this many entries, added, removed and changed together; DIFF_PAGE_DEFAULT when absent. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(DIFF_PAGE_MAX)
  limit?: number;

  /** The previous page's `nextCursor` (the last path it went through, base64url): the differences after it. */
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,700}$/, { message: 'cursor must be a value returned as nextCursor' })
  cursor?: string;
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
  /** Ask again with this as `cursor` for the differences that follow; null on the last page. */
  nextCursor: string | null;
}
