import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from 'nats';
import { ConfigError, loadConfig, PlatformConfig } from './config';
import { natsAuth, redactNatsUrl, type NatsCredentialSettings } from './nats-connection';

const BASE = { NATS_URL: 'nats://nats-0.trove:4222' };
const PASSWORD = 'Zh3ng-zhou-2026!ban@ji';

function settings(overrides: Partial<NatsCredentialSettings>): NatsCredentialSettings {
  return { ...BASE, ...overrides } as NatsCredentialSettings;
}

/** What the client would send in its CONNECT for these settings. */
function connectFields(config: NatsCredentialSettings, nonce = 'bm9uY2U'): Record<string, unknown> {
  const auth = natsAuth(config);
  return auth.authenticator ? (auth.authenticator(nonce) as unknown as Record<string, unknown>) : {};
}

function refusal(config: NatsCredentialSettings): ConfigError {
  try {
    natsAuth(config);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the settings were accepted');
}

describe('NATS credentials from the settings', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trove-nats-creds-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('connects anonymously when nothing is set, as the local development NATS expects', () => {
    expect(natsAuth(settings({}))).toEqual({ servers: ['nats://nats-0.trove:4222'], method: 'none' });
  });

  it('takes a user and password from NATS_USER and NATS_PASSWORD', () => {
    expect(connectFields(settings({ NATS_USER: 'catalog', NATS_PASSWORD: PASSWORD }))).toEqual({ user: 'catalog', pass: PASSWORD });
  });

  it('takes them from NATS_URL too, percent-decoded, and keeps them out of the server list', () => {
    const encoded = encodeURIComponent(PASSWORD);
    const config = settings({ NATS_URL: `nats://ordering:${encoded}@nats-0.trove:4222,nats://ordering:${encoded}@nats-1.trove:4222` });
    expect(natsAuth(config).servers).toEqual(['nats://nats-0.trove:4222', 'nats://nats-1.trove:4222']);
    expect(connectFields(config)).toEqual({ user: 'ordering', pass: PASSWORD });
  });

  it('reads a URL with a user and no password as a token, and takes NATS_TOKEN', () => {
    expect(connectFields(settings({ NATS_URL: 'nats://s3cr3t-token@nats-0.trove:4222' }))).toEqual({ auth_token: 's3cr3t-token' });
    expect(connectFields(settings({ NATS_TOKEN: 's3cr3t-token' }))).toEqual({ auth_token: 's3cr3t-token' });
  });

  it('signs the server nonce with the NKey seed of NATS_NKEY_SEED_FILE', () => {
    const user = nkeys.createUser();
    const file = join(dir, 'billing.nk');
    writeFileSync(file, `${new TextDecoder().decode(user.getSeed())}\n`);
    const fields = connectFields(settings({ NATS_NKEY_SEED_FILE: file }), 'c2VydmVyLW5vbmNl');
    expect(fields.nkey).toBe(user.getPublicKey());
    expect(user.verify(new TextEncoder().encode('c2VydmVyLW5vbmNl'), Buffer.from(fields.sig as string, 'base64url'))).toBe(true);
  });

  it('sends the JWT of a .creds file and signs with its seed', () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJzdWIiOiJVREVMSVZFUlkifQ.c2lnbmF0dXJl';
    const file = join(dir, 'delivery.creds');
    writeFileSync(file, `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`);
    const fields = connectFields(settings({ NATS_CREDS_FILE: file }));
    expect(fields.jwt).toBe(jwt);
    expect(fields.nkey).toBe(user.getPublicKey());
  });

  it.each([
    [{ NATS_PASSWORD: PASSWORD }, 'NATS_USER'],
    [{ NATS_USER: 'catalog' }, 'NATS_PASSWORD'],
    [{ NATS_USER: 'catalog', NATS_PASSWORD: PASSWORD, NATS_TOKEN: PASSWORD }, 'NATS_TOKEN'],
    [{ NATS_URL: `nats://catalog:${PASSWORD.replace('@', '%40')}@nats:4222`, NATS_PASSWORD: PASSWORD }, 'NATS_URL'],
    [{ NATS_URL: `nats://catalog:${PASSWORD.replace('@', '%40')}@nats-0:4222,nats://gateway:${PASSWORD.replace('@', '%40')}@nats-1:4222` }, 'NATS_URL'],
    [{ NATS_TOKEN: PASSWORD, NATS_CREDS_FILE: '/run/secrets/trove.creds' }, 'NATS_CREDS_FILE'],
    [{ NATS_NKEY_SEED_FILE: '/nonexistent/trove-catalog.nk' }, 'NATS_NKEY_SEED_FILE'],
    [{ NATS_CREDS_FILE: '/nonexistent/trove-catalog.creds' }, 'NATS_CREDS_FILE'],
  ])('refuses %j naming %s, without echoing a secret', (overrides, setting) => {
    const error = refusal(settings(overrides as Partial<NatsCredentialSettings>));
    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(new RegExp(`^${setting} is (invalid|required)`));
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain(PASSWORD.replace('@', '%40'));
  });

  it('refuses a seed or creds file that is something else, without printing the file', () => {
    const file = join(dir, 'not-a-seed.nk');
    const content = `SA${'B'.repeat(56)}`; // an account seed, not a user's
    writeFileSync(file, content);
    const seedError = refusal(settings({ NATS_NKEY_SEED_FILE: file }));
    expect(seedError.setting).toBe('NATS_NKEY_SEED_FILE');
    expect(seedError.message).not.toContain(content);
    const credsError = refusal(settings({ NATS_CREDS_FILE: file }));
    expect(credsError.setting).toBe('NATS_CREDS_FILE');
    expect(credsError.message).not.toContain(content);
  });

  it('accepts NATS_URL with credentials as a setting, and redacts them for logs', () => {
    const url = `nats://gateway:${encodeURIComponent(PASSWORD)}@nats-0.trove:4222,nats://nats-1.trove:4222`;
    const config = loadConfig(PlatformConfig, { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/trove_gateway', NATS_URL: url }, { PORT: 3000 });
    expect(config.NATS_URL).toBe(url);
    expect(redactNatsUrl(url)).toBe('nats://***@nats-0.trove:4222,nats://nats-1.trove:4222');
  });
});
