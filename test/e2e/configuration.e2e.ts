import { issueKey } from '../../apps/gateway/src/auth/api-key-token';
import { NodeProcess } from '../support/processes';
import { SERVER_URL } from '../support/postgres';
import { NATS_URL } from '../support/nats';

jest.setTimeout(60_000);

const GOOD: NodeJS.ProcessEnv = {
  DATABASE_URL: SERVER_URL,
  NATS_URL,
  TROVE_ADMIN_KEY: issueKey().token,
  TROVE_NAMESPACE: 'configtest',
  PORT: '0',
};

/** Starts the gateway with `env` and returns what it printed and how it ended. */
async function start(env: NodeJS.ProcessEnv) {
  const started = Date.now();
  const gateway = new NodeProcess('dist/apps/gateway/src/main.js', { ...GOOD, ...env, CONNECT_TIMEOUT_MS: '2000' }).start();
  const exit = await gateway.exit(20_000);
  return { exit, seconds: (Date.now() - started) / 1000, lines: gateway.output.trim().split('\n') };
}

describe('bad configuration', () => {
  it.each([
    ['an unreachable database', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/trove_gateway' }, 'DATABASE_URL'],
    ['a database URL that is not one', { DATABASE_URL: 'mysql://root@127.0.0.1/trove' }, 'DATABASE_URL'],
    ['a malformed NATS URL', { NATS_URL: 'nats//127.0.0.1' }, 'NATS_URL'],
    ['an unreachable NATS', { NATS_URL: 'nats://127.0.0.1:1' }, 'NATS_URL'],
    ['a missing admin key', { TROVE_ADMIN_KEY: '' }, 'TROVE_ADMIN_KEY'],
    ['an admin key that is not a Trove API key', { TROVE_ADMIN_KEY: 'letmein-letmein-letmein-letmein-letmein' }, 'TROVE_ADMIN_KEY'],
    ['a port that is not a number', { PORT: 'three thousand' }, 'PORT'],
    ['a trusted proxy that is neither an address nor a CIDR', { TRUST_PROXY: '10.0.0.0/8,ingress.internal' }, 'TRUST_PROXY'],
    ['an unlimited failed-authentication limit', { AUTH_FAILURES_PER_ADDRESS: '0' }, 'AUTH_FAILURES_PER_ADDRESS'],
  ])('stops quickly with one line naming the setting: %s', async (_what, env, setting) => {
    const { exit, seconds, lines } = await start(env);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^trove-gateway: .*\\b${setting}\\b`));
    expect(seconds).toBeLessThan(10);
  });

  it('never prints the secret it refused', async () => {
    const { lines } = await start({ TROVE_ADMIN_KEY: 'short-secret' });
    expect(lines.join('\n')).not.toContain('short-secret');
  });
});
