import { type Client, Pool } from 'pg';
import { databasePoolOptions, loadConfig, MAX_PREPARED_PER_CONNECTION, PlatformConfig, PLANNED_PER_CALL } from '@trove/platform';
import { SERVER_URL } from '../../../test/support/postgres';

jest.setTimeout(30_000);

/** What a connection made with a process's pool settings reports for a server setting. */
async function serverSetting(env: NodeJS.ProcessEnv, setting: string): Promise<string> {
  const config = loadConfig(PlatformConfig, { DATABASE_URL: SERVER_URL, ...env }, { PORT: 3001 });
  const pool = new Pool({ connectionString: SERVER_URL, ...databasePoolOptions(config) });
  try {
    const { rows } = await pool.query<Record<string, string>>(`SHOW ${setting}`);
    return rows[0][setting];
  } finally {
    await pool.end();
  }
}

describe('database pool settings', () => {
  it('turns parallel workers off on every connection unless DATABASE_PARALLEL_WORKERS asks for them', async () => {
    expect(await serverSetting({}, 'max_parallel_workers_per_gather')).toBe('0');
    expect(await serverSetting({ DATABASE_PARALLEL_WORKERS: '3' }, 'max_parallel_workers_per_gather')).toBe('3');
  });

  it('lets a sort or hash hold 16 MiB before it spills to disk unless DATABASE_WORK_MEM_KB says otherwise', async () => {
    expect(await serverSetting({}, 'work_mem')).toBe('16MB');
    expect(await serverSetting({ DATABASE_WORK_MEM_KB: '2048' }, 'work_mem')).toBe('2MB');
  });

  it('refuses a DATABASE_WORK_MEM_KB that is not a whole number of kB between 64 and 1 GiB', () => {
    for (const value of ['0', '63', '1.5', '16MB', '1048577']) {
      expect(() => loadConfig(PlatformConfig, { DATABASE_URL: SERVER_URL, DATABASE_WORK_MEM_KB: value }, { PORT: 3001 })).toThrow(/^DATABASE_WORK_MEM_KB /);
    }
  });

  /** The server process behind the pool's one connection, asked now and after `pauses` of idleness. */
  async function backendsAfter(env: NodeJS.ProcessEnv, pauses: number[]): Promise<number[]> {
    const config = loadConfig(PlatformConfig, { DATABASE_URL: SERVER_URL, DATABASE_POOL_SIZE: '1', ...env }, { PORT: 3001 });
    const pool = new Pool({ connectionString: SERVER_URL, ...databasePoolOptions(config) });
    try {
      const backend = async () => (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const pids = [await backend()];
      for (const pause of pauses) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        pids.push(await backend());
      }
      return pids;
    } finally {
      await pool.end();
    }
  }

  it('keeps an idle connection for DATABASE_IDLE_TIMEOUT_MS, then makes a new one', async () => {
    const [first, afterShortPause, afterLongPause] = await backendsAfter({ DATABASE_IDLE_TIMEOUT_MS: '1000' }, [300, 1500]);
    expect(afterShortPause).toBe(first);
    expect(afterLongPause).not.toBe(afterShortPause);
  });

  it('keeps an idle connection through a pause longer than node-postgres would (10 s) by default', async () => {
    expect(loadConfig(PlatformConfig, { DATABASE_URL: SERVER_URL }, { PORT: 3001 }).DATABASE_IDLE_TIMEOUT_MS).toBe(300_000);
    const [first, afterPause] = await backendsAfter({}, [10_500]);
    expect(afterPause).toBe(first);
  });

  it('refuses a DATABASE_IDLE_TIMEOUT_MS under a second or that is not a whole number', () => {
    for (const value of ['0', '999', '1.5', 'never', '86400001']) {
      expect(() => loadConfig(PlatformConfig, { DATABASE_URL: SERVER_URL, DATABASE_IDLE_TIMEOUT_MS: value }, { PORT: 3001 })).toThrow(/^DATABASE_IDLE_TIMEOUT_MS /);
    }
  });

  it('refuses a DATABASE_PARALLEL_WORKERS that is not a small whole number', () => {
    for (const value of ['-1', '2.5', 'many', '65']) {
      expect(() => loadConfig(PlatformConfig, { DATABASE_URL: SERVER_URL, DATABASE_PARALLEL_WORKERS: value }, { PORT: 3001 })).toThrow(/^DATABASE_PARALLEL_WORKERS /);
    }
  });
});

describe('prepared statements', () => {
  /** One connection made as the apps make theirs, and what it has prepared. */
  async function withConnection(work: (client: Client, prepared: () => Promise<string[]>) => Promise<void>): Promise<void> {
    const config = loadConfig(PlatformConfig, { DATABASE_URL: SERVER_URL, DATABASE_POOL_SIZE: '1' }, { PORT: 3001 });
    const pool = new Pool({ connectionString: SERVER_URL, ...databasePoolOptions(config) });
    const client = await pool.connect();
    try {
      const prepared = async () => (await client.query<{ statement: string }>(`SELECT statement FROM pg_prepared_statements ORDER BY prepare_time`)).rows.map((r) => r.statement);
      await work(client as unknown as Client, prepared);
    } finally {
      client.release();
      await pool.end();
    }
  }

  const CURRENCY = 'SELECT upper(btrim($1::text)) AS currency';

  it('prepares a parameterized statement on its second run on a connection, and answers the same every time', async () => {
    await withConnection(async (client, prepared) => {
      const answers: string[] = [];
      for (const given of ['cny', ' usd', 'Hkd ']) answers.push((await client.query<{ currency: string }>(CURRENCY, [given])).rows[0].currency);
      expect(answers).toEqual(['CNY', 'USD', 'HKD']);
      expect(await prepared()).toEqual([CURRENCY]);
      await client.query(CURRENCY, ['eur']);
      expect(await prepared()).toEqual([CURRENCY]);
    });
  });

  it('never prepares a statement marked as planned per call, nor one without parameters', async () => {
    await withConnection(async (client, prepared) => {
      const search = `${PLANNED_PER_CALL}\nSELECT count(*) FROM pg_class WHERE relname LIKE $1`;
      for (let run = 0; run < 3; run++) {
        await client.query(search, ['pg_%']);
        await client.query('SELECT 1');
      }
      expect(await prepared()).toEqual([]);
    });
  });

  it('keeps working when a prepared statement fails: a failed parse is sent again, an error in the run leaves it prepared', async () => {
    await withConnection(async (client, prepared) => {
      const broken = 'SELECT $1::int FROM table_that_does_not_exist';
      for (let run = 0; run < 3; run++) await expect(client.query(broken, [1])).rejects.toThrow(/table_that_does_not_exist/);
      const division = 'SELECT 100 / $1::int AS share';
      await client.query(division, [4]);
      await expect(client.query(division, [0])).rejects.toThrow(/division by zero/);
      expect((await client.query<{ share: number }>(division, [5])).rows[0].share).toBe(20);
      expect(await prepared()).toEqual([division]);
    });
  });

  it('never prepares a statement that reads columns with *, so a migration adding a column cannot break it', async () => {
    await withConnection(async (client, prepared) => {
      await client.query(`CREATE TEMP TABLE top_up (id int PRIMARY KEY, amount bigint NOT NULL)`);
      await client.query(`INSERT INTO top_up VALUES (1, 450000)`);
      const byId = 'SELECT * FROM top_up WHERE id = $1';
      const counted = 'SELECT count(*)::int AS n FROM top_up WHERE amount >= $1';
      for (let run = 0; run < 3; run++) {
        await client.query(byId, [1]);
        await client.query(counted, [1]);
      }
      expect(await prepared()).toEqual([counted]);
      await client.query(`ALTER TABLE top_up ADD COLUMN reference text`);
      expect((await client.query(byId, [1])).rows).toEqual([{ id: 1, amount: '450000', reference: null }]);
      expect((await client.query<{ n: number }>(counted, [1])).rows[0].n).toBe(1);
    });
  });

  it('sends a prepared statement unnamed from then on when a change to its table makes PostgreSQL refuse its plan', async () => {
    await withConnection(async (client, prepared) => {
      await client.query(`CREATE TEMP TABLE wallet (id int PRIMARY KEY, balance int NOT NULL)`);
      await client.query(`INSERT INTO wallet VALUES (1, 700000)`);
      const balance = 'SELECT balance FROM wallet WHERE id = $1';
      for (let run = 0; run < 3; run++) await client.query(balance, [1]);
      expect(await prepared()).toEqual([balance]);
      await client.query(`ALTER TABLE wallet ALTER COLUMN balance TYPE bigint`);
      await expect(client.query(balance, [1])).rejects.toMatchObject({ code: '0A000' });
      for (let run = 0; run < 3; run++) expect((await client.query(balance, [1])).rows).toEqual([{ balance: '700000' }]);
    });
  });

  it(`prepares at most ${MAX_PREPARED_PER_CONNECTION} statements on one connection`, async () => {
    await withConnection(async (client, prepared) => {
      for (let n = 0; n < MAX_PREPARED_PER_CONNECTION + 20; n++) {
        const text = `SELECT $1::int + ${n}`;
        await client.query(text, [1]);
        expect((await client.query<{ '?column?': number }>(text, [1])).rows[0]['?column?']).toBe(n + 1);
      }
      expect(await prepared()).toHaveLength(MAX_PREPARED_PER_CONNECTION);
    });
  });
});
