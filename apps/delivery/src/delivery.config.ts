import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateIf, registerDecorator, type ValidationArguments } from 'class-validator';
import { PlatformConfig } from '@trove/platform';
import { parseSigningKeys } from './signing/signing-keys';

export const STORAGE_DRIVERS = ['fs', 's3'] as const;
export type StorageDriverName = (typeof STORAGE_DRIVERS)[number];

/** DELIVERY_SIGNING_KEYS parses; the message names the problem, never a secret. */
function IsSigningKeyList(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isSigningKeyList',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => {
          try {
            return typeof value === 'string' && parseSigningKeys(value).length > 0;
          } catch {
            return false;
          }
        },
        defaultMessage: (args?: ValidationArguments) => {
          try {
            parseSigningKeys(String(args?.value ?? ''));
            return 'DELIVERY_SIGNING_KEYS must be <key id>:<base64 secret>[,...]';
          } catch (error) {
            return `DELIVERY_SIGNING_KEYS must be <key id>:<base64 secret of 32+ bytes>[,<older key>...] (npm start makes one): ${(error as Error).message}`;
          }
        },
      },
    });
}

export class DeliveryConfig extends PlatformConfig {
  /**
   * The keys that sign URLs: `kid1:<base64>,kid0:<base64>`. The first signs, all verify, so a
   * new key goes first and the old one stays until the URLs it signed have expired.
   */
  @IsSigningKeyList()
  DELIVERY_SIGNING_KEYS: string;

  /** Where clients reach delivery; signed URLs start with it. */
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'DELIVERY_PUBLIC_URL must be an http(s):// URL without query (http://localhost:3004)' })
  @IsOptional()
  DELIVERY_PUBLIC_URL?: string;

  /** How long a signed upload URL may be used to start an upload. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  UPLOAD_URL_TTL_SECONDS = 3600;

  /**
   * How long a signed download URL may be used to start a request (a download in progress is
   * never cut off; a new manifest gives new URLs). Long enough for a large file on a slow link.
   */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  DOWNLOAD_URL_TTL_SECONDS = 6 * 3600;

  /**
   * How long a sample's signed URL may start requests. Short: the URL is not checked against the
   * listing again, so one handed out before the listing stopped being public works until then.
   */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(24 * 3600)
  SAMPLE_URL_TTL_SECONDS = 3600;

  /**
   * The smallest step by which a download's hold under a download limit or a per-GiB allowance
   * grows as its bytes go out (the step is a sixteenth of the file, at most 8 MiB). Lower it to
   * let download managers split files of a few MiB under tight limits, at the cost of more
   * transactions per download.
   */
  @Type(() => Number)
  @IsInt()
  @Min(4096)
  @Max(64 * 1024 ** 2)
  DOWNLOAD_HOLD_MIN_WINDOW_BYTES = 1024 ** 2;

  /**
   * The slowest average pace a download or a sample may be read at, in bytes per second, once
   * DOWNLOAD_PACE_GRACE_MS have passed; slower, the answer is cut off (a download manager then
   * resumes with a Range). Each answer holds 2 MiB of buffers and an open file (or a storage
   * connection): a client reading a few bytes a minute on a thousand connections held 2 GiB
   * and a thousand files, and no idle timeout ends a transfer that moves. 16 KiB/s is a slow
   * mobile link; 0 turns the rule off.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1024 ** 3)
  DOWNLOAD_MIN_BYTES_PER_SECOND = 16 * 1024;

  /** How long a download or sample runs before its pace is held against DOWNLOAD_MIN_BYTES_PER_SECOND. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3600 * 1000)
  DOWNLOAD_PACE_GRACE_MS = 60_000;

  /**
   * The largest upload delivery takes, whatever a URL allows (uploads stream, so this is about
   * disk, not memory; BODY_LIMIT_BYTES does not apply to them).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  UPLOAD_MAX_BYTES = 1024 ** 4;

  /** Uploads one organization may run at once on one replica; one more is 429 RATE_LIMITED. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  UPLOAD_MAX_CONCURRENT_PER_ORGANIZATION = 16;

  /**
   * The slowest average pace an upload may keep, in bytes per second, once UPLOAD_PACE_GRACE_MS
   * have passed; a slower one is cut off and keeps nothing (0: no minimum). 16 KiB/s is a poor
   * mobile link; a client that sends a byte now and then to hold a connection is far below it.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1024 ** 3)
  UPLOAD_MIN_BYTES_PER_SECOND = 16 * 1024;

  /** How long an upload runs before its pace is held against UPLOAD_MIN_BYTES_PER_SECOND. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3600 * 1000)
  UPLOAD_PACE_GRACE_MS = 60_000;

  @IsIn(STORAGE_DRIVERS as unknown as string[], { message: 'STORAGE_DRIVER must be fs or s3' })
  STORAGE_DRIVER: StorageDriverName = 'fs';

  /** The filesystem driver's directory (created when missing). */
  @IsString()
  STORAGE_DIR = '.trove/objects';

  /** An S3-compatible endpoint (MinIO, Ceph, OSS...); unset for AWS S3 itself. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+\/?$/, { message: 'S3_ENDPOINT must be an http(s)://host[:port] URL' })
  S3_ENDPOINT?: string;

  @ValidateIf((config: DeliveryConfig) => config.STORAGE_DRIVER === 's3')
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'S3_BUCKET must be a bucket name (3-63 lowercase letters, digits, . or -) when STORAGE_DRIVER=s3' })
  S3_BUCKET?: string;

  @IsString()
  S3_REGION = 'us-east-1';

  /**
   * The URL signed URLs start with: DELIVERY_PUBLIC_URL, else this process's own address (right
   * on one machine only; deployments set DELIVERY_PUBLIC_URL).
   */
  publicUrl(): string {
    const base = this.DELIVERY_PUBLIC_URL ?? `http://${this.HOST === '0.0.0.0' || this.HOST === '::' ? '127.0.0.1' : this.HOST}:${this.PORT}`;
    return base.replace(/\/+$/, '');
  }
}
