// The environment every test file runs in: jest's Node environment, plus one rule about what a
// file starts (apps as processes, a NATS server, an embedded PostgreSQL, an app in the test's
// own process). When the file ends, after its own afterAll hooks, whatever of it is still
// running is stopped: an in-process app is closed, a process gets SIGTERM, then SIGKILL if it
// has not exited within STOP_GRACE_MS. A process started after that is refused.
//
// Without it, a beforeAll cut short by its timeout leaves its start-up going on: the file's
// afterAll finds nothing to stop (the harness was never returned to it), and the apps it goes on
// to start run into the next file of the jest worker, and on after jest has exited.
//
// The registry lives on the test file's global object (`__troveChildren`), filled by
// test/support/processes.ts; this file is plain JavaScript since jest loads an environment
// without transforming it.
const { TestEnvironment } = require('jest-environment-node');

const STOP_GRACE_MS = 10_000;

function running(child) {
  return child.exitCode === null && child.signalCode === null;
}

function exited(child) {
  return running(child) ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve();
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
    this.children = { ended: false, started: new Map(), open: new Map() };
    this.global.__troveChildren = this.children;
  }

  async teardown() {
    this.children.ended = true;
    const open = [...this.children.open.values()];
    if (open.length > 0) {
      process.stderr.write(`${this.testPath}: closing ${open.length} thing(s) the file left open: ${open.map(({ name }) => name).join(', ')}\n`);
      for (const { close } of open) await Promise.resolve().then(close).catch((error) => process.stderr.write(`  closing failed: ${error?.message ?? error}\n`));
    }
    const left = [...this.children.started].filter(([child]) => running(child));
    if (left.length > 0) {
      process.stderr.write(`${this.testPath}: stopping ${left.length} process(es) the file left running: ${left.map(([, name]) => name).join(', ')}\n`);
      await Promise.all(left.map(([child]) => stop(child)));
    }
    await super.teardown();
  }
}

module.exports = TroveTestEnvironment;
