import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_STATUS, isErrorCode, isErrorStatus, isWireErrorCode } from './errors';

describe('the error codes in docs/operations.md', () => {
  it('are every code with its status, as clients are told', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'operations.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [code, Number(status)]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
    expect(rows).toHaveLength(Object.keys(ERROR_STATUS).length);
  });
});

describe('reading an error code off the wire', () => {
  it('knows only the codes of ERROR_STATUS, not what every object inherits', () => {
    expect(isErrorCode('INSUFFICIENT_FUNDS')).toBe(true);
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect(isErrorCode(name)).toBe(false);
  });

  it('accepts any UPPER_SNAKE_CASE code of at most 64 characters, and statuses 400-599', () => {
    expect(isWireErrorCode('LICENSE_SEATS_EXHAUSTED')).toBe(true);
    expect(isWireErrorCode('E2E_TIMEOUT')).toBe(true);
    for (const bad of ['license_seats', 'SEATS__GONE', '_SEATS', 'SEATS_', 'SEATS GONE', 'A'.repeat(65), '', 409]) expect(isWireErrorCode(bad)).toBe(false);
    expect([400, 409, 451, 599].every(isErrorStatus)).toBe(true);
    for (const bad of [200, 399, 600, 409.5, '409', NaN]) expect(isErrorStatus(bad)).toBe(false);
  });
});
