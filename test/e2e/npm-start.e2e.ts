import { SERVICES } from '@trove/contracts';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueKey } from '../../apps/gateway/src/auth/api-key-token';
import { SERVER_URL, withDatabase } from '../support/postgres';
import { deleteStream, NATS_URL, newNamespace } from '../support/nats';
import { NodeProcess, waitFor } from '../support/processes';
import { json } from '../support/system';

jest.setTimeout(180_000);

/** Five consecutive free ports, as npm start wants them. */
async function freePortRange(): Promise<number> {
  const { createServer } = await import('node:net');
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer().once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const all = await Promise.all([0, 1, 2, 3, 4].map((i) => free(base + i)));
    if (all.every(Boolean)) return base;
  }
  throw new Error('no five consecutive free ports');
}

describe('npm start', () => {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const namespace = newNamespace();
  const stateDir = mkdtempSync(join(tmpdir(), 'trove-start-'));
  const adminKey = issueKey().token;
  let start: NodeProcess;
  let base: number;

  afterAll(async () => {
    await start?.stop();
    await withDatabase(SERVER_URL, async (client) => {
      for (const app of SERVICES) await client.query(`DROP DATABASE IF EXISTS ${prefix}_${app} WITH (FORCE)`);
    });
    await deleteStream(namespace);
    rmSync(stateDir, { recursive: true, force: true });
  });

  /** Starts npm start on this test's ports, databases, NATS namespace and state (as `start`, which afterAll stops), until it says it is running. */
  async function startTrove(env: Record<string, string> = {}): Promise<void> {
    const started = (start = new NodeProcess('scripts/start.mjs', {
      ...env,
      DATABASE_URL: SERVER_URL,
      NATS_URL,
      TROVE_BASE_PORT: String(base),
      TROVE_DATABASE_PREFIX: prefix,
      TROVE_STATE_DIR: stateDir,
      TROVE_NAMESPACE: namespace,
      TROVE_ADMIN_KEY: adminKey,
      TROVE_LOG_FORMAT: 'json',
    }).start());
    await waitFor('npm start to say it is running', async () => {
      if (!started.running) throw new Error(`npm start exited:\n${started.tail(40)}`);
      return started.output.includes('Trove is running');
    }, 150_000, 250);
  }

  it('refuses a TROVE_BASE_PORT that puts an app on a port fetch will not connect to, saying which', async () => {
    const refused = new NodeProcess('scripts/start.mjs', { DATABASE_URL: SERVER_URL, NATS_URL, TROVE_BASE_PORT: '6000', TROVE_STATE_DIR: stateDir, TROVE_LOG_FORMAT: 'json' }).start();
    const { code } = await refused.exit(60_000);
    expect(code).not.toBe(0);
    expect(refused.output).toContain('6000 (gateway) on a port that fetch refuses');
  });

  it('brings all five apps up with every one ok in admin health, seeds a demo, and stops cleanly on Ctrl-C', async () => {
    base = await freePortRange();
    await startTrove();

    const health = await json(await fetch(`http://127.0.0.1:${base}/v1/admin/health`, { headers: { authorization: `Bearer ${adminKey}` } }));
    expect(health.status).toBe('ok');
    for (const service of SERVICES) expect(health.services[service].status).toBe('ok');
    expect(start.output).toContain(`http://localhost:${base}/docs`);

    // The keys are where it says they are: TROVE_STATE_DIR, not .trove/.
    expect(start.output).toContain(`saved in ${join(stateDir, 'demo-keys.json')}`);
    expect(start.output).not.toContain('.trove/demo-keys.json');
    const demo = JSON.parse(readFileSync(join(stateDir, 'demo-keys.json'), 'utf8'));
    const vendor = await json(await fetch(`http://127.0.0.1:${base}/v1/me`, { headers: { authorization: `Bearer ${demo.vendor.key}` } }));
    expect(vendor).toMatchObject({ role: 'vendor', organization: { status: 'active' } });

    // A demo listing's Croissant card links to this gateway, on the port it was moved to.
    // (Search shows the seed's listings once the catalog has indexed them.)
    const listing = await waitFor('a demo listing in search', async () => (await json(await fetch(`http://127.0.0.1:${base}/v1/datasets?limit=1`))).items[0], 120_000, 500);
    const card = await json(await fetch(`http://127.0.0.1:${base}/v1/datasets/${listing.id}/croissant`));
    expect(card.url).toBe(`http://localhost:${base}/v1/datasets/${listing.id}`);
    const links = (card.distribution as { contentUrl?: string }[]).flatMap((file) => (file.contentUrl ? [file.contentUrl] : []));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link.startsWith(`http://localhost:${base}/v1/datasets/${listing.id}/`)).toBe(true);

    // The seed signed its nine organizations up with the admin key: this address still has its
    // whole hourly sign-up allowance (10 by default) for whoever tries the API after npm start.
    const signUps: number[] = [];
    for (let n = 1; n <= 11; n++) {
      const answer = await fetch(`http://127.0.0.1:${base}/v1/organizations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `试用 采购 ${n} / trial buyer ${n}`, kind: 'buyer', contactEmail: `trial${n}@example.cn` }),
      });
      await answer.arrayBuffer();
      signUps.push(answer.status);
    }
    expect(signUps).toEqual([...Array<number>(10).fill(201), 429]);

    start.kill('SIGINT');
    expect(await start.exit(30_000)).toEqual({ code: 0, signal: null });
    await expect(fetch(`http://127.0.0.1:${base}/health/live`)).rejects.toThrow();
  });

  it('stops every app and exits when one app is stopped from outside, instead of starting it again', async () => {
    base ??= await freePortRange();
    await startTrove();

    // What `pkill -INT -f <checkout>` does to an app: npm start itself is not signalled.
    const apps = execFileSync('pgrep', ['-P', String(start.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(apps).toHaveLength(SERVICES.length);
    process.kill(apps[0], 'SIGINT');

    expect(await start.exit(40_000)).toEqual({ code: 0, signal: null });
    expect(start.output).toContain('was stopped from outside');
    expect(start.output).not.toContain('restarting in');
    await expect(fetch(`http://127.0.0.1:${base}/health/live`)).rejects.toThrow();
    for (const pid of apps) expect(() => process.kill(pid, 0)).toThrow();
  });

  it('stops every app and exits when one app stopped from outside runs past SHUTDOWN_TIMEOUT_MS, instead of taking it for a crash', async () => {
    base ??= await freePortRange();
    // A request that never finishes arriving holds the gateway's shutdown (its request timeout
    // is longer than the shutdown's) until SHUTDOWN_TIMEOUT_MS cuts it short.
    await startTrove({ SHUTDOWN_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '60000' });
    const { connect } = await import('node:net');
    const stalled = connect(base, '127.0.0.1');
    stalled.on('error', () => undefined);
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write(`POST /v1/organizations HTTP/1.1\r\nHost: trove\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n`);
    // The gateway answers 100 Continue once it has read the headers: from then on a request is
    // arriving. Before, the connection is idle and its shutdown closes it at once, so a gateway
    // killed a moment too soon (its event loop busy publishing the demo catalog) exited 0.
    const answered = await new Promise<string>((resolve) => stalled.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    expect(answered).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    stalled.write('{"name":');

    const children = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(start.pid)], { encoding: 'utf8' }).trim().split('\n');
    const gateway = Number(children.find((line) => line.includes('/gateway/'))!.trim().split(/\s+/)[0]);
    process.kill(gateway, 'SIGINT');

    expect(await start.exit(40_000)).toEqual({ code: 0, signal: null });
    expect(start.output).toContain('gateway was stopped from outside (exit code 130: its shutdown ran past SHUTDOWN_TIMEOUT_MS)');
    expect(start.output).not.toContain('restarting in');
    stalled.destroy();
    await expect(fetch(`http://127.0.0.1:${base}/health/live`)).rejects.toThrow();
  });
});
