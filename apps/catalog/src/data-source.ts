import { DataSource } from 'typeorm';
import { entities, migrations } from './database';

/** The catalog database, for migrations and the TypeORM CLI (DATABASE_URL names it). */
export function createDataSource(url: string): DataSource {
  return new DataSource({ type: 'postgres', url, entities, migrations, synchronize: false, migrationsTableName: 'migrations' });
}

export default createDataSource(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/trove_catalog');
