import { Type } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { PlatformConfig } from '@trove/platform';

export class GatewayConfig extends PlatformConfig {
  /**
   * The operator's first admin key, trv_…: registered (hashed) on start, so the operator can
   * create organizations' keys and other admin keys through the API.
   */
  @Matches(/^trv_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/, {
    message: 'TROVE_ADMIN_KEY must be an API key of the form trv_<32 hex>_<43 base64url characters> (npm start makes one)',
  })
  TROVE_ADMIN_KEY: string;

  /** Requests per second one API key may make, across all routes. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  RATE_LIMIT_PER_KEY = 50;

  /**
   * Requests per second all the keys of one organization may make together, across all routes
   * (operators' admin keys aside). Each key also keeps its own RATE_LIMIT_PER_KEY: without this,
   * an organization that made a hundred keys had a hundred buckets.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PER_ORGANIZATION = 200;

  /**
   * Keys one organization may hold at once, not revoked and not expired; one more is 409 until it
   * revokes one. An organization made 139 keys in a minute, each a rate bucket and a row.
   */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(100_000)
  API_KEYS_PER_ORGANIZATION = 50;

  /** Requests per second one client address may make without a key. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  RATE_LIMIT_PER_ADDRESS = 20;

  /** Organizations one client address may sign up per hour. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SIGNUPS_PER_ADDRESS_PER_HOUR = 10;

  /**
   * Failed authentications (unknown, wrong, revoked or expired keys, and calls without a key to
   * a route that needs one) one client address may make per minute; past it, failures are refused with 429 without a database lookup, while
   * valid keys from the same address keep working.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  AUTH_FAILURES_PER_ADDRESS = 30;

  /**
   * How long a client may take to send a whole request, headers and body, before it is
   * answered 408 and disconnected. HTTP_IDLE_TIMEOUT_MS alone let a client that sends one byte
   * a minute hold its connection for good, and enough of them would take every socket the
   * gateway may open. Gateway requests are JSON of at most BODY_LIMIT_BYTES, so 30 s is ample;
   * uploads go to delivery, which has no such limit.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(10 * 60 * 1000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /**
   * How long after an organization's suspension was last announced to the other services it is
   * announced again. Below the event stream's 7 days, so that every suspension in force is in the
   * stream at any time, and a service that starts reading it later still learns of it.
   */
  @Type(() => Number)
  @IsInt()
  @Min(60_000)
  @Max(6 * 24 * 3600 * 1000)
  SUSPENSION_REANNOUNCE_AFTER_MS = 3 * 24 * 3600 * 1000;
}
