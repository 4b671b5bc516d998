import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';
import { IsProxyList } from './trust-proxy';
import { PreparingClient } from './prepared-statements';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Settings every app reads from its environment. An app with settings of its own extends this
 * class; `loadConfig` validates the whole of it before anything connects anywhere.
 */
export class PlatformConfig {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number;

  @IsString()
  HOST = '0.0.0.0';

  @Matches(/^postgres(ql)?:\/\/[^\s/]+\/[^\s/?]+(\?\S*)?$/, {
    message: 'DATABASE_URL must be a postgres:// URL naming the database (postgres://user@host:5432/trove_catalog)',
  })
  DATABASE_URL: string;

  @Matches(/^(nats|tls|ws|wss):\/\/([^\s@/,]+@)?[^\s:/@,]+(:\d{1,5})?(,(nats|tls|ws|wss):\/\/([^\s@/,]+@)?[^\s:/@,]+(:\d{1,5})?)*$/, {
    message: 'NATS_URL must be one or more comma-separated nats://host:port URLs (nats://user:password@host:port with credentials)',
  })
  NATS_URL = 'nats://127.0.0.1:4222';

  // Who this process is on NATS: at most one of user and password, token, NKey seed file or
  // .creds file (see nats-connection.ts, which checks them together). None: anonymous.
  @IsOptional()
  @Matches(/^[^\s]{1,128}$/, { message: 'NATS_USER must be a user name without spaces' })
  NATS_USER?: string;

  @IsOptional()
  @IsString()
  NATS_PASSWORD?: string;

  @IsOptional()
  @IsString()
  NATS_TOKEN?: string;

  @IsOptional()
  @IsString()
  NATS_NKEY_SEED_FILE?: string;

  @IsOptional()
  @IsString()
  NATS_CREDS_FILE?: string;

  /** Prefixes NATS subjects and stream names, so test runs and tenants of one NATS never meet. */
  @Matches(/^([a-z0-9][a-z0-9_-]{0,31})?$/, {
    message: 'TROVE_NAMESPACE must be lowercase letters, digits, - or _ (at most 32)',
  })
  TROVE_NAMESPACE = '';

  @IsIn(LOG_LEVELS as unknown as string[], { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL = 'info';

  /** `json` (one object per line) or `pretty` (readable lines); unset: pretty on a terminal. */
  @IsOptional()
  @IsIn(LOG_FORMATS as unknown as string[], { message: `TROVE_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}` })
  TROVE_LOG_FORMAT?: LogFormat;

  /** How long a caller waits for another service before it answers SERVICE_UNAVAILABLE. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  RPC_TIMEOUT_MS = 3000;

  /**
   * Failed attempts at an event before its consumer gives up and moves it to the dead-letter
   * table. The retries back off from 0.5 s to 30 s, so the default 10 spans about 2 minutes.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  EVENT_MAX_ATTEMPTS = 10;

  /** How long SIGTERM may wait for in-flight work before the process gives up and exits 143 (130 after SIGINT). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(120_000)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /** How long start-up may wait for the database and NATS before it names the one that failed. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  CONNECT_TIMEOUT_MS = 3000;

  /**
   * Connections this process keeps to its database at most. Every replica of every app has its
   * own pool, so replicas x pool size must stay under the server's max_connections: five apps
   * at 15 take 75 of a default server's 100, leaving room for migrations and operators' sessions.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 15;

  /**
   * A pooled database connection idle this long is closed. node-postgres closes one after 10 s by
   * default, and a new server process pays for its first statements (catalog caches, plans, and
   * the statements prepared on the old connection): on the search bench's 100,000 listings a
   * search after a pause of 11 s took 43-120 ms on a fresh connection against 9-85 ms on a kept
   * one. Five minutes keeps them through the pauses of a quiet hour.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(24 * 60 * 60 * 1000)
  DATABASE_IDLE_TIMEOUT_MS = 300_000;

  /**
   * PostgreSQL's max_parallel_workers_per_gather for this process's connections. 0 by default:
   * Trove's statements are many small ones running side by side, and a statement that starts
   * worker processes takes cores from the others (measured on the search bench: the same mix
   * answered 17 % more searches a second with none). Raise it for a replica that runs few large
   * statements on a machine with idle cores.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(64)
  DATABASE_PARALLEL_WORKERS = 0;

  /**
   * PostgreSQL's work_mem for this process's connections, in kB: what one sort or hash of a
   * statement may hold before it spills to temporary files. 16 MiB by default, against the
   * server's 4 MiB: a broad search (a word 28,000 of 100,000 listings hold) keeps its matches
   * to count and order them, and at 4 MiB wrote them to disk and read them back; the bench's
   * 1,767 distinct searches took 13 % less time with 16 MiB. A statement has a few such steps
   * and a pool at most DATABASE_POOL_SIZE statements at once, so the most this can take is a
   * few times the pool size times this.
   */
  @Type(() => Number)
  @IsInt()
  @Min(64)
  @Max(1024 * 1024)
  DATABASE_WORK_MEM_KB = 16 * 1024;

  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /**
   * A connection on which nothing moves for this long is closed: a client that stops reading a
   * download or stops sending an upload (or never finishes its request) holds no buffers, file
   * or socket past it. A slow transfer is not cut off while its bytes keep moving.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(60 * 60 * 1000)
  HTTP_IDLE_TIMEOUT_MS = 120_000;

  /**
   * The reverse proxies whose X-Forwarded-For is believed (addresses or CIDRs, comma-separated).
   * None by default: the client address is the connection's, whatever headers say.
   */
  @IsProxyList()
  TRUST_PROXY = '';
}

/** node-postgres pool settings for a process's database, from its configuration. */
export function databasePoolOptions(
  config: Pick<PlatformConfig, 'DATABASE_POOL_SIZE' | 'DATABASE_IDLE_TIMEOUT_MS' | 'CONNECT_TIMEOUT_MS' | 'DATABASE_PARALLEL_WORKERS' | 'DATABASE_WORK_MEM_KB'>,
) {
  return {
    max: config.DATABASE_POOL_SIZE,
    idleTimeoutMillis: config.DATABASE_IDLE_TIMEOUT_MS,
    connectionTimeoutMillis: config.CONNECT_TIMEOUT_MS,
    // Sent with the startup packet: every connection has it before its first statement.
    options: `-c max_parallel_workers_per_gather=${config.DATABASE_PARALLEL_WORKERS} -c work_mem=${config.DATABASE_WORK_MEM_KB}kB`,
    // A statement run again on a connection is prepared there once (prepared-statements.ts).
    Client: PreparingClient,
  };
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

export type ConfigClass<C extends PlatformConfig> = new () => C;

/**
 * Reads and validates the environment into `cls`. Throws a ConfigError naming the first bad
 * setting; values are never echoed, since some settings are secrets.
 */
export function loadConfig<C extends PlatformConfig>(
  cls: ConfigClass<C>,
  env: NodeJS.ProcessEnv,
  defaults: Partial<Record<keyof C, unknown>> = {},
): C {
  const plain: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') plain[key] = value;
  }
  const config = plainToInstance(cls, plain);
  // whitelist strips every variable this app does not declare, so the rest of the
  // environment never reaches it.
  const errors = validateSync(config, { whitelist: true, forbidUnknownValues: false });
  if (errors.length > 0) {
    const first = errors[0];
    const problems = Object.values(first.constraints ?? {});
    const missing = plain[first.property] === undefined;
    throw new ConfigError(
      first.property,
      missing ? `${first.property} is required: ${problems[0]}` : `${first.property} is invalid: ${problems[0]}`,
    );
  }
  return config;
}
