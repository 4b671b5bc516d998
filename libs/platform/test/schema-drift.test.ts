import type { ServiceName } from '@trove/contracts';
import type { DataSource } from 'typeorm';
import { createAppDatabase, type TestDatabase } from '../../../test/support/postgres';

jest.setTimeout(60_000);

/**
 * Each app's migrations, run on a fresh database, build exactly the schema its entities
 * describe. An entity changed without a migration, or a migration that does not match its
 * entity, fails here: the database `synchronize` never touches would otherwise find out in
 * production.
 */
const APPS: ServiceName[] = ['gateway', 'catalog', 'ordering', 'billing', 'delivery'];

function dataSourceFor(app: ServiceName, url: string): DataSource {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createDataSource } = require(`../../../apps/${app}/src/data-source`) as typeof import('../../../apps/gateway/src/data-source');
  return createDataSource(url);
}

/** The SQL TypeORM's schema builder would run to make the database match the entities. */
async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

interface CheckDrift {
  check: string;
  entity: string;
  database: string | null;
}

/**
 * The schema builder matches CHECK constraints by name only. This compares what they allow:
 * PostgreSQL normalises the entity's expression on a scratch copy of the table, and the result
 * must read exactly like the constraint the migrations made.
 */
async function checkConstraintDrift(dataSource: DataSource): Promise<CheckDrift[]> {
  const drift: CheckDrift[] = [];
  const runner = dataSource.createQueryRunner();
  await runner.startTransaction();
  try {
    for (const metadata of dataSource.entityMetadatas) {
      for (const [i, check] of metadata.checks.entries()) {
        if (!check.name || !check.expression) continue;
        const probe = `schema_probe_${metadata.tableName}_${i}`;
        await runner.query(`CREATE TEMP TABLE ${probe} (LIKE "${metadata.tableName}")`);
        await runner.query(`ALTER TABLE ${probe} ADD CONSTRAINT ${probe}_check CHECK (${check.expression})`);
        const [entity] = (await runner.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1`, [`${probe}_check`])) as { def: string }[];
        const [database] = (await runner.query(
          `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1 AND conrelid = $2::regclass`,
          [check.name, `"${metadata.tableName}"`],
        )) as { def: string }[];
        if (entity.def !== database?.def) drift.push({ check: check.name, entity: entity.def, database: database?.def ?? null });
      }
    }
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
  return drift;
}

describe.each(APPS)('the %s database schema', (app) => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createAppDatabase(app, `schema_${app}`);
    dataSource = dataSourceFor(app, database.url);
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('matches its entities after the migrations, with nothing left for TypeORM to change', async () => {
    expect(await pendingSchemaChanges(dataSource)).toEqual([]);
  });

  it('has CHECK constraints that allow exactly what the entities declare', async () => {
    expect(await checkConstraintDrift(dataSource)).toEqual([]);
  });
});
