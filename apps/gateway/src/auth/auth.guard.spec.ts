import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_RULE, RequestContext, type AccessRule } from '@trove/platform';
import type { GatewayConfig } from '../gateway.config';
import { AuthFailures } from './auth-failures';
import { AccessGuard, AuthGuard } from './auth.guard';
import type { CheckOptions, KeyCheck, KeyStore } from './key-store';
import type { Principal } from './principal';

const VENDOR_KEY = 'trv_vendor';

function principal(status: Principal['organization']['status'], statusReason: string | null = null, access: Principal['access'] = 'full'): Principal {
  return {
    keyId: '3f9a1c2e-0000-4000-8000-000000000001',
    organizationId: '3f9a1c2e-0000-4000-8000-0000000000aa',
    role: 'vendor',
    access,
    organization: { id: '3f9a1c2e-0000-4000-8000-0000000000aa', name: '标贝科技', kind: 'vendor', status, statusReason, contactEmail: 'bd@example.cn', createdAt: '2026-11-01T00:00:00.000Z' },
  };
}

/** A key store that knows one vendor key, in the given organization status. */
function keys(status: Principal['organization']['status'], statusReason: string | null = null, access: Principal['access'] = 'full'): KeyStore {
  return {
    check: async (token: string): Promise<KeyCheck> =>
      token === VENDOR_KEY ? { ok: true, principal: principal(status, statusReason, access) } : { ok: false, reason: 'The API key is not valid.' },
  } as KeyStore;
}

function routeWith(rule: AccessRule | undefined, authorization?: string, ip = '198.51.100.20', method = 'GET') {
  const handler = () => undefined;
  if (rule) Reflect.defineMetadata(ACCESS_RULE, rule, handler);
  const request: Record<string, unknown> = { method, headers: authorization ? { authorization } : {}, params: {}, ip };
  const replyHeaders: Record<string, string> = {};
  const reply = { header: (name: string, value: string) => (replyHeaders[name] = value) };
  const context = {
    getHandler: () => handler,
    getClass: () => class SubmissionsController {},
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { context, request, replyHeaders };
}

const failures = (limit = 30) => new AuthFailures({ AUTH_FAILURES_PER_ADDRESS: limit } as GatewayConfig);

/** The AuthGuard and then the AccessGuard, as the app runs them (throttler's rate limit between them is tested end to end). */
function guarded(keyStore: KeyStore, failed: AuthFailures) {
  const auth = new AuthGuard(new Reflector(), keyStore, failed);
  const access = new AccessGuard(new Reflector());
  return { canActivate: async (context: ExecutionContext) => (await auth.canActivate(context)) && access.canActivate(context) };
}
type Guards = ReturnType<typeof guarded>;

async function outcome(status: Principal['organization']['status'], rule: AccessRule | undefined, authorization?: string): Promise<string> {
  const guard = guarded(keys(status), failures());
  const { context } = routeWith(rule, authorization);
  try {
    return await RequestContext.run({ correlationId: 'c' }, async () => ((await guard.canActivate(context)) ? 'allowed' : 'refused'));
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
}

const vendorsOnly: AccessRule = { kind: 'roles', roles: ['vendor'], activeOnly: false };
const approvedVendorsOnly: AccessRule = { kind: 'roles', roles: ['vendor'], activeOnly: true };

describe('AuthGuard', () => {
  it.each([
    ['an approved vendor on a route for approved vendors', 'active', approvedVendorsOnly, 'allowed'],
    ['a pending vendor on a route for approved vendors (submitting for review)', 'pending', approvedVendorsOnly, 'ORGANIZATION_PENDING'],
    ['a pending vendor on a route for any vendor', 'pending', vendorsOnly, 'allowed'],
    ['a suspended vendor anywhere', 'suspended', vendorsOnly, 'ORGANIZATION_SUSPENDED'],
    ['a suspended vendor on a public route', 'suspended', { kind: 'public' }, 'ORGANIZATION_SUSPENDED'],
    ['a vendor on a buyers route', 'active', { kind: 'roles', roles: ['buyer'], activeOnly: false }, 'FORBIDDEN'],
  ] as const)('%s: %s', async (_what, status, rule, expected) => {
    expect(await outcome(status, rule as AccessRule, `Bearer ${VENDOR_KEY}`)).toBe(expected);
  });

  it.each([
    ['no key on a route with roles', vendorsOnly, undefined, 'UNAUTHENTICATED'],
    ['an unknown key on a public route', { kind: 'public' } as AccessRule, 'Bearer trv_nobody', 'UNAUTHENTICATED'],
    ['a header that is not Bearer', vendorsOnly, 'Basic dmVuZG9yOnNlY3JldA==', 'UNAUTHENTICATED'],
    ['no key on a public route', { kind: 'public' } as AccessRule, undefined, 'allowed'],
  ])('%s', async (_what, rule, authorization, expected) => {
    expect(await outcome('active', rule, authorization)).toBe(expected);
  });

  it('refuses a request with two Authorization headers, whichever comes first, and counts it as a failure', async () => {
    const failed = failures(2);
    const guard = guarded(keys('active'), failed);
    // Node keeps the first of several Authorization lines; a proxy in front may have read another.
    for (const [first, second] of [
      [`Bearer ${VENDOR_KEY}`, 'Bearer trv_nobody'],
      ['Bearer trv_nobody', `Bearer ${VENDOR_KEY}`],
    ]) {
      const { context, request } = routeWith(vendorsOnly, first);
      request.raw = { rawHeaders: ['Host', 'api.trove.example.cn', 'Authorization', first, 'authorization', second] };
      const refused = await RequestContext.run({ correlationId: 'c' }, () => guard.canActivate(context)).catch((error: { code?: string; message: string }) => `${error.code} ${error.message}`);
      expect(refused).toBe('UNAUTHENTICATED Send one Authorization header: this request has 2.');
      expect(request.principal).toBeUndefined();
    }
    expect(failed.refusedFor('198.51.100.20')).toBeGreaterThan(0);
  });

  it("tells a suspended organization the operator's reason in the 403, and only that", async () => {
    const refusal = async (reason: string | null) => {
      const guard = guarded(keys('suspended', reason), failures());
      const { context } = routeWith(vendorsOnly, `Bearer ${VENDOR_KEY}`);
      return RequestContext.run({ correlationId: 'c' }, () => guard.canActivate(context)).catch((error: { code?: string; message: string }) => `${error.code} ${error.message}`);
    };
    expect(await refusal('营业执照与申请主体不符，请以数据公司主体重新申请')).toBe(
      'ORGANIZATION_SUSPENDED The organization is suspended; its keys are refused until an operator reinstates it. It was suspended by the operator: 营业执照与申请主体不符，请以数据公司主体重新申请',
    );
    expect(await refusal(null)).toBe('ORGANIZATION_SUSPENDED The organization is suspended; its keys are refused until an operator reinstates it.');
  });

  it('lets a read key GET and HEAD what its role may, and refuses it every other method, on a public route too', async () => {
    const guard = guarded(keys('active', null, 'read'), failures());
    const call = (rule: AccessRule, method: string) => {
      const { context } = routeWith(rule, `Bearer ${VENDOR_KEY}`, '198.51.100.20', method);
      return RequestContext.run({ correlationId: 'c' }, async () => ((await guard.canActivate(context)) ? 'allowed' : 'refused')).catch(
        (error: { code?: string; message: string }) => `${error.code} ${error.message}`,
      );
    };
    expect(await call(vendorsOnly, 'GET')).toBe('allowed');
    expect(await call(vendorsOnly, 'HEAD')).toBe('allowed');
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      expect(await call(vendorsOnly, method)).toBe(
        `KEY_READ_ONLY This key reads only (access "read"): it may GET and HEAD, not ${method}. Use a key with full access, made with POST /v1/api-keys.`,
      );
    }
    expect(await call({ kind: 'public' }, 'POST')).toMatch(/^KEY_READ_ONLY /);
    // The role still decides what it may read.
    expect(await call({ kind: 'roles', roles: ['buyer'], activeOnly: false }, 'GET')).toMatch(/^FORBIDDEN /);
    // A full key of the same organization is not held to it.
    const full = guarded(keys('active'), failures());
    const { context } = routeWith(vendorsOnly, `Bearer ${VENDOR_KEY}`, '198.51.100.20', 'POST');
    expect(await RequestContext.run({ correlationId: 'c' }, () => full.canActivate(context))).toBe(true);
  });

  it('refuses to serve a route that declares no rule', async () => {
    expect(await outcome('active', undefined, `Bearer ${VENDOR_KEY}`)).toMatch(/declares no access rule/);
  });

  it('puts the caller into the request context for the services behind the gateway', async () => {
    const guard = guarded(keys('active'), failures());
    const { context, request } = routeWith(vendorsOnly, `Bearer ${VENDOR_KEY}`);
    const caller = await RequestContext.run({ correlationId: 'c' }, async () => {
      await guard.canActivate(context);
      return RequestContext.current()?.caller;
    });
    expect(caller).toEqual({ organizationId: principal('active').organizationId, role: 'vendor', keyId: principal('active').keyId });
    expect(request.principal).toMatchObject({ role: 'vendor' });
  });

  describe('failed authentications per address', () => {
    const GUESSED = 'Bearer trv_0f1e2d3c4b5a69788796a5b4c3d2e1f0_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
    const ADDRESS = '203.0.113.9';

    /** A guard with a limit of 3 failures a minute, and every key check it asked for. */
    function limitedGuard() {
      const store = keys('active');
      const asked: { token: string; options?: CheckOptions }[] = [];
      const spy = {
        check: async (token: string, options?: CheckOptions): Promise<KeyCheck> => {
          asked.push({ token, options });
          if (options?.knownKeysOnly && token !== VENDOR_KEY) return { ok: false, reason: 'The API key is not valid.', unchecked: true };
          return store.check(token);
        },
      } as KeyStore;
      return { guard: guarded(spy, failures(3)), asked };
    }

    async function call(guard: Guards, authorization: string, ip = ADDRESS) {
      const { context, replyHeaders } = routeWith(vendorsOnly, authorization, ip);
      try {
        await RequestContext.run({ correlationId: 'c' }, () => guard.canActivate(context));
        return { code: 'allowed', retryAfter: replyHeaders['retry-after'] };
      } catch (error) {
        return { code: (error as { code?: string }).code, retryAfter: replyHeaders['retry-after'] };
      }
    }

    it('answers 429 with Retry-After past the limit, without looking up unknown key ids', async () => {
      const { guard, asked } = limitedGuard();
      for (let i = 0; i < 3; i++) expect((await call(guard, GUESSED)).code).toBe('UNAUTHENTICATED');
      expect(asked.every((a) => !a.options?.knownKeysOnly)).toBe(true);

      const refused = await call(guard, GUESSED);
      expect(refused.code).toBe('RATE_LIMITED');
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
      expect(asked.at(-1)?.options).toEqual({ knownKeysOnly: true });
      // A malformed header is a failure too.
      expect((await call(guard, 'Basic dmVuZG9yOnNlY3JldA==')).code).toBe('RATE_LIMITED');
    });

    it('keeps serving a valid key from the refused address, and other addresses', async () => {
      const { guard } = limitedGuard();
      for (let i = 0; i < 4; i++) await call(guard, GUESSED);
      expect((await call(guard, GUESSED)).code).toBe('RATE_LIMITED');
      expect(await call(guard, `Bearer ${VENDOR_KEY}`)).toEqual({ code: 'allowed', retryAfter: undefined });
      expect((await call(guard, GUESSED, '198.51.100.77')).code).toBe('UNAUTHENTICATED');
    });

    it('counts a call without a key to a route that needs one as a failure, as a wrong key is', async () => {
      const { guard } = limitedGuard();
      const keyless = () => {
        const { context, replyHeaders } = routeWith(vendorsOnly, undefined, ADDRESS);
        return RequestContext.run({ correlationId: 'c' }, () => guard.canActivate(context)).then(
          () => ({ code: 'allowed', retryAfter: undefined as string | undefined }),
          (error: { code?: string }) => ({ code: error.code, retryAfter: replyHeaders['retry-after'] }),
        );
      };
      for (let i = 0; i < 3; i++) expect((await keyless()).code).toBe('UNAUTHENTICATED');
      const refused = await keyless();
      expect(refused.code).toBe('RATE_LIMITED');
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
      // Guessed keys from the address are past the limit too; a valid key is not.
      expect((await call(guard, GUESSED)).code).toBe('RATE_LIMITED');
      expect((await call(guard, `Bearer ${VENDOR_KEY}`)).code).toBe('allowed');
    });

    it('counts a request as a failure while its key is checked: guessed keys sent at once do not all get a lookup', async () => {
      const { guard, asked } = limitedGuard();
      // Twenty at once: before, every one read the count before any had failed, and each cost a
      // database lookup; now the fourth on is past the limit before its key is looked at.
      const answers = await Promise.all(Array.from({ length: 20 }, () => call(guard, GUESSED)));
      expect(answers.filter((a) => a.code === 'UNAUTHENTICATED')).toHaveLength(3);
      expect(answers.filter((a) => a.code === 'RATE_LIMITED')).toHaveLength(17);
      expect(asked.filter((a) => !a.options?.knownKeysOnly)).toHaveLength(3);
    });

    it('forgives the count of a request whose key proves valid, also many at once', async () => {
      const { guard } = limitedGuard();
      expect((await Promise.all(Array.from({ length: 20 }, () => call(guard, `Bearer ${VENDOR_KEY}`)))).every((a) => a.code === 'allowed')).toBe(true);
      for (let i = 0; i < 3; i++) expect((await call(guard, GUESSED)).code).toBe('UNAUTHENTICATED');
      expect((await call(guard, GUESSED)).code).toBe('RATE_LIMITED');
    });

    it('forgives a valid key in the window it was counted in, not in the one after it', async () => {
      const started = Date.now();
      const clock = jest.spyOn(Date, 'now').mockReturnValue(started);
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        const store = keys('active');
        const slow = { check: async (token: string, options?: CheckOptions) => (token === VENDOR_KEY ? (await held, store.check(token)) : store.check(token, options)) } as KeyStore;
        const guard = guarded(slow, failures(3));
        // Five valid requests in flight when the window ends; three guesses in the next one.
        const valid = Array.from({ length: 5 }, () => call(guard, `Bearer ${VENDOR_KEY}`));
        clock.mockReturnValue(started + 61_000);
        for (let i = 0; i < 3; i++) expect((await call(guard, GUESSED)).code).toBe('UNAUTHENTICATED');
        release();
        expect((await Promise.all(valid)).every((a) => a.code === 'allowed')).toBe(true);
        // The valid ones took back their own counts, not the guesses': the next guess is past the limit.
        expect((await call(guard, GUESSED)).code).toBe('RATE_LIMITED');
      } finally {
        clock.mockRestore();
      }
    });

    it('does not count a request whose key could not be checked', async () => {
      const store = keys('active');
      let down = true;
      const flaky = {
        check: async (token: string, options?: CheckOptions) => {
          if (down) throw new Error('connection terminated');
          return store.check(token, options);
        },
      } as KeyStore;
      const guard = guarded(flaky, failures(3));
      for (let i = 0; i < 5; i++) expect((await call(guard, `Bearer ${VENDOR_KEY}`)).code).toBeUndefined();
      down = false;
      for (let i = 0; i < 3; i++) expect((await call(guard, GUESSED)).code).toBe('UNAUTHENTICATED');
      expect((await call(guard, GUESSED)).code).toBe('RATE_LIMITED');
    });

    it('does not count calls without a key, or with a valid one', async () => {
      const { guard } = limitedGuard();
      const { context } = routeWith({ kind: 'public' }, undefined, ADDRESS);
      for (let i = 0; i < 5; i++) {
        await RequestContext.run({ correlationId: 'c' }, () => guard.canActivate(context));
        await call(guard, `Bearer ${VENDOR_KEY}`);
      }
      expect((await call(guard, GUESSED)).code).toBe('UNAUTHENTICATED');
    });
  });
});
