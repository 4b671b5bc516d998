import type { GatewayConfig } from '../gateway.config';
import { AUTH_FAILURE_WINDOW_MS, AuthFailures, clientOf } from './auth-failures';

const T0 = Date.parse('2026-11-30T09:00:00Z');

describe('AuthFailures', () => {
  const limitOf = (limit: number) => new AuthFailures({ AUTH_FAILURES_PER_ADDRESS: limit } as GatewayConfig);

  it('refuses an address from its limit-th failure until the minute is over', () => {
    const failures = limitOf(3);
    failures.record('203.0.113.9', T0);
    failures.record('203.0.113.9', T0 + 1000);
    expect(failures.refusedFor('203.0.113.9', T0 + 1000)).toBe(0);
    failures.record('203.0.113.9', T0 + 2000);
    expect(failures.refusedFor('203.0.113.9', T0 + 2000)).toBe(58);
    expect(failures.refusedFor('203.0.113.9', T0 + AUTH_FAILURE_WINDOW_MS - 1)).toBe(1);
    expect(failures.refusedFor('203.0.113.9', T0 + AUTH_FAILURE_WINDOW_MS)).toBe(0);
    expect(failures.refusedFor('198.51.100.1', T0 + 2000)).toBe(0);
  });

  it('starts a new count after the window ends', () => {
    const failures = limitOf(2);
    failures.record('2001:db8::7', T0);
    failures.record('2001:db8::7', T0 + 10);
    expect(failures.refusedFor('2001:db8::7', T0 + 10)).toBeGreaterThan(0);
    failures.record('2001:db8::7', T0 + AUTH_FAILURE_WINDOW_MS + 5);
    expect(failures.refusedFor('2001:db8::7', T0 + AUTH_FAILURE_WINDOW_MS + 5)).toBe(0);
  });

  it('keeps memory bounded: ended windows are dropped as new addresses arrive', () => {
    const failures = limitOf(1);
    for (let i = 0; i < 1000; i++) failures.record(`10.0.${i >> 8}.${i & 255}`, T0);
    failures.record('203.0.113.9', T0 + AUTH_FAILURE_WINDOW_MS + 1);
    expect((failures as unknown as { windows: Map<string, unknown> }).windows.size).toBe(1);
  });

  it('counts an IPv6 client by its /64, so it cannot try keys from every address it holds', () => {
    const failures = limitOf(2);
    failures.record('2001:db8:1:2::a', T0);
    failures.record('2001:db8:1:2:ffff:ffff:ffff:b', T0);
    expect(failures.refusedFor('2001:0db8:0001:0002::77', T0)).toBeGreaterThan(0);
    expect(failures.refusedFor('2001:db8:1:3::a', T0)).toBe(0);
  });

  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['2001:DB8:AB:CD:1:2:3:4', '2001:db8:ab:cd::/64'],
    ['64:ff9b::198.51.100.7', '64:ff9b:0:0::/64'],
  ])('counts %s as %s', (address, client) => {
    expect(clientOf(address)).toBe(client);
  });
});
