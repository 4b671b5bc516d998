// The environment every test file runs in: jest's Node environment, plus one rule about what a
// file starts (apps as processes, a NATS server, an embedded PostgreSQL, an app in the test's
// own process, its databases). When the file ends, after its own afterAll hooks, whatever of it
// is still there is undone, last first: an in-process app is closed, a process gets SIGTERM
// (then SIGKILL if it has not exited within STOP_GRACE_MS), a database is dropped. A process
// started after that is refused.
//
// Without it, a beforeAll cut short by its timeout leaves its start-up going on: the file's
// afterAll finds nothing to stop (the harness was never returned to it), and the apps it goes on
// to start run into the next file of the jest worker, and on after jest has exited.
//
// The registry lives on the test file's global object (`__troveTestFile`), filled by
// test/support/processes.ts; this file is plain JavaScript since jest loads an environment
// without transforming it.
const { TestEnvironment } = require('jest-environment-node');
const { Client } = require('pg');

const STOP_GRACE_MS = 10_000;

function running(child) {
  return child.exitCode === null && child.signalCode === null;
}

function exited(child) {
  return running(child) ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve();
}

/**
 * Drops a test database with a client of this environment's own: by teardown, the test file's
 * modules are torn down, and pg would require `net` again to connect.
 */
async function drop({ server, name }) {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a test database name: ${name}`);
  const client = new Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function stop(child) {
  const gone = exited(child);
  child.kill('SIGTERM');
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
  const outcome = await Promise.race([gone, late]);
  clearTimeout(timer);
  if (outcome === 'late' && running(child)) {
    child.kill('SIGKILL');
    await gone;
  }
}

class TroveTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
    // `left`: what the file started or opened and has not stopped or closed yet, in the order it
    // did so. Each entry is { name, child } for a process, { name, database: { server, name } }
    // for a database, or { name, close } for anything else.
    this.file = { ended: false, left: new Map() };
    this.global.__troveTestFile = this.file;
  }

  /** Last in, first out: an app before the database it was started on. */
  async teardown() {
    this.file.ended = true;
    const left = [...this.file.left.values()].filter(({ child }) => !child || running(child)).reverse();
    if (left.length > 0) {
      process.stderr.write(`${this.testPath}: the file left ${left.length} thing(s) running or open, stopped now: ${left.map(({ name }) => name).join(', ')}\n`);
      for (const { name, child, database, close } of left) {
        await (child ? stop(child) : database ? drop(database) : Promise.resolve().then(close)).catch((error) => process.stderr.write(`  ${name}: ${error?.message ?? error}\n`));
      }
    }
    await super.teardown();
  }
}

module.exports = TroveTestEnvironment;
