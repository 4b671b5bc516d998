import { MinLength } from 'class-validator';
import { ConfigError, loadConfig, PlatformConfig } from './config';

class GatewayLikeConfig extends PlatformConfig {
  @MinLength(32)
  TROVE_ADMIN_KEY: string;
}

const BASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/trove_catalog', PATH: '/usr/bin', HOME: '/root' };

function failure(env: NodeJS.ProcessEnv, cls: new () => PlatformConfig = PlatformConfig): ConfigError {
  try {
    loadConfig(cls, env, { PORT: 3001 });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults, converts numbers and keeps only the settings the app declares', () => {
    const config = loadConfig(PlatformConfig, { ...BASE, RPC_TIMEOUT_MS: '1500' }, { PORT: 3001 });
    expect(config).toMatchObject({ PORT: 3001, RPC_TIMEOUT_MS: 1500, NATS_URL: 'nats://127.0.0.1:4222', TROVE_NAMESPACE: '', LOG_LEVEL: 'info' });
    expect(config).not.toHaveProperty('PATH');
    expect(config).not.toHaveProperty('HOME');
  });

  it('lets the environment override the default port', () => {
    expect(loadConfig(PlatformConfig, { ...BASE, PORT: '8080' }, { PORT: 3001 }).PORT).toBe(8080);
  });

  it.each([
    [{ DATABASE_URL: undefined }, 'DATABASE_URL', /required/],
    [{ DATABASE_URL: 'postgres://127.0.0.1:5432' }, 'DATABASE_URL', /invalid/],
    [{ NATS_URL: 'localhost:4222' }, 'NATS_URL', /invalid/],
    [{ NATS_URL: 'nats://a:4222,nats://b:4222', PORT: '70000' }, 'PORT', /invalid/],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /one of/],
    [{ TROVE_NAMESPACE: 'Has.Dots' }, 'TROVE_NAMESPACE', /lowercase/],
    [{ RPC_TIMEOUT_MS: 'soon' }, 'RPC_TIMEOUT_MS', /invalid/],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE', /invalid/],
  ])('names the bad setting in %j', (override, setting, message) => {
    const error = failure({ ...BASE, ...override });
    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(new RegExp(`^${setting} `));
    expect(error.message).toMatch(message);
  });

  it('sizes the database pool from DATABASE_POOL_SIZE, 15 when unset', () => {
    expect(loadConfig(PlatformConfig, BASE, { PORT: 1 }).DATABASE_POOL_SIZE).toBe(15);
    expect(loadConfig(PlatformConfig, { ...BASE, DATABASE_POOL_SIZE: '6' }, { PORT: 1 }).DATABASE_POOL_SIZE).toBe(6);
  });

  it('accepts a list of NATS servers', () => {
    expect(loadConfig(PlatformConfig, { ...BASE, NATS_URL: 'nats://nats-0:4222,nats://nats-1:4222' }, { PORT: 1 }).NATS_URL).toContain('nats-1');
  });

  it("validates an app's own settings without echoing their values", () => {
    const error = failure({ ...BASE, TROVE_ADMIN_KEY: 'hunter2' }, GatewayLikeConfig);
    expect(error.setting).toBe('TROVE_ADMIN_KEY');
    expect(error.message).not.toContain('hunter2');
    expect(failure(BASE, GatewayLikeConfig).message).toMatch(/^TROVE_ADMIN_KEY is required/);
  });
});
