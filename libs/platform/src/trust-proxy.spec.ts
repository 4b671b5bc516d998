import { ConfigError, loadConfig, PlatformConfig } from './config';
import { invalidProxyEntry, trustedProxies } from './trust-proxy';

const BASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/trove_gateway' };

function load(TRUST_PROXY: string | undefined): PlatformConfig {
  return loadConfig(PlatformConfig, { ...BASE, TRUST_PROXY }, { PORT: 3000 });
}

describe('TRUST_PROXY', () => {
  it('trusts no proxy unless told to', () => {
    expect(trustedProxies(load(undefined).TRUST_PROXY)).toEqual([]);
    expect(trustedProxies(load('').TRUST_PROXY)).toEqual([]);
  });

  it.each([
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['10.0.0.0/8, 192.168.1.10', ['10.0.0.0/8', '192.168.1.10']],
    ['172.16.0.0/12,fd00::/8,::1', ['172.16.0.0/12', 'fd00::/8', '::1']],
    ['0.0.0.0/0', ['0.0.0.0/0']],
  ])('accepts addresses and CIDRs: %s', (value, proxies) => {
    expect(trustedProxies(load(value).TRUST_PROXY)).toEqual(proxies);
  });

  it.each([
    ['true', 'true'],
    ['10.0.0.0/33', '10.0.0.0/33'],
    ['fd00::/129', 'fd00::/129'],
    ['10.0.0.0/8,ingress.internal', 'ingress.internal'],
    ['10.0.0.0/8/8', '10.0.0.0/8/8'],
    ['10.0.0.256', '10.0.0.256'],
    ['10.0.0.0/-1', '10.0.0.0/-1'],
  ])('refuses %j, naming the setting and the bad entry', (value, bad) => {
    expect(invalidProxyEntry(value)).toBe(bad);
    let error: unknown;
    try {
      load(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe('TRUST_PROXY');
    expect((error as ConfigError).message).toMatch(/^TRUST_PROXY is invalid: .*IP addresses or CIDRs/);
    expect((error as ConfigError).message).toContain(`"${bad}"`);
  });
});
