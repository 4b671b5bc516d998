import { API_KEY_ACCESS, AUDIT_OUTCOMES, ORGANIZATION_KINDS, ORGANIZATION_STATUSES, ROLES, SIGN_UP_KINDS, isRole, sqlIn } from './identity';

describe('identity values', () => {
  // A tripwire, not a second definition: the gateway's CHECK constraints hold these values
  // (organization: IdentityChecksFromContracts1764300009000; audit_event: CreateIdentity;
  // api_key.access: ApiKeyAccess1765300000000).
  // Changing an array needs a new migration that rebuilds the constraint (copy the first),
  // then this list.
  it('are the values the last constraint migration was written for', () => {
    expect({ ROLES, ORGANIZATION_KINDS, SIGN_UP_KINDS, ORGANIZATION_STATUSES, AUDIT_OUTCOMES, API_KEY_ACCESS }).toEqual({
      ROLES: ['admin', 'vendor', 'buyer'],
      ORGANIZATION_KINDS: ['vendor', 'buyer', 'admin'],
      SIGN_UP_KINDS: ['vendor', 'buyer'],
      ORGANIZATION_STATUSES: ['pending', 'active', 'suspended'],
      AUDIT_OUTCOMES: ['success', 'denied', 'failed'],
      API_KEY_ACCESS: ['full', 'read'],
    });
  });

  it('gives every organization kind a role, and lets nobody sign up as an operator', () => {
    for (const kind of ORGANIZATION_KINDS) expect(isRole(kind)).toBe(true);
    expect(SIGN_UP_KINDS).not.toContain('admin');
    expect(isRole('superuser')).toBe(false);
  });
});

describe('sqlIn', () => {
  it('writes a CHECK expression with quoted literals', () => {
    expect(sqlIn('kind', ORGANIZATION_KINDS)).toBe("kind IN ('vendor', 'buyer', 'admin')");
    expect(sqlIn('name', ["O'Brien"])).toBe("name IN ('O''Brien')");
  });

  it('refuses a column name that would need quoting, and an empty list', () => {
    expect(() => sqlIn('kind); DROP TABLE organization; --', ['x'])).toThrow('not a plain column name');
    expect(() => sqlIn('kind', [])).toThrow('no values');
  });
});
