import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ACCESS_RULE, RequestContext, type AccessRule } from '@trove/platform';
import { AuthGuard } from './auth.guard';
import type { KeyCheck, KeyStore } from './key-store';
import type { Principal } from './principal';

const VENDOR_KEY = 'trv_vendor';

function principal(status: Principal['organization']['status']): Principal {
  return {
    keyId: '3f9a1c2e-0000-4000-8000-000000000001',
    organizationId: '3f9a1c2e-0000-4000-8000-0000000000aa',
    role: 'vendor',
    organization: { id: '3f9a1c2e-0000-4000-8000-0000000000aa', name: '标贝科技', kind: 'vendor', status, contactEmail: 'bd@example.cn', createdAt: '2026-11-01T00:00:00.000Z' },
  };
}

/** A key store that knows one vendor key, in the given organization status. */
function keys(status: Principal['organization']['status']): KeyStore {
  return {
    check: async (token: string): Promise<KeyCheck> => (token === VENDOR_KEY ? { ok: true, principal: principal(status) } : { ok: false, reason: 'The API key is not valid.' }),
  } as KeyStore;
}

function routeWith(rule: AccessRule | undefined, authorization?: string) {
  const handler = () => undefined;
  if (rule) Reflect.defineMetadata(ACCESS_RULE, rule, handler);
  const request: Record<string, unknown> = { headers: authorization ? { authorization } : {}, params: {} };
  const context = {
    getHandler: () => handler,
    getClass: () => class SubmissionsController {},
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context, request };
}

async function outcome(status: Principal['organization']['status'], rule: AccessRule | undefined, authorization?: string): Promise<string> {
  const guard = new AuthGuard(new Reflector(), keys(status));
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
    ['a pending vendor on a route for approved vendors (submitting for review)', 'pending', approvedVendorsOnly, 'FORBIDDEN'],
    ['a pending vendor on a route for any vendor', 'pending', vendorsOnly, 'allowed'],
    ['a suspended vendor anywhere', 'suspended', vendorsOnly, 'FORBIDDEN'],
    ['a suspended vendor on a public route', 'suspended', { kind: 'public' }, 'FORBIDDEN'],
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

  it('refuses to serve a route that declares no rule', async () => {
    expect(await outcome('active', undefined, `Bearer ${VENDOR_KEY}`)).toMatch(/declares no access rule/);
  });

  it('puts the caller into the request context for the services behind the gateway', async () => {
    const guard = new AuthGuard(new Reflector(), keys('active'));
    const { context, request } = routeWith(vendorsOnly, `Bearer ${VENDOR_KEY}`);
    const caller = await RequestContext.run({ correlationId: 'c' }, async () => {
      await guard.canActivate(context);
      return RequestContext.current()?.caller;
    });
    expect(caller).toEqual({ organizationId: principal('active').organizationId, role: 'vendor', keyId: principal('active').keyId });
    expect(request.principal).toMatchObject({ role: 'vendor' });
  });
});
