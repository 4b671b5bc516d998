import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { ServiceName } from '@trove/contracts';
import { dropAtFileEnd } from './processes';

/** The PostgreSQL server tests run against; `npm test` points DATABASE_URL at it. */
export const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function databaseUrl(name: string): string {
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A database of this test's own, named so a leftover one says where it came from. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `trove_test_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const drop = () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined);
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  // Dropped at the end of the test file if the file did not drop it (a start-up cut short).
  const forget = dropAtFileEnd(SERVER_URL, name);
  return { name, url: databaseUrl(name), drop: () => (forget(), drop()) };
}

/** Creates a database for an app and runs that app's migrations in it. */
export async function createAppDatabase(app: ServiceName, label: string = app): Promise<TestDatabase> {
  const database = await createTestDatabase(label);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createDataSource } = require(`../../apps/${app}/src/data-source`) as typeof import('../../apps/catalog/src/data-source');
  const dataSource = createDataSource(database.url);
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
  return database;
}

/** One short-lived connection for assertions and fixtures. */
export async function withDatabase<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
