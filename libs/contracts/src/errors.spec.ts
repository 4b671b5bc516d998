import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_STATUS } from './errors';

describe('the error codes in docs/operations.md', () => {
  it('are every code with its status, as clients are told', () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'operations.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [code, Number(status)]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
    expect(rows).toHaveLength(Object.keys(ERROR_STATUS).length);
  });
});
