// The environment every test file runs in: jest's Node environment, plus one rule about the
// processes a file starts (apps, a NATS server, an embedded PostgreSQL). When the file ends,
// after its own afterAll hooks, any of them still running is stopped: SIGTERM, then SIGKILL if
// it has not exited within STOP_GRACE_MS. A child started after that is refused.
//
// Without it, a beforeAll cut short by its timeout leaves its start-up going on: the file's
// afterAll finds nothing to stop (the harness was never returned to it), and the apps it goes on
// to start run into the next file of the jest worker, and on after jest has exited.
//
// The children are kept in a registry on the test file's global object (`__troveChildren`),
// which test/support/processes.ts fills; this file is plain JavaScript since jest loads an
// environment without transforming it.
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
    this.children = { ended: false, started: new Map() };
    this.global.__troveChildren = this.children;
  }

  async teardown() {
    this.children.ended = true;
    const left = [...this.children.started].filter(([child]) => running(child));
    if (left.length > 0) {
      process.stderr.write(`${this.testPath}: stopping ${left.length} process(es) the file left running: ${left.map(([, name]) => name).join(', ')}\n`);
      await Promise.all(left.map(([child]) => stop(child)));
    }
    await super.teardown();
  }
}

module.exports = TroveTestEnvironment;
