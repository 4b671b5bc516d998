import { MessageHeaders } from '@trove/contracts';
import { RequestContext } from '@trove/platform';
import { auditHeaderFrom, contextFrom, contextHeaders, toNatsHeaders } from './message-context';

describe('the caller in message headers', () => {
  const caller = { organizationId: '6f1c2a9e-3b7d-4c55-9e0a-2d8f4b1c7e93', role: 'buyer' as const, keyId: '9a3f0c5e7b1d4e2f8a6c0b3d5e7f9a1c' };
  const across = (headers: Record<string, string>) => contextFrom(toNatsHeaders(headers)).caller;

  it("carries the key's expiry to the service, and leaves it out for a key without one", () => {
    const expiring = RequestContext.run({ correlationId: 'c-1', caller: { ...caller, keyExpiresAt: 1_798_000_000_123 } }, () => contextHeaders());
    expect(across(expiring)).toEqual({ ...caller, keyExpiresAt: 1_798_000_000_123 });
    const lasting = RequestContext.run({ correlationId: 'c-2', caller }, () => contextHeaders());
    expect(lasting[MessageHeaders.callerKeyExpires]).toBeUndefined();
    expect(across(lasting)).toEqual(caller);
  });

  it.each(['soon', '-5', '0', '1.5e12', '99999999999999999999'])('ignores an expiry of %s, keeping the caller', (value) => {
    const headers = RequestContext.run({ correlationId: 'c-3', caller }, () => contextHeaders());
    expect(across({ ...headers, [MessageHeaders.callerKeyExpires]: value })).toEqual(caller);
  });
});

describe('the audit mark in message headers', () => {
  const across = (action: string) => auditHeaderFrom(toNatsHeaders({ [MessageHeaders.audit]: JSON.stringify({ action, targetType: 'top-up', targetId: null, successStatus: 200, ip: '203.0.113.9' }) })).audit;

  // A mark the service drops leaves the record to the gateway, written after the answer instead
  // of in the transaction of the change: a crash in between loses it.
  it.each(['api-key.revoke', 'wallet.top-up.confirm', 'dataset.version.file.remove'])('carries the action %s to the service', (action) => {
    expect(across(action)).toEqual({ action, targetType: 'top-up', targetId: null, successStatus: 200, ip: '203.0.113.9' });
  });

  it.each(['revoke', 'wallet..confirm', 'wallet.top-up.', 'Wallet.top-up', 'wallet.top_up', 'wallet.top-up\n.confirm'])('drops a malformed action %j', (action) => {
    expect(across(action)).toBeUndefined();
  });
});
