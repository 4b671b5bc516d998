import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_URL, withDatabase } from '../support/postgres';
import { ROOT, spawnTracked, waitFor } from '../support/processes';

jest.setTimeout(120_000);

/** Whether a process with this pid is alive (a zombie of ours counts as gone: it has exited). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/**
 * The test environment (test/support/environment.js) is what keeps one test file's processes out
 * of the next: a file that leaves an app running, or whose start-up jest gave up on and which goes
 * on starting apps, must not leave anything behind. The file here is
 * test/fixtures/harness/cut-short.test.ts, run by a jest of its own with the environment of
 * `npm test`.
 */
describe('the processes a test file starts', () => {
  const pidDir = mkdtempSync(join(tmpdir(), 'trove-test-environment-'));
  const pids = () =>
    Object.fromEntries(
      readdirSync(pidDir)
        .filter((name) => name.endsWith('.pid'))
        .map((name) => [name.slice(0, -'.pid'.length), Number(readFileSync(join(pidDir, name), 'utf8'))]),
    );

  afterAll(async () => {
    for (const pid of Object.values(pids())) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (existsSync(join(pidDir, 'database'))) {
      const database = readFileSync(join(pidDir, 'database'), 'utf8');
      await withDatabase(SERVER_URL, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    }
    rmSync(pidDir, { recursive: true, force: true });
  });

  it('are stopped or closed when the file ends, and none starts after it', async () => {
    const config = {
      rootDir: ROOT,
      testEnvironment: '<rootDir>/test/support/environment.js',
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
      testMatch: ['<rootDir>/test/fixtures/harness/cut-short.test.ts'],
    };
    const env: NodeJS.ProcessEnv = { ...process.env, PID_DIR: pidDir };
    delete env.JEST_WORKER_ID;
    const jest = spawnTracked('jest', process.execPath, [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', JSON.stringify(config), '--ci'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    jest.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    jest.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => jest.once('exit', resolve));
    // A child left running holds jest's pipes open: without the environment, jest never exits.
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 60_000)))]);
    clearTimeout(timer);
    if (code === 'still running') jest.kill('SIGKILL');

    expect(code).toBe(1); // the beforeAll that timed out fails the file's test
    // Last in, first out: what the file opened after starting its process, the process, then the
    // database it made first. Not what the file closed itself.
    const database = readFileSync(join(pidDir, 'database'), 'utf8');
    expect(output).toContain(`the file left 3 thing(s) running or open, stopped now: left-open, dist/test/fixtures/harness/idle-child.js, database ${database}`);
    expect(readdirSync(pidDir).filter((name) => name.endsWith('.closed'))).toEqual(['left-open.closed']);
    expect(await withDatabase(SERVER_URL, async (client) => (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount)).toBe(0);
    // The late start did ask for its child, after the file had ended, and got none.
    await waitFor('the late start', async () => existsSync(join(pidDir, 'late-start-asked')), 10_000);
    const started = pids();
    expect(Object.keys(started)).toEqual(['left-running']);
    expect(alive(started['left-running'])).toBe(false);
  });
});
