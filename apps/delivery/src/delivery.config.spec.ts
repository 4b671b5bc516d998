import { ConfigError, loadConfig } from '@trove/platform';
import { randomBytes } from 'node:crypto';
import { DeliveryConfig } from './delivery.config';

const key = `k20261130:${randomBytes(32).toString('base64')}`;
const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/trove_delivery', DELIVERY_SIGNING_KEYS: key };
const load = (env: Record<string, string>) => loadConfig(DeliveryConfig, env, { PORT: 3004 });

describe('DeliveryConfig', () => {
  it('defaults to the filesystem driver, 1 TiB uploads, one-hour URLs and URLs on this machine', () => {
    const config = load(base);
    expect(config).toMatchObject({ STORAGE_DRIVER: 'fs', STORAGE_DIR: '.trove/objects', UPLOAD_MAX_BYTES: 1024 ** 4, UPLOAD_URL_TTL_SECONDS: 3600 });
    expect(config.publicUrl()).toBe('http://127.0.0.1:3004');
    expect(load({ ...base, DELIVERY_PUBLIC_URL: 'https://files.trove.example.cn/' }).publicUrl()).toBe('https://files.trove.example.cn');
  });

  it.each([
    ['no signing keys', { DELIVERY_SIGNING_KEYS: '' }, 'DELIVERY_SIGNING_KEYS', /required/],
    ['a short signing key', { DELIVERY_SIGNING_KEYS: `k1:${randomBytes(8).toString('base64')}` }, 'DELIVERY_SIGNING_KEYS', /8 bytes; at least 32/],
    ['an unknown driver', { STORAGE_DRIVER: 'oss' }, 'STORAGE_DRIVER', /fs or s3/],
    ['the S3 driver without a bucket', { STORAGE_DRIVER: 's3' }, 'S3_BUCKET', /bucket name/],
    ['a public URL with a query', { DELIVERY_PUBLIC_URL: 'http://localhost:3004/?x=1' }, 'DELIVERY_PUBLIC_URL', /without query/],
    ['a zero upload limit', { UPLOAD_MAX_BYTES: '0' }, 'UPLOAD_MAX_BYTES', /must not be less than 1/],
  ])('refuses %s, naming the setting', (_what, change, setting, message) => {
    let error: unknown;
    try {
      load({ ...base, ...change });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe(setting);
    expect((error as ConfigError).message).toMatch(message);
  });

  it('never echoes a signing secret', () => {
    const secret = randomBytes(8).toString('base64');
    expect(() => load({ ...base, DELIVERY_SIGNING_KEYS: `k1:${secret}` })).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
  });

  it('takes the S3 driver with a bucket', () => {
    expect(load({ ...base, STORAGE_DRIVER: 's3', S3_BUCKET: 'trove-objects', S3_ENDPOINT: 'http://127.0.0.1:9000' })).toMatchObject({ STORAGE_DRIVER: 's3', S3_BUCKET: 'trove-objects' });
  });
});
