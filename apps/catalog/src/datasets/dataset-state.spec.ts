import { DATASET_STATUSES } from '@trove/contracts';
import { datasetStates } from './dataset-state';

describe('dataset moderation states', () => {
  it.each([
    ['draft', 'in_review', true],
    ['in_review', 'published', true],
    ['in_review', 'rejected', true],
    ['rejected', 'in_review', true],
    ['published', 'suspended', true],
    ['suspended', 'published', true],
    ['draft', 'published', false],
    ['rejected', 'published', false],
    ['published', 'in_review', false],
    ['suspended', 'in_review', false],
    ['in_review', 'in_review', false],
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    expect(datasetStates.can(from, to)).toBe(allowed);
  });

  it('reaches every state from a draft, and has no terminal state', () => {
    expect([...datasetStates.reachableFrom('draft')].sort()).toEqual([...DATASET_STATUSES].sort());
    expect(datasetStates.states.filter((s) => datasetStates.isTerminal(s))).toEqual([]);
  });

  it('answers an illegal move as a conflict', () => {
    expect(() => datasetStates.assert('draft', 'published')).toThrow(expect.objectContaining({ status: 409 }));
  });
});
