import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { AddressInfo } from 'node:net';
import { FsObjectStorage } from '../src/storage/fs-object-storage';
import type { ObjectStorage } from '../src/storage/object-storage';
import { S3ObjectStorage } from '../src/storage/s3-object-storage';

export const TEST_BUCKET = 'trove-objects';
// s3rver accepts these and no others; they are its documented defaults, not secrets.
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** A storage driver for a test, with what it needs running, and how to take it all down. */
export interface TestStorage {
  storage: ObjectStorage;
  /** Settings that make a delivery app use the same storage. */
  env: Record<string, string>;
  /** The filesystem driver's directory (for looking for leftovers), or the S3 server's. */
  dir: string;
  /** Every stored object key under a prefix (for "nothing was kept"); fs also lists temporary files. */
  keysUnder(prefix: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function fsTestStorage(): Promise<TestStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'trove-objects-'));
  const storage = new FsObjectStorage(dir);
  return {
    storage,
    env: { STORAGE_DRIVER: 'fs', STORAGE_DIR: dir },
    dir,
    keysUnder: async (prefix) => {
      const entries = await readdir(dir, { withFileTypes: true, recursive: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .filter((key) => key.startsWith(prefix));
    },
    stop: async () => {
      // As the app's shutdown does: its hashing threads would otherwise outlive the test file.
      await storage.onApplicationShutdown();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** s3rver (an S3-compatible server from npm) on a free port, its data in a temporary directory. */
export async function s3TestStorage(): Promise<TestStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'trove-s3rver-'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (options: object) => { run(): Promise<AddressInfo>; close(): Promise<void> };
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const storage = new S3ObjectStorage({ bucket: TEST_BUCKET, region: 'cn-north-1', endpoint, credentials: S3RVER_CREDENTIALS });
  await storage.client.send(new CreateBucketCommand({ Bucket: TEST_BUCKET }));
  // An app's S3 client takes its credentials from the SDK's usual chain, which reads the
  // environment each time it signs: they stay set for as long as the server runs, not only
  // while an app is built.
  const credentialsBefore = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  return {
    storage,
    env: {
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: TEST_BUCKET,
      S3_REGION: 'cn-north-1',
    },
    dir,
    keysUnder: async (prefix) => {
      const answer = await storage.client.send(new ListObjectsV2Command({ Bucket: TEST_BUCKET, Prefix: prefix }));
      return (answer.Contents ?? []).map((object) => object.Key!);
    },
    stop: async () => {
      storage.client.destroy();
      await server.close();
      for (const [name, value] of Object.entries(credentialsBefore)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const STORAGE_DRIVERS: [string, () => Promise<TestStorage>][] = [
  ['the filesystem driver', fsTestStorage],
  ['the S3 driver (s3rver)', s3TestStorage],
];
