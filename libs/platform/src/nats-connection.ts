import { readFileSync } from 'node:fs';
import {
  credsAuthenticator,
  nkeyAuthenticator,
  nkeys,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type ConnectionOptions,
} from 'nats';
import { ConfigError, type PlatformConfig } from './config';

/** The NATS settings that say who a process is on the bus; at most one way is used. */
export type NatsCredentialSettings = Pick<
  PlatformConfig,
  'NATS_URL' | 'NATS_USER' | 'NATS_PASSWORD' | 'NATS_TOKEN' | 'NATS_NKEY_SEED_FILE' | 'NATS_CREDS_FILE'
>;

export interface NatsAuth {
  /** The servers of NATS_URL without any user, password or token in them. */
  servers: string[];
  authenticator?: Authenticator;
  /** How the process authenticates, for log lines: never the secret itself. */
  method: 'none' | 'user and password' | 'token' | 'nkey' | 'creds';
  /** The user name, when the method has one a log line may show. */
  user?: string;
}

const USER_SEED = /^SU[A-Z2-7]{56}$/;
const CREDS_JWT = /-{3,}BEGIN NATS USER JWT-{3,}\s*\n\s*(\S+)\s*\n\s*-{3,}END NATS USER JWT-{3,}/;
const CREDS_SEED = /-{3,}BEGIN USER NKEY SEED-{3,}\s*\n\s*(SU[A-Z2-7]{56})\s*\n\s*-{3,}END USER NKEY SEED-{3,}/;

/**
 * Reads the NATS credential settings into connection options: user and password (NATS_USER and
 * NATS_PASSWORD, or `nats://user:pass@host` in NATS_URL), a token (NATS_TOKEN, or
 * `nats://token@host`), an NKey seed file or a `.creds` file. None of them means an anonymous
 * connection, which the local development NATS accepts. Throws a ConfigError naming the
 * setting; the message never contains a secret or a file's content.
 */
export function natsAuth(config: NatsCredentialSettings): NatsAuth {
  const { servers, user: urlUser, password: urlPassword } = splitNatsUrl(config.NATS_URL);
  const urlToken = urlUser !== undefined && urlPassword === undefined ? urlUser : undefined;
  const urlCredentials = urlUser !== undefined && urlPassword !== undefined;

  const chosen = [
    (urlCredentials || config.NATS_USER !== undefined || config.NATS_PASSWORD !== undefined) && 'NATS_USER',
    (urlToken !== undefined || config.NATS_TOKEN !== undefined) && 'NATS_TOKEN',
    config.NATS_NKEY_SEED_FILE !== undefined && 'NATS_NKEY_SEED_FILE',
    config.NATS_CREDS_FILE !== undefined && 'NATS_CREDS_FILE',
  ].filter((s): s is string => typeof s === 'string');
  if (chosen.length > 1) {
    throw new ConfigError(chosen[1], `${chosen[1]} is invalid: use one way to authenticate to NATS, not ${chosen.join(' and ')}`);
  }
  if ((urlCredentials || urlToken !== undefined) && (config.NATS_USER !== undefined || config.NATS_PASSWORD !== undefined || config.NATS_TOKEN !== undefined)) {
    throw new ConfigError('NATS_URL', 'NATS_URL is invalid: it carries credentials and NATS_USER, NATS_PASSWORD or NATS_TOKEN is set too; keep one');
  }

  if (urlCredentials) {
    return { servers, method: 'user and password', user: urlUser, authenticator: usernamePasswordAuthenticator(urlUser!, urlPassword) };
  }
  if (config.NATS_USER !== undefined || config.NATS_PASSWORD !== undefined) {
    if (config.NATS_USER === undefined) throw new ConfigError('NATS_USER', 'NATS_USER is required: NATS_PASSWORD is set, so name the user it belongs to');
    if (config.NATS_PASSWORD === undefined) throw new ConfigError('NATS_PASSWORD', 'NATS_PASSWORD is required: NATS_USER is set');
    return { servers, method: 'user and password', user: config.NATS_USER, authenticator: usernamePasswordAuthenticator(config.NATS_USER, config.NATS_PASSWORD) };
  }
  const token = urlToken ?? config.NATS_TOKEN;
  if (token !== undefined) return { servers, method: 'token', authenticator: tokenAuthenticator(token) };
  if (config.NATS_NKEY_SEED_FILE !== undefined) {
    const seed = readSecretFile('NATS_NKEY_SEED_FILE', config.NATS_NKEY_SEED_FILE).trim();
    if (!USER_SEED.test(seed) || !isValidSeed(seed)) {
      throw new ConfigError('NATS_NKEY_SEED_FILE', 'NATS_NKEY_SEED_FILE is invalid: the file does not hold one NKey user seed (SU...)');
    }
    return { servers, method: 'nkey', authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) };
  }
  if (config.NATS_CREDS_FILE !== undefined) {
    const creds = readSecretFile('NATS_CREDS_FILE', config.NATS_CREDS_FILE);
    const seed = CREDS_SEED.exec(creds)?.[1];
    if (!CREDS_JWT.test(creds) || !seed || !isValidSeed(seed)) {
      throw new ConfigError('NATS_CREDS_FILE', 'NATS_CREDS_FILE is invalid: the file is not a NATS .creds file (a user JWT and an NKey user seed)');
    }
    return { servers, method: 'creds', authenticator: credsAuthenticator(new TextEncoder().encode(creds)) };
  }
  return { servers, method: 'none' };
}

/** Connection options for `connect()`: the servers and, when configured, the authenticator. */
export function natsConnectOptions(config: NatsCredentialSettings): Pick<ConnectionOptions, 'servers' | 'authenticator'> {
  const auth = natsAuth(config);
  return auth.authenticator ? { servers: auth.servers, authenticator: auth.authenticator } : { servers: auth.servers };
}

/** NATS_URL for a log line or an error message: any user, password or token replaced by `***`. */
export function redactNatsUrl(url: string): string {
  return url
    .split(',')
    .map((server) => server.replace(/^([a-z]+:\/\/)[^@/\s]*@/i, '$1***@'))
    .join(',');
}

function splitNatsUrl(value: string): { servers: string[]; user?: string; password?: string } {
  const servers: string[] = [];
  const seen = new Set<string>();
  let user: string | undefined;
  let password: string | undefined;
  for (const server of value.split(',')) {
    const match = /^([a-z]+:\/\/)(?:([^@/\s]*)@)?(.*)$/i.exec(server.trim());
    if (!match) {
      servers.push(server);
      continue;
    }
    const [, scheme, userinfo, rest] = match;
    servers.push(`${scheme}${rest}`);
    if (userinfo === undefined) continue;
    const colon = userinfo.indexOf(':');
    const parts = colon < 0 ? [decode(userinfo)] : [decode(userinfo.slice(0, colon)), decode(userinfo.slice(colon + 1))];
    seen.add(JSON.stringify(parts));
    [user, password] = parts;
    if (!user) throw new ConfigError('NATS_URL', 'NATS_URL is invalid: a URL has an empty user or token before @');
  }
  if (seen.size > 1) throw new ConfigError('NATS_URL', 'NATS_URL is invalid: its URLs carry different credentials; use the same on every URL, or NATS_USER and NATS_PASSWORD');
  return { servers, user, password };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConfigError('NATS_URL', 'NATS_URL is invalid: its credentials are not percent-encoded correctly');
  }
}

function readSecretFile(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(setting, `${setting} is invalid: cannot read ${file} (${code})`);
  }
}

function isValidSeed(seed: string): boolean {
  try {
    nkeys.fromSeed(new TextEncoder().encode(seed));
    return true;
  } catch {
    return false;
  }
}
