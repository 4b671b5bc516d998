import { Pool } from 'pg';
import { databasePoolOptions, loadConfig, PlatformConfig } from '@trove/platform';
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

  it('refuses a DATABASE_PARALLEL_WORKERS that is not a small whole number', () => {
    for (const value of ['-1', '2.5', 'many', '65']) {
      expect(() => loadConfig(PlatformConfig, { DATABASE_URL: SERVER_URL, DATABASE_PARALLEL_WORKERS: value }, { PORT: 3001 })).toThrow(/^DATABASE_PARALLEL_WORKERS /);
    }
  });
});
