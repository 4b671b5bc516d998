import { validateMessage } from '@trove/platform';
import { refusedFields } from '../../../../test/support/validation';
import { DiffQuery } from './delivery.dto';

describe("an entitlement's diff query", () => {
  const from = '82f7bd28-5c1e-4a7b-9d3e-0c6f4b2a9e11';
  const to = '1d0b6a52-9f0e-4c38-8a71-3e5b7c9d2f40';

  it('reads version ids in either case as the same versions, in lower case', () => {
    expect(validateMessage(DiffQuery, { from: from.toUpperCase(), to })).toMatchObject({ from, to });
    expect(validateMessage(DiffQuery, { from, to: to.toUpperCase() })).toMatchObject({ from, to });
  });

  it('still refuses what is no UUID in any case', () => {
    expect(refusedFields(DiffQuery, { from: 'V1.0.0', to: 'LATEST' }).sort()).toEqual(['from', 'to']);
  });
});
