import type { GatewayConfig } from '../gateway.config';
import { AUTH_FAILURE_WINDOW_MS, AuthFailures } from './auth-failures';

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
});
