import type { DatasetStatus } from '@trove/contracts';
import { StateMachine } from '@trove/platform';

/**
 * Moderation of a listing. A vendor submits a draft (or a rejected listing it fixed) for
 * review; an operator publishes or rejects it, with a reason the vendor sees. A published
 * listing can be suspended, and approving a suspended one reinstates it.
 */
export const datasetStates = new StateMachine<DatasetStatus>('dataset', {
  draft: ['in_review'],
  in_review: ['published', 'rejected'],
  rejected: ['in_review'],
  published: ['suspended'],
  suspended: ['published'],
});

/** Only these are visible to anyone; the others only to their vendor and to admins. */
export const PUBLIC_STATUSES: readonly DatasetStatus[] = ['published'];
