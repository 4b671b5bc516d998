import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// Child processes on a machine shared with other test files.
jest.setTimeout(30_000);

/**
 * What `npm start` prints of its apps' logs (scripts/lib/applog.mjs): readable lines on a
 * terminal, JSON that a collector can parse when piped. The module is ESM for Node without a
 * build, so it runs in a child node here.
 */
const APPLOG = join(__dirname, '..', '..', '..', 'scripts', 'lib', 'applog.mjs');

function formatWith(options: { pretty: boolean; app: string }, lines: string[]): string[] {
  const script = `
    const { createFormatter, loadPrettyPrinter } = await import(${JSON.stringify(APPLOG)});
    await loadPrettyPrinter();
    const format = createFormatter({ ...${JSON.stringify(options)}, index: 0, width: 8, color: false });
    process.stdout.write(JSON.stringify(${JSON.stringify(lines)}.map(format)));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as string[];
}

function decide(env: Record<string, string>, isTTY: boolean): boolean {
  const script = `const { prettyLogs } = await import(${JSON.stringify(APPLOG)}); process.stdout.write(String(prettyLogs({ isTTY: ${isTTY} }, ${JSON.stringify(env)})));`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).stdout === 'true';
}

const accessLine = JSON.stringify({
  level: 'info',
  time: '2026-11-30T09:30:00.125Z',
  service: 'gateway',
  version: '0.1.0',
  instance: 'vm:4242',
  msg: 'request completed',
  req: { method: 'GET', url: '/v1/datasets?q=普通话' },
  res: { statusCode: 200 },
  responseTime: 3,
  correlationId: 'c-7f3a',
});
const errorLine = JSON.stringify({
  level: 'error',
  time: '2026-11-30T09:30:01.000Z',
  service: 'catalog',
  context: 'RpcServer',
  msg: 'request handler failed',
  err: { type: 'Error', message: 'relation "offer" does not exist', stack: 'Error: relation "offer" does not exist\n    at OffersHandler.get (offers.handler.js:42:11)' },
});

describe('npm start on a terminal', () => {
  it('prints each app line readably: time, level, app, context, message, request, fields', () => {
    const [access, error, crash] = formatWith({ pretty: true, app: 'gateway' }, [accessLine, errorLine, 'Error: Cannot find module ./main']);
    expect(access).toBe('[09:30:00.125] INFO: gateway  request completed GET /v1/datasets?q=普通话 200 3ms {"correlationId":"c-7f3a"}');
    expect(error).toMatch(/^\[09:30:01\.000\] ERROR: gateway  \[RpcServer\] request handler failed/);
    expect(error).toContain('at OffersHandler.get (offers.handler.js:42:11)');
    expect(crash).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] gateway  Error: Cannot find module \.\/main$/);
  });

  it('keeps JSON when piped, naming the app on lines that do not', () => {
    const [access, bare, crash] = formatWith({ pretty: false, app: 'billing' }, [accessLine, '{"level":"warn","msg":"slow ledger"}', 'Segmentation fault']);
    expect(access).toBe(accessLine);
    expect(JSON.parse(bare)).toEqual({ app: 'billing', level: 'warn', msg: 'slow ledger' });
    expect(crash).toBe('[billing] Segmentation fault');
  });

  it('decides by the terminal unless TROVE_LOG_FORMAT says', () => {
    expect(decide({}, true)).toBe(true);
    expect(decide({}, false)).toBe(false);
    expect(decide({ TROVE_LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(decide({ TROVE_LOG_FORMAT: 'pretty' }, false)).toBe(true);
  });
});
